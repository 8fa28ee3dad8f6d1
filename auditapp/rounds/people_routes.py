"""The people in a round, for the QA coordinator: assigning auditors (automatically after a preview, or by hand),
giving an audit to another auditor, removing an auditor, and replacing a sampled case. Every change that closes
an audit goes through a confirmation page."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from auditapp.domain import assignment_changes as changes
from auditapp.domain import assignments as assignment_domain
from auditapp.domain import org
from auditapp.domain import round_overview as overview
from auditapp.domain.errors import DomainError
from auditapp.forms import add_domain_error, choices, int_or_none, render_form
from auditapp.models import Assignment, AuditRound, SampledCase
from auditapp.rounds.blueprint import bp, coordinator, coordinator_in_round
from auditapp.rounds.forms import ManualAssignForm, ReplaceForm
from auditapp.rounds.people_forms import (
    START_AGAIN,
    ChangeAuditorForm,
    ConfirmAutoAssignForm,
    ConfirmRemoveForm,
    StartAgainForm,
)


def _default_max_load() -> int | None:
    """The load limit for rounds that set none (config AUDITOR_MAX_LOAD)."""
    value = current_app.config.get("AUDITOR_MAX_LOAD", 4)
    return int(value) if value else None


def _back(audit_round: AuditRound):
    return redirect(url_for("rounds.show", round_id=audit_round.id))


def _place(agency: str | None) -> str:
    return f"the {agency} place" if agency else "the independent place"


@bp.route("/<int:round_id>/sample/<int:sampled_id>/replace", methods=["GET", "POST"])
@coordinator_in_round
def replace(round: AuditRound, sampled: SampledCase):
    form = ReplaceForm()
    incoming = overview.proposed_replacement(round, sampled.case.case_ref) if not sampled.replaced else None
    effects = changes.replace_effects(sampled) if not sampled.replaced else []
    if form.validate_on_submit():
        try:
            outcome = changes.replace_and_assign(
                round, sampled, reason=form.reason.data or "", default_max_load=_default_max_load()
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            message = f"Case {sampled.case.case_ref} replaced by {outcome.incoming_ref}."
            if outcome.withdrawn:
                message += f" {outcome.withdrawn} started audit(s) withdrawn: case replaced."
            if outcome.plan is not None:
                message += f" Auditors assigned to {len(outcome.plan.assignments)} place(s)."
                if outcome.plan.unfilled:
                    message += f" {len(outcome.plan.unfilled)} place(s) still need an auditor."
            flash(message, "success")
            return _back(round)
    return render_form("rounds/replace.html", form, round=round, sampled=sampled, incoming=incoming, effects=effects)


@bp.route("/<int:round_id>/assign/auto")
@coordinator
def assign_auto_preview(round: AuditRound):
    try:
        proposal = assignment_domain.preview_automatic(round, default_max_load=_default_max_load())
    except DomainError as error:
        flash(error.message)
        return _back(round)
    form = ConfirmAutoAssignForm(proposal=proposal.fingerprint)
    return render_template("rounds/auto_assign.html", round=round, proposal=proposal, form=form)


@bp.route("/<int:round_id>/assign", methods=["POST"])
@coordinator
def assign_auto(round: AuditRound):
    form = ConfirmAutoAssignForm()
    status, changed = 400, None
    if form.validate_on_submit():
        try:
            plan = assignment_domain.assign_automatically(
                round, default_max_load=_default_max_load(), fingerprint=form.proposal.data
            )
        except assignment_domain.ProposalChanged as error:
            status, changed = 409, error.message
        except DomainError as error:
            flash(error.message)
            return _back(round)
        else:
            unfilled = f" {len(plan.unfilled)} place(s) still need an auditor." if plan.unfilled else ""
            flash(f"Auditors assigned to {len(plan.assignments)} place(s).{unfilled}", "success")
            return _back(round)
    # Shown again with the proposal as it is now (nothing was applied: this answer rolls back).
    try:
        proposal = assignment_domain.propose_automatic(round, default_max_load=_default_max_load())
    except DomainError as error:
        flash(error.message)
        return _back(round)
    form.proposal.data = proposal.fingerprint
    page = render_template("rounds/auto_assign.html", round=round, proposal=proposal, form=form, changed=changed)
    return page, status


def _auditor_choices(field, *, blank: str, leave_out: int | None = None) -> None:
    field.choices = choices(
        ((u.id, assignment_domain.auditor_label(u)) for u in assignment_domain.active_auditors() if u.id != leave_out),
        blank=blank,
    )


def _manual_choices(form: ManualAssignForm, audit_round: AuditRound) -> None:
    _auditor_choices(form.auditor_id, blank="Select an auditor")
    agencies = audit_round.agencies or [a.name for a in org.list_agencies(active_only=True)]
    form.agency.choices = choices(((a, a) for a in agencies), blank="Independent (no agency place)")


@bp.route("/<int:round_id>/sample/<int:sampled_id>/assign", methods=["GET", "POST"])
@coordinator_in_round
def assign_manual(round: AuditRound, sampled: SampledCase):
    form = ManualAssignForm()
    _manual_choices(form, round)
    breaches = []
    if form.validate_on_submit():
        auditor_id = int_or_none(form.auditor_id.data)
        try:
            if auditor_id is None:
                raise DomainError("Select an auditor from the list", field="auditor_id")
            breaches = assignment_domain.check_manual(
                round,
                sampled,
                auditor_id=auditor_id,
                agency=form.agency.data or None,
                lead=form.lead.data,
                default_max_load=_default_max_load(),
            ).breaches
            assignment_domain.assign_manually(
                round,
                sampled,
                auditor_id=auditor_id,
                agency=form.agency.data or None,
                lead=form.lead.data,
                justification=form.justification.data,
                default_max_load=_default_max_load(),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Auditor assigned to case {sampled.case.case_ref}", "success")
            return _back(round)
    return render_form(
        "rounds/assign.html", form, round=round, sampled=sampled, breaches=breaches, rules=overview.rules()
    )


def _changeable(assignment: Assignment) -> None:
    """A withdrawn audit, or one on a replaced case, has nobody to change: 404 (the round page shows no link)."""
    if assignment.sampled_case.replaced or assignment_domain.is_withdrawn(assignment):
        abort(404)


@bp.route("/<int:round_id>/assignments/<int:assignment_id>/remove", methods=["GET", "POST"])
@coordinator_in_round
def remove_assignment(round: AuditRound, assignment: Assignment):
    _changeable(assignment)
    form = ConfirmRemoveForm()
    so_far = changes.audit_so_far(assignment)
    if form.validate_on_submit():
        name, case_ref = assignment.auditor.name, assignment.sampled_case.case.case_ref
        try:
            withdrawn = changes.remove(assignment, reason=form.reason.data or "")
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if withdrawn is not None:
                flash(f"{name}'s audit of case {case_ref} withdrawn. Its answers are kept for the record", "success")
            else:
                flash(f"{name} removed from case {case_ref}", "success")
            return _back(round)
    return render_form("rounds/remove_assignment.html", form, round=round, so_far=so_far, place=_place)


@bp.route("/<int:round_id>/assignments/<int:assignment_id>/change", methods=["GET", "POST"])
@coordinator_in_round
def change_auditor(round: AuditRound, assignment: Assignment):
    _changeable(assignment)
    form = ChangeAuditorForm()
    _auditor_choices(form.auditor_id, blank="Select an auditor", leave_out=assignment.auditor_id)
    so_far = changes.audit_so_far(assignment)
    breaches = []
    if form.validate_on_submit():
        auditor_id = int_or_none(form.auditor_id.data)
        try:
            breaches = changes.check_reassign(assignment, auditor_id=auditor_id, default_max_load=_default_max_load())
            if form.answers.data == START_AGAIN and so_far.started:
                # Destructive: the confirmation page says what will happen and asks again.
                return redirect(
                    url_for(
                        "rounds.change_auditor_start_again",
                        round_id=round.id,
                        assignment_id=assignment.id,
                        auditor_id=auditor_id,
                    )
                )
            holder = changes.reassign(
                assignment,
                auditor_id=auditor_id,
                justification=form.justification.data,
                default_max_load=_default_max_load(),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            kept = " Their answers so far are kept." if so_far.started else ""
            flash(f"Case {holder.sampled_case.case.case_ref} is now audited by {holder.auditor.name}.{kept}", "success")
            return _back(round)
    return render_form("rounds/change_auditor.html", form, round=round, so_far=so_far, breaches=breaches, place=_place)


@bp.route("/<int:round_id>/assignments/<int:assignment_id>/change/start-again", methods=["GET", "POST"])
@coordinator_in_round
def change_auditor_start_again(round: AuditRound, assignment: Assignment):
    _changeable(assignment)
    form = StartAgainForm()
    auditor_id = int_or_none(request.args.get("auditor_id"))
    change_page = url_for("rounds.change_auditor", round_id=round.id, assignment_id=assignment.id)
    new_auditor = next((u for u in assignment_domain.active_auditors() if u.id == auditor_id), None)
    if new_auditor is None or new_auditor.id == assignment.auditor_id:
        return redirect(change_page)
    so_far = changes.audit_so_far(assignment)
    try:
        breaches = changes.check_reassign(assignment, auditor_id=auditor_id, default_max_load=_default_max_load())
    except DomainError as error:
        flash(error.message)
        return redirect(change_page)
    if form.validate_on_submit():
        old_name = assignment.auditor.name
        try:
            holder = changes.reassign(
                assignment,
                auditor_id=auditor_id,
                start_again=True,
                justification=form.justification.data,
                default_max_load=_default_max_load(),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(
                f"{old_name}'s audit of case {holder.sampled_case.case.case_ref} withdrawn; "
                f"{holder.auditor.name} starts a new one",
                "success",
            )
            return _back(round)
    return render_form(
        "rounds/start_again.html",
        form,
        round=round,
        so_far=so_far,
        new_auditor=new_auditor,
        breaches=breaches,
        change_page=change_page,
    )
