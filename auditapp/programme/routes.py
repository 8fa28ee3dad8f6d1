"""Issue 17: the programme dashboard (``programme.dashboard``), its spreadsheet (``programme.dashboard_xlsx``) and
the Board's programme page (``programme.board_page``, a PDF made by the worker), for the QA coordinator and the
Board. The figures are ``figures.build_dashboard``'s for the filters in the query string; aggregates only, so
reading them is not a view of a child's record."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from auditapp.domain.quarters import uk_date
from auditapp.models import Role
from auditapp.models.types import utcnow
from auditapp.programme import board_page as board_doc
from auditapp.programme import export, present
from auditapp.programme.blueprint import COORDINATOR_AND_BOARD, bp
from auditapp.programme.charts import all_charts
from auditapp.programme.forms import FiltersForm, query_args, today_default
from auditapp.security.access import requires_role
from auditapp.vocabulary import PlannedStatus, ReturnStatus

coordinator_or_board = requires_role(*COORDINATOR_AND_BOARD)


def _filters_form() -> FiltersForm:
    """The filters form over the query string, its choices set, validated (``form.errors`` says what is wrong)."""
    today = uk_date(utcnow())
    agencies, themes = present.filter_names()
    form = FiltersForm(formdata=request.args if request.args else None)
    form.setup(quarters=present.quarter_choices(today), agencies=agencies, themes=themes, default=today_default(today))
    form.validate()
    return form


@bp.route("")
@coordinator_or_board
def dashboard():
    """The dashboard: the filters, then each figure group with its chart, its table and a summary in words. Bad
    filters: the error summary and no figures."""
    from auditapp.programme.figures import build_dashboard

    form = _filters_form()
    if form.errors:
        return render_template("programme/dashboard.html", form=form, view=None, charts={}), 400
    filters = form.filters()
    view = present.build_view(build_dashboard(filters))
    return render_template(
        "programme/dashboard.html",
        form=form,
        view=view,
        charts=all_charts(view),
        args=query_args(filters),
        fmt_day=present.fmt_day,
        hours_text=present.hours_text,
        share=present.share,
        grades=present.GRADES,
        grade_labels=present.GRADE_LABELS,
        board=current_user.role == Role.BOARD_MEMBER,
        planned_labels={s.value: s.label for s in PlannedStatus},
        return_labels={s.value: s.label for s in ReturnStatus},
    )


@bp.route("/export.xlsx")
@coordinator_or_board
def dashboard_xlsx():
    """The dashboard's figures as a workbook, for the filters in the query string (bad filters: 400)."""
    from auditapp.programme.figures import build_dashboard

    form = _filters_form()
    if form.errors:
        abort(400)
    dashboard = build_dashboard(form.filters())
    name = f"audit-programme-{dashboard.filters.first.key}-to-{dashboard.filters.last.key}.xlsx"
    return Response(
        export.build_xlsx(dashboard),
        mimetype=export.XLSX_MIMETYPE,
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.route("/board-page.pdf", methods=["POST"])
@coordinator_or_board
def board_page():
    """Ask the worker for the Board's programme page (PDF) for the filters in the query string; its status page
    offers the file."""
    from auditapp.reports.document_jobs import request_document

    if not board_doc.BoardPageForm().validate_on_submit():
        abort(400)
    form = _filters_form()
    if form.errors:
        abort(400)
    filters = form.filters()
    job = request_document(
        board_doc.KIND,
        payload=board_doc.filters_payload(filters),
        user_id=current_user.id,
        title=board_doc.title_for(filters),
    )
    return redirect(url_for("main.job_status", job_id=job.id))
