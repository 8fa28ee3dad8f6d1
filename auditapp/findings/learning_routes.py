"""The learning loop (issue 15) on the findings blueprint: a re-audit round made from an action, and the round's
7-minute briefing for practitioners (one A4 page, PDF).

On the findings blueprint (``findings.routes.bp``); registered in ``app._register_blueprints``.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from auditapp.domain import cases as case_domain
from auditapp.domain import learning, org
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import RoundSettings
from auditapp.domain.tool_versions import DEFAULT_TOOL_KEY
from auditapp.findings.routes import bp, coordinator
from auditapp.forms import add_domain_error, render_form
from auditapp.models import Action, AuditRound, Role
from auditapp.models.types import utcnow
from auditapp.reports import documents as _documents  # noqa: F401 - registers the briefing, made in the worker
from auditapp.reports.document_jobs import request_document
from auditapp.rounds.forms import RoundForm, fill_round_choices, form_data, settings_fields, tool_choices
from auditapp.security.access import requires_role


def _reaudit_form(action: Action, settings: RoundSettings) -> RoundForm:
    form = RoundForm(data=form_data(settings))
    options = case_domain.filter_options()
    agencies = [a.name for a in org.list_agencies(active_only=True)]
    fill_round_choices(
        form,
        localities=sorted({*options["locality"], *settings.localities}),
        teams=sorted({*options["team"], *settings.teams}),
        agencies=sorted({*agencies, *settings.agencies, *([settings.lead_agency] if settings.lead_agency else [])}),
        tools=tool_choices(),
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
            audit_round = learning.create_reaudit_round(
                action,
                RoundSettings(**settings_fields(form), tool_key=form.tool_key.data or DEFAULT_TOOL_KEY),
                created_by_id=current_user.id,
            )
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


@bp.route("/rounds/<int:round_id>/briefing.pdf", methods=["POST"])
@requires_role(Role.QA_COORDINATOR, Role.BOARD_MEMBER, check=_published_for_the_board)
def briefing_pdf(round: AuditRound):
    """Ask the worker for the round's 7-minute briefing (its download is audited); the job's page offers it."""
    job = request_document(
        "briefing", payload={"round_id": round.id}, user_id=current_user.id, title=f"7-minute briefing: {round.name}"
    )
    return redirect(url_for("main.job_status", job_id=job.id))
