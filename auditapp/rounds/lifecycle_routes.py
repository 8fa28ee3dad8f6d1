"""Changing plans (issue 13): editing a round's settings until its sample is drawn, and cancelling a round."""

from __future__ import annotations

from dataclasses import replace

from flask import flash, redirect, url_for
from flask_login import current_user

from auditapp.domain import cases as case_domain
from auditapp.domain import learning, org
from auditapp.domain.errors import DomainError
from auditapp.domain.moderation import change_blind_moderation, moderation_setting_refusal
from auditapp.domain.rounds import (
    cancel_effects,
    cancel_round,
    ensure_editable,
    ensure_open,
    settings_of,
)
from auditapp.domain.tool_versions import newest_agency_tools
from auditapp.forms import add_domain_error, render_form
from auditapp.models import AUDIT_STATES, AuditRound
from auditapp.rounds.blueprint import bp, coordinator
from auditapp.rounds.forms import (
    CancelRoundForm,
    EditRoundForm,
    ModerationSettingForm,
    exclusions_text,
    fill_round_choices,
)


def _edit_form(audit_round: AuditRound) -> EditRoundForm:
    """The creation form, prefilled with the round's settings on a GET (a POST keeps what was sent)."""
    settings = settings_of(audit_round)
    linked = learning.items_for_round(audit_round)
    form = EditRoundForm(
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
            "learning_items": [str(i.id) for i in linked],
        }
    )
    options = case_domain.filter_options()
    agencies = [a.name for a in org.list_agencies(active_only=True)]
    tools = {key: f"{t.title} (version {t.version})" for key, t in newest_agency_tools().items()}
    if audit_round.tool_key not in tools:  # a tool no longer offered: the round keeps it unless changed
        tools = {audit_round.tool_key: f"The round's tool (version {audit_round.tool_version})", **tools}
    # Values the round already holds stay choosable, even if they have since left the population or the agencies.
    fill_round_choices(
        form,
        localities=sorted({*options["locality"], *settings.localities}),
        teams=sorted({*options["team"], *settings.teams}),
        agencies=sorted({*agencies, *settings.agencies, *([settings.lead_agency] if settings.lead_agency else [])}),
        tools=tools,
        learning=learning.choice_pairs(learning.choosable_items(linked)),
    )
    return form


def _refused(audit_round: AuditRound, error: DomainError):
    flash(error.message)
    return redirect(url_for("rounds.show", round_id=audit_round.id))


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@coordinator
def edit(round: AuditRound):
    try:
        ensure_editable(round)
    except DomainError as error:
        return _refused(round, error)
    form = _edit_form(round)
    if form.validate_on_submit():
        settings = replace(
            settings_of(round),
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
            tool_key=form.tool_key.data or round.tool_key,
            learning_item_ids=learning.ids_from_form(form.learning_items.data),
        )
        try:
            changed = learning.update_round_linked(round, settings)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("The round's settings were saved" if changed else "Nothing was changed", "success")
            return redirect(url_for("rounds.show", round_id=round.id))
    return render_form("rounds/edit.html", form, round=round)


@bp.route("/<int:round_id>/moderation", methods=["GET", "POST"])
@coordinator
def moderation_setting(round: AuditRound):
    """Choose blind or open moderation, also after the draw, until an audit is moderated or graded blind."""
    refusal = moderation_setting_refusal(round)
    if refusal:
        flash(refusal)
        return redirect(url_for("rounds.show", round_id=round.id, _anchor="settings"))
    form = ModerationSettingForm(data={"blind_moderation": "blind" if round.blind_moderation else "open"})
    if form.validate_on_submit():
        try:
            changed = change_blind_moderation(round, blind=form.blind_moderation.data == "blind")
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("How the round's audits are moderated was saved" if changed else "Nothing was changed", "success")
            return redirect(url_for("rounds.show", round_id=round.id, _anchor="settings"))
    return render_form("rounds/moderation_setting.html", form, round=round)


@bp.route("/<int:round_id>/cancel", methods=["GET", "POST"])
@coordinator
def cancel(round: AuditRound):
    """A GOV.UK confirmation page that says what cancelling does; the POST (with a reason) does it."""
    try:
        ensure_open(round)
    except DomainError as error:
        return _refused(round, error)
    form = CancelRoundForm()
    if form.validate_on_submit():
        try:
            effects = cancel_round(round, reason=form.reason.data or "", cancelled_by_id=current_user.id)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            closed = effects.closed
            flash(
                f"Round '{round.name}' cancelled. "
                + (f"{closed} audit{'s' if closed != 1 else ''} closed." if closed else "No audits needed closing."),
                "success",
            )
            return redirect(url_for("rounds.index"))
    return render_form(
        "rounds/cancel.html", form, round=round, effects=cancel_effects(round), audit_states=AUDIT_STATES
    )
