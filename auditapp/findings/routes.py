"""Findings and actions (QA coordinator), the action plan (coordinator and board), published reports."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from auditapp.domain import findings as finding_domain
from auditapp.domain import org, publishing, round_views
from auditapp.domain.audits import tool_for
from auditapp.domain.errors import DomainError
from auditapp.findings import jobs as _jobs  # noqa: F401 - registers the publishing job
from auditapp.findings.forms import ActionForm, FindingForm, UpdateForm
from auditapp.forms import add_domain_error, choices, int_or_none, render_form
from auditapp.jobs import submit
from auditapp.models import ACTION_STATUSES, Action, AuditRound, Finding, PublishedReport, Role
from auditapp.models.types import utcnow
from auditapp.security.access import register_loader, requires_role

bp = Blueprint("findings", __name__)
register_loader("finding_id", Finding)
register_loader("action_id", Action)
register_loader("report_id", PublishedReport)
coordinator = requires_role(Role.QA_COORDINATOR)
coordinator_or_board = requires_role(Role.QA_COORDINATOR, Role.BOARD_MEMBER)


@bp.route("/rounds/<int:round_id>/findings", methods=["GET", "POST"])
@coordinator
def round_findings(round: AuditRound):
    form = FindingForm()
    tool = tool_for(round)
    form.question_ids.choices = choices((q.id, q.text) for q in tool.questions)
    form.case_refs.choices = choices((s.case.case_ref, s.case.case_ref) for s in round.sampled if not s.replaced)
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
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Finding saved")
            return redirect(url_for("findings.round_findings", round_id=round.id))
    round_views.view_findings(round)  # kept when the page is shown (200); a refused form (400) rolls back
    return render_form(
        "findings/round.html",
        form,
        round=round,
        findings=finding_domain.findings_for(round),
        today=utcnow().date(),
        tool=tool,
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
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Action added")
            return redirect(url_for("findings.round_findings", round_id=finding.round_id))
    return render_form("findings/action_form.html", form, finding=finding)


@bp.route("/actions/<int:action_id>")
@coordinator_or_board
def action(action: Action):
    """An action and its progress; the coordinator also sees the form to record progress."""
    form = UpdateForm()
    form.status.data = action.status
    return render_template("findings/action.html", form=form, action=action, today=utcnow().date())


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
    return render_form("findings/action.html", form, action=action, today=utcnow().date())


@bp.route("/actions")
@coordinator_or_board
def action_plan():
    filters = finding_domain.ActionFilter(
        agency_id=int_or_none(request.args.get("agency")),
        status=request.args.get("status") or None,
        overdue_only=request.args.get("overdue") == "1",
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


@bp.route("/reports")
@coordinator_or_board
def reports():
    return render_template("findings/reports.html", reports=publishing.published_reports())


@bp.route("/reports/<int:report_id>.pdf")
@coordinator_or_board
def report_download(report: PublishedReport):
    name = f"case-file-audit-report-{report.round_id}-{report.id}.pdf"
    return Response(
        publishing.download(report),
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={name}", "X-Content-SHA256": report.sha256},
    )


@bp.route("/rounds/<int:round_id>/report")
@coordinator
def report_preview(round: AuditRound):
    """The report as it will be published, in the browser (same data, same charts as the PDF)."""
    from flask import current_app

    from auditapp.findings.forms import PublishForm

    try:
        body = round_views.preview_report(round, as_of=utcnow(), partnership=current_app.config["PARTNERSHIP_NAME"])
    except DomainError as error:
        flash(error.message)
        return redirect(url_for("rounds.show", round_id=round.id))
    return render_template("findings/report_preview.html", round=round, body=body, publish_form=PublishForm())


@bp.route("/rounds/<int:round_id>/report.pdf")
@coordinator
def report_draft_pdf(round: AuditRound):
    """A draft PDF for the coordinator to check before publishing (not stored)."""
    from flask import current_app

    pdf, _pages = round_views.draft_report_pdf(
        round, as_of=utcnow(), partnership=current_app.config["PARTNERSHIP_NAME"]
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=draft-report-round-{round.id}.pdf"},
    )


@bp.route("/rounds/<int:round_id>/publish", methods=["POST"])
@coordinator
def report_publish(round: AuditRound):
    from flask_login import current_user

    from auditapp.findings.forms import PublishForm

    if not PublishForm().validate_on_submit():
        return redirect(url_for("findings.report_preview", round_id=round.id))
    record = submit(
        kind="report_publish", payload={"round_id": round.id, "as_of": utcnow().isoformat()}, user_id=current_user.id
    )
    return redirect(url_for("main.job_status", job_id=record.id))
