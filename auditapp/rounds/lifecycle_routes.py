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
from auditapp.forms import add_domain_error, render_form
from auditapp.models import AUDIT_STATES, AuditRound
from auditapp.rounds.blueprint import bp, coordinator
from auditapp.rounds.forms import (
    CancelRoundForm,
    EditRoundForm,
    ModerationSettingForm,
    fill_round_choices,
    form_data,
    settings_fields,
    tool_choices,
)


def _edit_form(audit_round: AuditRound) -> EditRoundForm:
    """The creation form, prefilled with the round's settings on a GET (a POST keeps what was sent)."""
    linked = learning.items_for_round(audit_round)
    settings = replace(settings_of(audit_round), learning_item_ids=[i.id for i in linked])
    form = EditRoundForm(data=form_data(settings))
    options = case_domain.filter_options()
    agencies = [a.name for a in org.list_agencies(active_only=True)]
    tools = tool_choices()
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
        settings = replace(settings_of(round), **settings_fields(form), tool_key=form.tool_key.data or round.tool_key)
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
