"""The Board report: preview and publish a round's report (QA coordinator), and the published reports (coordinator
and board). Its data and rendering are in report_data.py and render.py, the publishing job in jobs.py."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from auditapp.domain import publishing, round_views
from auditapp.domain.errors import DomainError
from auditapp.jobs import submit
from auditapp.models import AuditRound, PublishedReport, Role
from auditapp.models.types import utcnow
from auditapp.reports import jobs as _jobs  # noqa: F401 - registers the publishing job
from auditapp.reports.forms import PublishForm
from auditapp.reports.render import render_report_html, render_report_pdf
from auditapp.security.access import register_loader, requires_role

bp = Blueprint("reports", __name__)
register_loader("report_id", PublishedReport)
coordinator = requires_role(Role.QA_COORDINATOR)
coordinator_or_board = requires_role(Role.QA_COORDINATOR, Role.BOARD_MEMBER)


@bp.route("/reports")
@coordinator_or_board
def published():
    return render_template("reports/published.html", reports=publishing.published_reports())


@bp.route("/reports/<int:report_id>.pdf")
@coordinator_or_board
def download(report: PublishedReport):
    name = f"case-file-audit-report-{report.round_id}-{report.id}.pdf"
    return Response(
        publishing.download(report),
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={name}", "X-Content-SHA256": report.sha256},
    )


@bp.route("/rounds/<int:round_id>/report")
@coordinator
def preview(round: AuditRound):
    """The report as it will be published, in the browser (same data, same charts as the PDF)."""
    as_of = utcnow()
    try:
        body = render_report_html(round, as_of=as_of, partnership=current_app.config["PARTNERSHIP_NAME"])
    except DomainError as error:
        flash(error.message)
        return redirect(url_for("rounds.show", round_id=round.id))
    round_views.report_previewed(round, as_of=as_of)
    return render_template("reports/preview.html", round=round, body=body, publish_form=PublishForm())


@bp.route("/rounds/<int:round_id>/report.pdf")
@coordinator
def draft_pdf(round: AuditRound):
    """A draft PDF for the coordinator to check before publishing (not stored)."""
    as_of = utcnow()
    pdf, pages = render_report_pdf(round, as_of=as_of, partnership=current_app.config["PARTNERSHIP_NAME"])
    round_views.report_draft_downloaded(round, as_of=as_of, pages=pages)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=draft-report-round-{round.id}.pdf"},
    )


@bp.route("/rounds/<int:round_id>/publish", methods=["POST"])
@coordinator
def publish(round: AuditRound):
    if not PublishForm().validate_on_submit():
        return redirect(url_for("reports.preview", round_id=round.id))
    record = submit(
        kind="report_publish", payload={"round_id": round.id, "as_of": utcnow().isoformat()}, user_id=current_user.id
    )
    return redirect(url_for("main.job_status", job_id=record.id))
