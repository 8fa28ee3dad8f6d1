"""Findings and actions (QA coordinator) and the action plan (coordinator and board). The report is in reports/."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auditapp.domain import findings as finding_domain
from auditapp.domain import learning, org, round_views
from auditapp.domain.audits import tool_for
from auditapp.domain.errors import DomainError
from auditapp.findings.forms import ActionForm, ExportForm, FindingForm, UpdateForm, fill_owner_choices
from auditapp.forms import add_domain_error, choices, int_or_none, render_form
from auditapp.models import ACTION_STATUSES, Action, AuditRound, Finding, Role
from auditapp.models.types import utcnow
from auditapp.security.access import register_loader, requires_role, signed_in

bp = Blueprint("findings", __name__)
register_loader("finding_id", Finding)
register_loader("action_id", Action)
coordinator = requires_role(Role.QA_COORDINATOR)
coordinator_or_board = requires_role(Role.QA_COORDINATOR, Role.BOARD_MEMBER)


def _published_for_the_board(user, action: Action, **_objects) -> bool:
    """Board members see an action only once its round has a current published report (else 404)."""
    from auditapp.domain.publishing import current_report

    return user.role != Role.BOARD_MEMBER or current_report(action.finding.audit_round) is not None


def _may_read(user, action: Action) -> bool:
    """Issue 16: the action's owner (whatever their role), the QA coordinator, or the board once it is published."""
    mine = action.owner_id is not None and action.owner_id == user.id
    return (
        mine
        or user.role == Role.QA_COORDINATOR
        or (user.role == Role.BOARD_MEMBER and _published_for_the_board(user, action))
    )


def _may_record(user, action: Action) -> bool:
    """The QA coordinator records progress on any action; its owner on their own (issue 16)."""
    return user.role == Role.QA_COORDINATOR or (action.owner_id is not None and action.owner_id == user.id)


def _action_rule(*, record: bool):
    """An action's page (``record``: its progress form). Whoever may not read the action gets a 404 (an action
    owner does not learn whether another's action exists); a reader who may not record progress, a 403."""

    def decorator(view):
        @signed_in
        @wraps(view)
        def wrapper(action: Action, **objects):
            if not _may_read(current_user, action):
                abort(404)
            if record and not _may_record(current_user, action):
                abort(403)
            return view(action=action, **objects)

        return wrapper

    return decorator


action_reader = _action_rule(record=False)
owner_or_coordinator = _action_rule(record=True)


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
    fill_owner_choices(form)
    if form.validate_on_submit():
        try:
            finding_domain.add_action(
                finding,
                description=form.description.data,
                agency_id=int_or_none(form.agency_id.data) or 0,
                owner_id=int_or_none(form.owner_id.data) or 0,
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
    """An action and its progress (the board and the coordinator; its owner, issue 16); the coordinator and the
    owner also see the form to record progress."""
    form = UpdateForm()
    form.status.data = action.status
    return render_template(
        "findings/action.html",
        form=form,
        action=action,
        today=utcnow().date(),
        locked=finding_domain.change_refusal(action.finding.audit_round),
        may_record=_may_record(current_user, action),
        statuses=ACTION_STATUSES,
    )


@bp.route("/actions/<int:action_id>/updates", methods=["POST"])
@owner_or_coordinator
def action_update(action: Action):
    """Record progress: the QA coordinator, or the action's owner (board members read actions)."""
    form = UpdateForm()
    if form.validate_on_submit():
        try:
            finding_domain.add_update(
                action,
                note=form.note.data or "",
                status=form.status.data or "",
                rag=form.rag.data or None,
                evidence=form.evidence.data,
            )
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
        may_record=True,
        statuses=ACTION_STATUSES,
    )


def plan_filters() -> finding_domain.ActionFilter:
    """The action plan's filters from the query string (the page and its exports)."""
    return finding_domain.ActionFilter(
        agency_id=int_or_none(request.args.get("agency")),
        status=request.args.get("status") if request.args.get("status") in ACTION_STATUSES else None,
        overdue_only=request.args.get("overdue") == "1",
        published_only=current_user.role == Role.BOARD_MEMBER,  # the board sees a round's actions once published
        round_id=int_or_none(request.args.get("round")),
    )


@bp.route("/actions")
@coordinator_or_board
def action_plan():
    filters = plan_filters()
    today = utcnow().date()
    actions = finding_domain.action_plan(filters=filters, today=today)
    return render_template(
        "findings/action_plan.html",
        actions=actions,
        filters=filters,
        agencies=org.list_agencies(),
        statuses=ACTION_STATUSES,
        today=today,
        export_form=ExportForm(),
    )
