"""Findings and actions (QA coordinator) and the action plan (coordinator and board). The report is in reports/."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auditapp.domain import findings as finding_domain
from auditapp.domain import learning, org, round_views
from auditapp.domain.audits import tool_for
from auditapp.domain.errors import DomainError
from auditapp.findings.forms import ActionForm, FindingForm, UpdateForm
from auditapp.forms import add_domain_error, choices, int_or_none, render_form
from auditapp.models import ACTION_STATUSES, Action, AuditRound, Finding, Role
from auditapp.models.types import utcnow
from auditapp.security.access import register_loader, requires_role

bp = Blueprint("findings", __name__)
register_loader("finding_id", Finding)
register_loader("action_id", Action)
coordinator = requires_role(Role.QA_COORDINATOR)
coordinator_or_board = requires_role(Role.QA_COORDINATOR, Role.BOARD_MEMBER)


def _published_for_the_board(user, action: Action, **_objects) -> bool:
    """Board members see an action only once its round has a current published report (else 404)."""
    from auditapp.domain.publishing import current_report

    return user.role != Role.BOARD_MEMBER or current_report(action.finding.audit_round) is not None


action_reader = requires_role(Role.QA_COORDINATOR, Role.BOARD_MEMBER, check=_published_for_the_board)


@bp.route("/rounds/<int:round_id>/findings", methods=["GET", "POST"])
@coordinator
def round_findings(round: AuditRound):
    form = FindingForm()
    tool = tool_for(round)
    form.question_ids.choices = choices((q.id, q.text) for q in tool.questions)
    form.case_refs.choices = choices((s.case.case_ref, s.case.case_ref) for s in round.sampled if not s.replaced)
    form.learning_items.choices = learning.choice_pairs(learning.choosable_items())
    if form.validate_on_submit():
        try:
            finding_domain.add_finding(
                round,
                title=form.title.data,
                so_what=form.so_what.data,
                evidence=form.evidence.data or "",
                question_ids=form.question_ids.data,
                case_refs=form.case_refs.data,
                recommendation=form.recommendation.data,
                learning_item_ids=learning.ids_from_form(form.learning_items.data),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Finding saved")
            return redirect(url_for("findings.round_findings", round_id=round.id))
    round_views.view_findings(round)  # kept when the page is shown (200); a refused form (400) rolls back
    findings = finding_domain.findings_for(round)
    return render_form(
        "findings/round.html",
        form,
        round=round,
        findings=findings,
        round_learning=learning.items_for_round(round),
        finding_learning=learning.items_by_finding(findings),
        today=utcnow().date(),
        tool=tool,
        locked=finding_domain.change_refusal(round),  # why findings cannot change now, or None
    )


@bp.route("/findings/<int:finding_id>/actions", methods=["GET", "POST"])
@coordinator
def add_action(finding: Finding):
    form = ActionForm()
    form.agency_id.choices = choices(
        ((a.id, a.name) for a in org.list_agencies(active_only=True)), blank="Select an agency"
    )
    if form.validate_on_submit():
        try:
            finding_domain.add_action(
                finding,
                description=form.description.data,
                agency_id=int_or_none(form.agency_id.data) or 0,
                owner_name=form.owner_name.data,
                due_date=form.due_date.data,
                success_measure=form.success_measure.data or "",
                reaudit_date=form.reaudit_date.data,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Action added")
            return redirect(url_for("findings.round_findings", round_id=finding.round_id))
    return render_form("findings/action_form.html", form, finding=finding)


@bp.route("/actions/<int:action_id>")
@action_reader
def action(action: Action):
    """An action and its progress; the coordinator also sees the form to record progress."""
    form = UpdateForm()
    form.status.data = action.status
    return render_template(
        "findings/action.html",
        form=form,
        action=action,
        today=utcnow().date(),
        locked=finding_domain.change_refusal(action.finding.audit_round),
    )


@bp.route("/actions/<int:action_id>/updates", methods=["POST"])
@coordinator
def action_update(action: Action):
    """Record progress (board members read actions; only the QA coordinator records progress)."""
    form = UpdateForm()
    if form.validate_on_submit():
        try:
            finding_domain.add_update(action, note=form.note.data, status=form.status.data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Progress recorded")
            return redirect(url_for("findings.action", action_id=action.id))
    return render_form(
        "findings/action.html",
        form,
        action=action,
        today=utcnow().date(),
        locked=finding_domain.change_refusal(action.finding.audit_round),
    )


@bp.route("/actions")
@coordinator_or_board
def action_plan():
    filters = finding_domain.ActionFilter(
        agency_id=int_or_none(request.args.get("agency")),
        status=request.args.get("status") or None,
        overdue_only=request.args.get("overdue") == "1",
        published_only=current_user.role == Role.BOARD_MEMBER,  # the board sees a round's actions once published
    )
    today = utcnow().date()
    actions = finding_domain.action_plan(filters=filters, today=today)
    return render_template(
        "findings/action_plan.html",
        actions=actions,
        filters=filters,
        agencies=org.list_agencies(),
        statuses=ACTION_STATUSES,
        today=today,
    )
