"""Issue 17: the year's audit schedule, for the QA coordinator: the planned rounds of a financial year, month by
month, with their status; adding, changing, linking and dropping a planned round (auditapp/programme/schedule.py)."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from auditapp.domain import org
from auditapp.domain.errors import DomainError
from auditapp.domain.quarters import Quarter, uk_date
from auditapp.forms import add_domain_error, choices, render_form
from auditapp.models import PlannedRound, Role
from auditapp.models.types import utcnow
from auditapp.programme import schedule as domain
from auditapp.programme.blueprint import bp
from auditapp.programme.schedule_forms import DropPlannedRoundForm, LinkRoundForm, PlannedRoundForm, month_key
from auditapp.security.access import register_loader, requires_role

register_loader("planned_id", PlannedRound)
coordinator = requires_role(Role.QA_COORDINATOR)

FIRST_YEAR, LAST_YEAR = 2000, 2100  # financial years the switcher accepts; anything else shows the current one


def _current_year() -> int:
    return Quarter.of(uk_date(utcnow())).year


def _year_arg(value: str | None) -> int:
    """``2026`` or ``2026-27`` as the financial year starting in 2026; anything else: the current year."""
    text = (value or "").strip().split("-")[0]
    if text.isdigit() and len(text) == 4 and FIRST_YEAR <= int(text) <= LAST_YEAR:
        return int(text)
    return _current_year()


def year_label(year: int) -> str:
    return Quarter(year, 1).year_label


def _to_schedule(year: int):
    return redirect(url_for("programme.schedule", year=year))


@bp.route("/schedule")
@coordinator
def schedule() -> str:
    year = _year_arg(request.args.get("year"))
    current = _current_year()
    by_month: dict[date, list[domain.ScheduleEntry]] = {}
    for entry in domain.schedule(year):
        by_month.setdefault(entry.planned.month, []).append(entry)
    return render_template(
        "programme/schedule.html",
        year=year,
        year_label=year_label,
        current_year=current,
        other_years=sorted({*domain.planned_years(), current - 1, current, current + 1} - {year}),
        months=domain.year_months(year),
        by_month=by_month,
    )


def _agency_names(*, keep: list[str] | None = None) -> list[str]:
    return sorted({*(a.name for a in org.list_agencies(active_only=True)), *(keep or [])})


@bp.route("/schedule/new", methods=["GET", "POST"])
@coordinator
def schedule_new():
    year = _year_arg(request.args.get("year"))
    form = PlannedRoundForm()
    form.fill(years=[year, year + 1], agencies=_agency_names())
    if form.validate_on_submit():
        try:
            planned = domain.add_planned_round(
                month=form.month_date,
                theme=form.theme.data or "",
                agencies=form.agencies.data or [],
                note=form.note.data,
                created_by_id=current_user.id,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Planned round '{planned.theme}' added for {planned.month:%B %Y}", "success")
            return _to_schedule(domain.year_of(planned.month))
    return render_form("programme/schedule_form.html", form, year=year, planned=None)


@bp.route("/schedule/<int:planned_id>/edit", methods=["GET", "POST"])
@coordinator
def schedule_edit(planned: PlannedRound):
    year = domain.year_of(planned.month)
    if planned.dropped_at is not None:
        flash("This planned round was dropped, so it can no longer change")
        return _to_schedule(year)
    data = {"month": month_key(planned.month), "theme": planned.theme, "agencies": planned.agencies}
    form = PlannedRoundForm(data={**data, "note": planned.note or ""})
    form.fill(years=[year, year + 1], agencies=_agency_names(keep=planned.agencies), keep=planned.month)
    if form.validate_on_submit():
        try:
            changed = domain.change_planned_round(
                planned,
                month=form.month_date,
                theme=form.theme.data or "",
                agencies=form.agencies.data or [],
                note=form.note.data,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("The planned round was saved" if changed else "Nothing was changed", "success")
            return _to_schedule(domain.year_of(planned.month))
    return render_form("programme/schedule_form.html", form, year=year, planned=planned)


@bp.route("/schedule/<int:planned_id>/link", methods=["GET", "POST"])
@coordinator
def schedule_link(planned: PlannedRound):
    year = domain.year_of(planned.month)
    if planned.dropped_at is not None:
        flash("This planned round was dropped, so no round can be linked to it")
        return _to_schedule(year)
    candidates = domain.link_candidates(planned)
    form = LinkRoundForm(data={"round_id": str(planned.round_id) if planned.round_id else None})
    form.round_id.choices = choices(
        (r.id, r.name + (" (same theme, created this month)" if domain.matches(planned, r) else "")) for r in candidates
    )
    if candidates and form.validate_on_submit():
        try:
            changed = domain.link_planned_round(planned, round_id=int(form.round_id.data or 0) or None)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(
                f"Round '{planned.audit_round.name}' carries out the planned round '{planned.theme}'"
                if changed and planned.audit_round
                else "Nothing was changed",
                "success",
            )
            return _to_schedule(year)
    return render_form("programme/schedule_link.html", form, planned=planned, year=year, candidates=candidates)


@bp.route("/schedule/<int:planned_id>/drop", methods=["GET", "POST"])
@coordinator
def schedule_drop(planned: PlannedRound):
    year = domain.year_of(planned.month)
    if planned.dropped_at is not None:
        flash("This planned round was dropped already")
        return _to_schedule(year)
    form = DropPlannedRoundForm()
    if form.validate_on_submit():
        try:
            domain.drop_planned_round(planned, reason=form.reason.data or "")
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Planned round '{planned.theme}' dropped from the schedule", "success")
            return _to_schedule(year)
    return render_form("programme/schedule_drop.html", form, planned=planned, year=year)
