"""The Board report: preview, check and publish a round's report, withdraw a published one (QA coordinator), and
the published reports with their history (coordinator and board). Its data and rendering are in report_data.py
and render.py, the publishing job in jobs.py, the rules (check, versions, withdrawal) in domain/publishing.py."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from auditapp.domain import publishing, round_views
from auditapp.domain.errors import DomainError
from auditapp.forms import add_domain_error, render_form
from auditapp.jobs import submit
from auditapp.models import AuditRound, PublishedReport, Role
from auditapp.models.types import utcnow
from auditapp.reports import documents as _documents  # noqa: F401 - registers the documents made in the worker
from auditapp.reports import jobs as _jobs  # noqa: F401 - registers the publishing job
from auditapp.reports.document_jobs import request_document
from auditapp.reports.forms import PublishForm, WithdrawForm
from auditapp.reports.render import render_report_html
from auditapp.reports.report_types import Interim
from auditapp.security import fresh
from auditapp.security.access import register_loader, requires_role
from auditapp.vocabulary import ReportStatus

bp = Blueprint("reports", __name__)
register_loader("report_id", PublishedReport)
coordinator = requires_role(Role.QA_COORDINATOR)
coordinator_or_board = requires_role(Role.QA_COORDINATOR, Role.BOARD_MEMBER)


@bp.route("/reports")
@coordinator_or_board
def published():
    """Each round's current report and its history (superseded and withdrawn versions, with reasons and dates)."""
    return render_template(
        "reports/published.html", rounds=publishing.report_history(), statuses=ReportStatus, board=_is_board()
    )


@bp.route("/reports/<int:report_id>.pdf")
@coordinator_or_board
def download(report: PublishedReport):
    try:
        pdf = publishing.download(report, board_member=_is_board())
    except DomainError:
        flash("This report has been withdrawn, so its PDF is no longer available to the board")
        return redirect(url_for("reports.published"))
    status = publishing.status_of(report)
    label = "" if status == ReportStatus.CURRENT else f"-{status}"
    name = f"case-file-audit-report-{report.round_id}-version-{report.version}{label}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={name}", "X-Content-SHA256": report.sha256},
    )


@bp.route("/rounds/<int:round_id>/report")
@coordinator
def preview(round: AuditRound):
    """The report as it will be published, in the browser (same data, same charts as the PDF)."""
    as_of = utcnow()
    check = publishing.readiness(round)
    interim = None if check.complete else Interim(missing=check.missing(), reason=None)
    try:
        body = render_report_html(
            round, as_of=as_of, partnership=current_app.config["PARTNERSHIP_NAME"], interim=interim
        )
    except DomainError as error:
        flash(error.message)
        return redirect(url_for("rounds.show", round_id=round.id))
    round_views.report_previewed(round, as_of=as_of)
    return render_template("reports/preview.html", round=round, body=body, interim=interim)


@bp.route("/rounds/<int:round_id>/report.pdf", methods=["POST"])
@coordinator
def draft_pdf(round: AuditRound):
    """Ask the worker for a draft PDF for the coordinator to check before publishing (not stored as a report):
    the job's status page offers it when it is made (issue 16: no PDF is rendered in a request)."""
    job = request_document(
        "draft_report",
        payload={"round_id": round.id, "as_of": utcnow().isoformat()},
        user_id=current_user.id,
        title=f"Draft Board report: {round.name}",
    )
    return redirect(url_for("main.job_status", job_id=job.id))


@bp.route("/rounds/<int:round_id>/publish", methods=["GET", "POST"])
@coordinator
def publish(round: AuditRound):
    """The check before publishing: what is incomplete, with links; then the confirmation to publish (an interim
    report, with a reason, when the round is incomplete; a new version, with a reason, when one is current)."""
    if round.drawn_at is None:
        flash("Draw the sample before publishing a report")
        return redirect(url_for("rounds.show", round_id=round.id))
    if round.cancelled_at is not None:  # issue 13: a cancelled round is never published (domain.rounds.ensure_open)
        flash(f"The round was cancelled on {round.cancelled_at:%-d %B %Y}: its report cannot be published")
        return redirect(url_for("rounds.show", round_id=round.id))
    check = publishing.readiness(round)
    current = publishing.current_report(round)
    latest = publishing.latest_report(round)
    form = PublishForm()
    if check.complete:
        del form.interim_reason
    if current is None:
        del form.change_reason
    if form.validate_on_submit():
        if (stale := fresh.confirm_first()) is not None:  # issue 16: publishing needs a recent sign-in
            return stale
        reasons: dict[str, str | None] = {"interim_reason": None, "change_reason": None}
        try:
            if not check.complete:
                reasons["interim_reason"] = publishing.clean_reason(
                    form.interim_reason.data,
                    what="why you are publishing before the round is complete",
                    field_name="interim_reason",
                )
            if current is not None:
                reasons["change_reason"] = publishing.clean_reason(
                    form.change_reason.data,
                    what="why this version replaces the current report",
                    field_name="change_reason",
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            record = submit(
                kind="report_publish",
                payload={"round_id": round.id, "as_of": utcnow().isoformat(), **reasons},
                user_id=current_user.id,
            )
            return redirect(url_for("main.job_status", job_id=record.id))
    publishing.publish_checked(round, check)
    return render_form(
        "reports/check.html",
        form,
        round=round,
        check=check,
        current=current,
        next_version=(latest.version + 1) if latest else 1,
    )


@bp.route("/reports/<int:report_id>/withdraw", methods=["GET", "POST"])
@coordinator
def withdraw(report: PublishedReport):
    """Withdraw the round's current report from the board, with a reason (confirmation page)."""
    if publishing.status_of(report) != ReportStatus.CURRENT:
        flash("Only the current version of a report can be withdrawn")
        return redirect(url_for("reports.published"))
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            publishing.withdraw(report, reason=form.reason.data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Withdrew version {report.version} of the {report.audit_round.name} report", "success")
            return redirect(url_for("reports.published"))
    return render_form("reports/withdraw.html", form, report=report)


def _is_board() -> bool:
    return bool(current_user.role == Role.BOARD_MEMBER)
