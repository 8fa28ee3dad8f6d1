"""Action owners (issue 16): "Your actions", and the action plan's exports (XLSX in the request; the PDF for Board
papers is a document made by the worker).

On the findings blueprint (``findings.routes.bp``); registered in ``app._register_blueprints``. An action's own page
and its progress form are ``findings.action`` and ``findings.action_update`` (routes.py), open to its owner.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Response, abort, redirect, render_template, url_for
from flask_login import current_user

from auditapp.domain import action_progress
from auditapp.domain import findings as finding_domain
from auditapp.findings.forms import ExportForm
from auditapp.findings.routes import bp, coordinator_or_board, plan_filters
from auditapp.models import ACTION_STATUSES
from auditapp.models.types import utcnow
from auditapp.reports import action_plan as exports
from auditapp.security.access import signed_in


@bp.route("/my-actions")
@signed_in
def my_actions():
    """The actions the signed-in user owns (any role; empty for most), soonest due first, overdue ones marked."""
    actions = action_progress.actions_owned_by(current_user)
    return render_template(
        "findings/my_actions.html",
        actions=actions,
        today=utcnow().date(),
        latest=action_progress.latest_update,
        statuses=ACTION_STATUSES,
    )


def _xlsx(actions, *, filters: finding_domain.ActionFilter, name: str) -> Response:
    action_progress.record_export("xlsx", count=len(actions), filters=exports.filters_payload(filters))
    return Response(
        exports.build_xlsx(actions),
        mimetype=exports.XLSX_MIMETYPE,
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.route("/actions/export.xlsx")
@coordinator_or_board
def action_plan_xlsx():
    """The action plan as a spreadsheet, with the page's filters (and ?round= for one round's actions)."""
    filters = replace(plan_filters(), overdue_only=False)
    actions = finding_domain.action_plan(filters=filters, today=utcnow().date())
    return _xlsx(actions, filters=filters, name=f"action-plan-{utcnow().date().isoformat()}.xlsx")


@bp.route("/my-actions/export.xlsx")
@signed_in
def my_actions_xlsx():
    """The signed-in user's own actions as a spreadsheet."""
    filters = finding_domain.ActionFilter(owner_id=current_user.id)
    actions = action_progress.actions_owned_by(current_user)
    return _xlsx(actions, filters=filters, name=f"your-actions-{utcnow().date().isoformat()}.xlsx")


@bp.route("/actions/export.pdf", methods=["POST"])
@coordinator_or_board
def action_plan_pdf():
    """Ask the worker for the action plan as a PDF for Board papers; its status page offers the file."""
    from auditapp.reports.document_jobs import request_document

    if not ExportForm().validate_on_submit():
        abort(400)
    filters = replace(plan_filters(), overdue_only=False)
    job = request_document(
        "action_plan",
        payload=exports.filters_payload(filters),
        user_id=current_user.id,
        title=exports.plan_title(filters),
    )
    return redirect(url_for("main.job_status", job_id=job.id))
