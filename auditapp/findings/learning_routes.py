"""The learning loop (issue 15) on the findings blueprint: a re-audit round made from an action, and the round's
7-minute briefing for practitioners (one A4 page, PDF).

On the findings blueprint (``findings.routes.bp``); registered in ``app._register_blueprints``.
"""

from __future__ import annotations

from datetime import UTC

from flask import Response, current_app, flash, redirect, url_for
from flask_login import current_user

from auditapp.domain import briefing as briefing_domain
from auditapp.domain import cases as case_domain
from auditapp.domain import learning, org
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import RoundSettings
from auditapp.domain.tool_versions import DEFAULT_TOOL_KEY, newest_agency_tools
from auditapp.findings.routes import bp, coordinator
from auditapp.forms import add_domain_error, render_form
from auditapp.models import Action, AuditRound, Role
from auditapp.models.types import utcnow
from auditapp.rounds.forms import RoundForm, exclusions_text, fill_round_choices
from auditapp.security.access import requires_role


def _settings_from(form: RoundForm) -> RoundSettings:
    """The round the coordinator asked for, as the new-round form left it."""
    return RoundSettings(
        name=form.name.data or "",
        theme=form.theme.data,
        mode=form.mode.data or "",
        statuses=form.statuses.data or [],
        localities=form.localities.data or [],
        teams=form.teams.data or [],
        open_from=form.open_from.data,
        open_to=form.open_to.data,
        sample_size=form.sample_size.data or 0,
        stratify_by=form.stratify_by.data or "none",
        min_per_stratum=bool(form.min_per_stratum.data),
        exclude_audited_within_months=form.exclude_audited_within_months.data or 0,
        peers_not_from_case_locality=bool(form.peers_not_from_case_locality.data),
        blind_moderation=bool(form.blind_moderation.data),
        max_load=form.max_load.data,
        agencies=form.agencies.data or [],
        lead_agency=form.lead_agency.data or None,
        due_date=form.due_date.data,
        named_exclusions=form.named_exclusions(),
        tool_key=form.tool_key.data or DEFAULT_TOOL_KEY,
        learning_item_ids=learning.ids_from_form(form.learning_items.data),
    )


def _reaudit_form(action: Action, settings: RoundSettings) -> RoundForm:
    form = RoundForm(
        data={
            "name": settings.name,
            "theme": settings.theme,
            "tool_key": settings.tool_key,
            "mode": settings.mode,
            "statuses": settings.statuses,
            "localities": settings.localities,
            "teams": settings.teams,
            "open_from": settings.open_from,
            "open_to": settings.open_to,
            "exclusions": exclusions_text(settings.named_exclusions),
            "exclude_audited_within_months": settings.exclude_audited_within_months,
            "sample_size": settings.sample_size,
            "stratify_by": settings.stratify_by,
            "min_per_stratum": settings.min_per_stratum,
            "agencies": settings.agencies,
            "lead_agency": settings.lead_agency or "",
            "peers_not_from_case_locality": settings.peers_not_from_case_locality,
            "blind_moderation": settings.blind_moderation,
            "max_load": settings.max_load,
            "due_date": settings.due_date,
            "learning_items": [str(i) for i in settings.learning_item_ids],
        }
    )
    options = case_domain.filter_options()
    agencies = [a.name for a in org.list_agencies(active_only=True)]
    fill_round_choices(
        form,
        localities=sorted({*options["locality"], *settings.localities}),
        teams=sorted({*options["team"], *settings.teams}),
        agencies=sorted({*agencies, *settings.agencies, *([settings.lead_agency] if settings.lead_agency else [])}),
        tools={key: f"{t.title} (version {t.version})" for key, t in newest_agency_tools().items()},
        learning=learning.choice_pairs(learning.choosable_items(learning.reaudit_items_for(action))),
    )
    return form


@bp.route("/actions/<int:action_id>/reaudit", methods=["GET", "POST"])
@coordinator
def reaudit_round(action: Action):
    """The new-round form, filled in to re-audit ``action``; creating the round links it to the action."""
    if action.reaudit_round_id is not None:
        flash("This action already has a re-audit round")
        return redirect(url_for("findings.action", action_id=action.id))
    form = _reaudit_form(action, learning.reaudit_settings_for(action, today=utcnow().date()))
    form.submit.label.text = "Create the re-audit round"
    if form.validate_on_submit():
        try:
            audit_round = learning.create_reaudit_round(action, _settings_from(form), created_by_id=current_user.id)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Re-audit round '{audit_round.name}' created")
            return redirect(url_for("rounds.show", round_id=audit_round.id))
    return render_form("rounds/new.html", form, reaudit_of=action)


def _published_for_the_board(user, round: AuditRound, **_objects) -> bool:
    """Board members read a round's briefing once its report is published to them (else 404)."""
    from auditapp.domain.publishing import current_report

    return user.role != Role.BOARD_MEMBER or current_report(round) is not None


def briefing_pdf_bytes(audit_round: AuditRound, *, partnership: str) -> tuple[bytes, int]:
    """The round's 7-minute briefing as a tagged PDF (PDF/UA-1, as the Board report), and its page count."""
    from auditapp.reports.render import fmt_date, html_to_pdf

    data = briefing_domain.build_briefing(audit_round)
    html = current_app.jinja_env.get_template("briefings/seven_minute.html").render(
        b=data,
        partnership=partnership,
        fmt_date=fmt_date,
        generated_iso=utcnow().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return html_to_pdf(html)


@bp.route("/rounds/<int:round_id>/briefing.pdf")
@requires_role(Role.QA_COORDINATOR, Role.BOARD_MEMBER, check=_published_for_the_board)
def briefing_pdf(round: AuditRound):
    pdf, _pages = briefing_pdf_bytes(round, partnership=current_app.config["PARTNERSHIP_NAME"])
    briefing_domain.record_download(round)
    name = f"7-minute-briefing-round-{round.id}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f"attachment; filename={name}"})
