"""The programme dashboard's charts (issue 17), drawn as the board report's are (``auditapp.reports.charts``):
deterministic SVG shown as an ``<img>`` data URI, with a text alternative; the page and the Board's PDF page put
a table of the same numbers beside each one.

Drawing is most of a dashboard page's time (pygal is slow per point), and a chart is a pure function of its
numbers and words, identical byte for byte: so each worker process keeps the last ``DRAWN_CHARTS`` charts it drew,
keyed by everything that goes into them, and draws a chart again only when its figures change.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from auditapp.programme.present import GRADE_LABELS, GRADES, MULTI_AGENCY, SINGLE_AGENCY, View, percent
from auditapp.reports.charts import GRADE_COLOURS, Chart, _config, _finish, _style

BLUE, GREEN, ORANGE, RED, GREY = "#1d70b8", "#00703c", "#f47738", "#d4351c", "#b1b4b6"
DRAWN_CHARTS = 128


def _bars(
    kind: str,
    labels: list[str],
    series: list[tuple[str, list[Any]]],
    *,
    title: str,
    chart_id: str,
    colours: tuple[str, ...],
    y_title: str,
    alt: str,
    **extra: Any,
) -> Chart:
    frozen_series = tuple((name, tuple(values)) for name, values in series)
    return _drawn_bars(
        kind, tuple(labels), frozen_series, title, chart_id, colours, y_title, alt, tuple(sorted(extra.items()))
    )


@lru_cache(maxsize=DRAWN_CHARTS)
def _drawn_bars(
    kind: str,
    labels: tuple[str, ...],
    series: tuple[tuple[str, tuple[Any, ...]], ...],
    title: str,
    chart_id: str,
    colours: tuple[str, ...],
    y_title: str,
    alt: str,
    extra: tuple[tuple[str, Any], ...],
) -> Chart:
    return _draw_bars(
        kind,
        list(labels),
        [(name, list(values)) for name, values in series],
        title=title,
        chart_id=chart_id,
        colours=colours,
        y_title=y_title,
        alt=alt,
        **dict(extra),
    )


def _draw_bars(
    kind: str,
    labels: list[str],
    series: list[tuple[str, list[Any]]],
    *,
    title: str,
    chart_id: str,
    colours: tuple[str, ...],
    y_title: str,
    alt: str,
    **extra: Any,
) -> Chart:
    import pygal

    config = {**_config(title), "show_legend": True, "legend_at_bottom": True, "print_values": False}
    config["legend_at_bottom_columns"] = min(4, len(series))
    # Whole numbers on the axis (no "0.5 audits"): up to about five steps from 0 to the tallest bar.
    columns = list(zip(*(values for _, values in series), strict=True)) or [(0,)]
    top = max(max(sum(c) for c in columns) if kind == "StackedBar" else max(max(c) for c in columns), 1)
    step = -(-top // 5)
    config["y_labels"] = list(range(0, top + step, step))
    chart = getattr(pygal, kind)(style=_style(colours), **config, y_title=y_title, **extra)
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, values)
    return _finish(chart, chart_id, alt)


def _values_text(labels: list[str], values: list[Any], unit: str = "") -> str:
    return "; ".join(
        f"{label} {'no data' if value is None else f'{value:.0f}{unit}'}"
        for label, value in zip(labels, values, strict=True)
    )


def audits_chart(view: View) -> Chart:
    """Per quarter: audits assigned, completed and completed on time."""
    rows = view.audits_by_quarter
    labels = [t.label for t in rows]
    series = [
        ("Assigned", [t.assigned for t in rows]),
        ("Completed", [t.completed for t in rows]),
        ("Completed on time", [t.on_time for t in rows]),
    ]
    alt = "Audits assigned, completed and completed on time, by quarter: bar chart. " + " ".join(
        f"{t.label}: {t.assigned} assigned, {t.completed} completed, {t.on_time} on time." for t in rows
    )
    return _bars(
        "Bar",
        labels,
        series,
        title="Audits by quarter",
        chart_id="programme-audits",
        colours=(GREY, BLUE, GREEN),
        y_title="Audits",
        alt=alt,
        min_scale=2,
        max_scale=6,
    )


def agreement_chart(view: View) -> Chart:
    """Per quarter: the percentage of moderated audits where the moderator agreed (no point: none moderated)."""
    rows = view.dashboard.agreement
    labels = [r.quarter.label for r in rows]
    values = [percent(r.agreed, r.moderated) for r in rows]
    alt = (
        "Moderation agreement by quarter, line chart of the percentage agreed: "
        + _values_text(labels, values, "%")
        + "."
    )
    return _drawn_agreement(tuple(labels), tuple(values), alt)


@lru_cache(maxsize=DRAWN_CHARTS)
def _drawn_agreement(labels: tuple[str, ...], values: tuple[float | None, ...], alt: str) -> Chart:
    import pygal

    config = {**_config("Moderation agreement by quarter"), "print_values": False}
    chart = pygal.Line(style=_style((BLUE,)), **config, range=(0, 100), y_title="% agreed", dots_size=5)
    chart.x_labels = list(labels)
    chart.add("Agreed", list(values))
    return _finish(chart, "programme-agreement", alt)


def grades_chart(view: View, source: str) -> Chart:
    """Per quarter, stacked: the grades of multi-agency audits (or of single-agency returns)."""
    totals = view.grades_by_quarter[source]
    labels = [t.quarter.label for t in totals]
    name = "Multi-agency audits" if source == MULTI_AGENCY else "Single-agency returns"
    series = [(GRADE_LABELS[g], [t.values[g] for t in totals]) for g in GRADES]
    alt = f"{name}: grades by quarter, stacked bar chart. " + " ".join(
        f"{t.quarter.label}: " + ", ".join(f"{GRADE_LABELS[g]} {t.values[g]}" for g in GRADES) + "." for t in totals
    )
    chart_id = "programme-grades-multi" if source == MULTI_AGENCY else "programme-grades-single"
    return _bars(
        "StackedBar",
        labels,
        series,
        title=f"{name}: grades",
        chart_id=chart_id,
        colours=GRADE_COLOURS,
        y_title="Audits",
        alt=alt,
        min_scale=2,
        max_scale=6,
    )


def concerns_chart(view: View) -> Chart:
    rows = view.concerns_by_quarter
    labels = [t.quarter.label for t in rows]
    series = [
        ("Raised", [t.values["raised"] for t in rows]),
        ("Acknowledged", [t.values["acknowledged"] for t in rows]),
    ]
    alt = "Concerns raised and acknowledged by quarter, bar chart. " + " ".join(
        f"{t.quarter.label}: {t.values['raised']} raised, {t.values['acknowledged']} acknowledged." for t in rows
    )
    return _bars(
        "Bar",
        labels,
        series,
        title="Concerns by quarter",
        chart_id="programme-concerns",
        colours=(ORANGE, BLUE),
        y_title="Concerns",
        alt=alt,
        min_scale=2,
        max_scale=6,
    )


def actions_chart(view: View) -> Chart:
    rows = view.actions_by_quarter
    labels = [t.quarter.label for t in rows]
    series = [
        ("Completed by target date", [t.values["completed_on_time"] for t in rows]),
        ("Completed late", [t.values["completed_late"] for t in rows]),
        ("Overdue", [t.values["overdue"] for t in rows]),
    ]
    alt = "Actions by the quarter they were due, stacked bar chart. " + " ".join(
        f"{t.quarter.label}: {t.values['due']} due, {t.values['completed_on_time']} completed by their target date, "
        f"{t.values['completed_late']} late, {t.values['overdue']} overdue."
        for t in rows
    )
    return _bars(
        "StackedBar",
        labels,
        series,
        title="Actions by quarter due",
        chart_id="programme-actions",
        colours=(GREEN, ORANGE, RED),
        y_title="Actions",
        alt=alt,
        min_scale=2,
        max_scale=6,
    )


def coverage_chart(view: View) -> Chart:
    rows = view.dashboard.coverage
    labels = ["Teams", "Localities"]
    covered = [sum(r.covered for r in rows if r.kind == kind) for kind in ("team", "locality")]
    total = [sum(1 for r in rows if r.kind == kind) for kind in ("team", "locality")]
    series = [
        ("Audited in the last 12 months", covered),
        ("Not audited", [t - c for t, c in zip(total, covered, strict=True)]),
    ]
    alt = (
        f"Coverage in the last 12 months, stacked bar chart: teams {covered[0]} of {total[0]} audited; "
        f"localities {covered[1]} of {total[1]} audited."
    )
    return _bars(
        "StackedBar",
        labels,
        series,
        title="Coverage",
        chart_id="programme-coverage",
        colours=(GREEN, GREY),
        y_title="Teams or localities",
        alt=alt,
        min_scale=2,
        max_scale=6,
    )


def all_charts(view: View) -> dict[str, Chart]:
    """Every chart of the dashboard, by figure group."""
    return {
        "audits": audits_chart(view),
        "agreement": agreement_chart(view),
        "grades_multi": grades_chart(view, MULTI_AGENCY),
        "grades_single": grades_chart(view, SINGLE_AGENCY),
        "concerns": concerns_chart(view),
        "actions": actions_chart(view),
        "coverage": coverage_chart(view),
    }
