"""Changing findings and actions (issue 13): editing and deleting them until the round's report is published.

On the findings blueprint (``findings.routes.bp``); registered in ``app._register_blueprints``.
"""

from __future__ import annotations

from flask import flash, redirect, url_for

from auditapp.domain import findings as finding_domain
from auditapp.domain import learning, org
from auditapp.domain.audits import tool_for
from auditapp.domain.errors import DomainError
from auditapp.findings.forms import DeleteForm, EditActionForm, EditFindingForm, fill_owner_choices
from auditapp.findings.routes import bp, coordinator
from auditapp.forms import add_domain_error, choices, int_or_none, render_form
from auditapp.models import Action, AuditRound, Finding


def _refused(audit_round: AuditRound, error: DomainError):
    """Back to the round's findings, saying why (a redirect: the page the coordinator came from)."""
    flash(error.message)
    return redirect(url_for("findings.round_findings", round_id=audit_round.id))


@bp.route("/findings/<int:finding_id>/edit", methods=["GET", "POST"])
@coordinator
def edit_finding(finding: Finding):
    audit_round = finding.audit_round
    try:
        finding_domain.ensure_changeable(audit_round)
    except DomainError as error:
        return _refused(audit_round, error)
    linked = learning.items_for_finding(finding)
    form = EditFindingForm(
        data={
            "title": finding.title,
            "evidence": finding.evidence,
            "question_ids": list(finding.question_ids or []),
            "case_refs": list(finding.case_refs or []),
            "so_what": finding.so_what,
            "recommendation": finding.recommendation,
            "learning_items": [str(i.id) for i in linked],
        }
    )
    form.learning_items.choices = learning.choice_pairs(learning.choosable_items(linked))
    tool = tool_for(audit_round)
    form.question_ids.choices = choices((q.id, q.text) for q in tool.questions)
    form.case_refs.choices = choices((s.case.case_ref, s.case.case_ref) for s in audit_round.sampled if not s.replaced)
    if form.validate_on_submit():
        try:
            changed = finding_domain.edit_finding(
                finding,
                title=form.title.data or "",
                so_what=form.so_what.data or "",
                evidence=form.evidence.data or "",
                question_ids=form.question_ids.data,
                case_refs=form.case_refs.data,
                recommendation=form.recommendation.data,
                learning_item_ids=learning.ids_from_form(form.learning_items.data),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Finding changed" if changed else "Nothing was changed", "success")
            return redirect(url_for("findings.round_findings", round_id=audit_round.id))
    return render_form("findings/finding_edit.html", form, finding=finding, round=audit_round)


@bp.route("/findings/<int:finding_id>/delete", methods=["GET", "POST"])
@coordinator
def delete_finding(finding: Finding):
    """A GOV.UK confirmation page (saying which actions go too); the POST deletes."""
    audit_round = finding.audit_round
    try:
        finding_domain.ensure_changeable(audit_round)
    except DomainError as error:
        return _refused(audit_round, error)
    form = DeleteForm()
    if form.validate_on_submit():
        title = finding.title
        try:
            actions = finding_domain.delete_finding(finding)
        except DomainError as error:
            return _refused(audit_round, error)
        gone = f" and its {actions} action{'s' if actions != 1 else ''}" if actions else ""
        flash(f"Finding '{title}'{gone} deleted", "success")
        return redirect(url_for("findings.round_findings", round_id=audit_round.id))
    return render_form("findings/finding_delete.html", form, finding=finding, round=audit_round)


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@coordinator
def edit_action(action: Action):
    audit_round = action.finding.audit_round
    try:
        finding_domain.ensure_changeable(audit_round)
    except DomainError as error:
        return _refused(audit_round, error)
    form = EditActionForm(
        data={
            "description": action.description,
            "agency_id": str(action.agency_id),
            "owner_id": str(action.owner_id or ""),
            "due_date": action.due_date,
            "success_measure": action.success_measure or "",
            "reaudit_date": action.reaudit_date,
        }
    )
    agencies = {a.id: a.name for a in org.list_agencies(active_only=True)}
    agencies.setdefault(action.agency_id, action.agency.name)  # an agency since made inactive stays choosable
    form.agency_id.choices = choices(agencies.items(), blank="Select an agency")
    fill_owner_choices(form, keep=action.owner)
    if form.validate_on_submit() and form.due_date.data is not None:
        try:
            changed = finding_domain.edit_action(
                action,
                description=form.description.data or "",
                agency_id=int_or_none(form.agency_id.data) or 0,
                owner_name=action.owner_name,  # kept when no owner is chosen (an action named only)
                owner_id=int_or_none(form.owner_id.data),
                due_date=form.due_date.data,
                success_measure=form.success_measure.data or "",
                reaudit_date=form.reaudit_date.data,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Action changed" if changed else "Nothing was changed", "success")
            return redirect(url_for("findings.action", action_id=action.id))
    return render_form("findings/action_edit.html", form, action=action)


@bp.route("/actions/<int:action_id>/delete", methods=["GET", "POST"])
@coordinator
def delete_action(action: Action):
    """A GOV.UK confirmation page (saying its progress updates go too); the POST deletes."""
    audit_round = action.finding.audit_round
    try:
        finding_domain.ensure_changeable(audit_round)
    except DomainError as error:
        return _refused(audit_round, error)
    form = DeleteForm()
    if form.validate_on_submit():
        description = action.description
        try:
            finding_domain.delete_action(action)
        except DomainError as error:
            return _refused(audit_round, error)
        flash(f"Action '{description[:100]}' deleted", "success")
        return redirect(url_for("findings.round_findings", round_id=audit_round.id))
    return render_form("findings/action_delete.html", form, action=action)
