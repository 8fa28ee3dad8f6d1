"""Issue 17: the programme dashboard's pages, its spreadsheet and the Board's programme page, against the figures
``build_dashboard`` computes for a programme with known timestamps (tests/programme_data.py; the figures
themselves are checked against a direct computation in tests/test_programme_figures.py)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest

from auditapp.domain.quarters import Quarter
from auditapp.models.types import clock_set_to
from auditapp.programme import export
from auditapp.programme.figures import build_dashboard, default_filters
from auditapp.programme.figures_types import Filters
from auditapp.programme.present import build_view, share
from tests.conftest import soup
from tests.documents import download
from tests.programme_data import AS_OF, build

FIRST, LAST = Quarter(2025, 4), Quarter(2026, 4)
ARGS = {"first": FIRST.key, "last": LAST.key}


@pytest.fixture
def at_as_of():
    """Every clock (sign-in, the page's as_of, the worker's document) reads AS_OF, the programme's "now"."""
    with clock_set_to(lambda: AS_OF):
        yield


@pytest.fixture
def programme(at_as_of, org, users):
    return build(org, users)


def expected(filters: Filters):
    return build_view(build_dashboard(filters, as_of=AS_OF))


def table_rows(page, table_id: str) -> list[list[str]]:
    table = page.select_one(f"table#{table_id}")
    assert table is not None, f"no table {table_id}"
    return [[cell.get_text(" ", strip=True) for cell in row.select("th, td")] for row in table.select("tbody tr")]


def test_the_dashboard_shows_build_dashboards_figures(programme, client_for):
    page = soup(client_for("qa_coordinator").get("/programme", query_string=ARGS))
    view = expected(Filters(FIRST, LAST))
    d = view.dashboard
    assert page.h1.get_text(strip=True) == "Audit programme: 2025-26 Q4 to 2026-27 Q4"
    # Audits per quarter: the sums over agencies of build_dashboard's rows, one row per quarter shown.
    audits = table_rows(page, "audits-table")
    assert [row[0] for row in audits] == [q.label for q in d.quarters]
    for row, quarter in zip(audits, d.quarters, strict=True):
        rows = [r for r in d.audits if r.quarter == quarter]
        assert row[1:3] == [str(sum(r.assigned for r in rows)), str(sum(r.completed for r in rows))]
        assert row[3] == share(sum(r.on_time for r in rows), sum(r.completed for r in rows))
    assert sum(int(row[2]) for row in audits) > 0, "the programme has completed audits"
    # The sentences say the same numbers as the table.
    summary = page.select_one("#audits .app-programme-summary").get_text(" ", strip=True)
    for row in audits:
        assert f"In {row[0]}, {row[1]} audits were assigned" in summary
        if row[2] != "0":
            assert f"{row[3]} audits completed were completed on time" in summary
    # Every other figure group, row for row.
    assert d.outstanding and d.concerns and d.overdue_actions and d.coverage and d.agreement, "the programme has them"
    assert table_rows(page, "outstanding-table") == [
        [r.agency, str(r.outstanding), str(r.overdue), view_day(r.oldest_due) if r.oldest_due else "None overdue"]
        for r in d.outstanding
    ]
    assert [row[:2] for row in table_rows(page, "agreement-table")] == [
        [r.quarter.label, str(r.moderated)] for r in d.agreement
    ]
    assert [row[2] for row in table_rows(page, "agreement-table")] == [
        share(r.agreed, r.moderated, empty="no audits moderated") for r in d.agreement
    ]
    assert len(table_rows(page, "grades-table")) == max(1, len(d.grades))
    assert [row[:3] for row in table_rows(page, "concerns-table")] == [
        [r.quarter.label, r.agency, str(r.raised)] for r in d.concerns
    ]
    actions = table_rows(page, "actions-table")
    for row, totals in zip(actions, view.actions_by_quarter, strict=True):
        assert row[1] == str(totals.values["due"]) and row[4] == str(totals.values["overdue"])
    overdue = table_rows(page, "overdue-table")
    assert [row[3] for row in overdue] == [str(a.days_overdue) for a in d.overdue_actions]
    coverage = table_rows(page, "coverage-table")
    assert len(coverage) == len(d.coverage)
    assert sum("Not audited" not in row[-1] for row in coverage) == sum(r.covered for r in d.coverage)
    # Charts: images with their text alternative, no inline SVG (the CSP forbids its style).
    images = page.select("img.app-report__chart")
    assert len(images) == 7 and all(img["alt"] and img["src"].startswith("data:image/svg+xml") for img in images)
    assert page.select_one("svg") is None


def view_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def test_a_share_of_nothing_is_no_audits_not_zero_percent():
    assert share(0, 0) == "no audits"
    assert share(18, 20) == "18 of 20 (90%)"
    assert share(2, 3) == "2 of 3 (67%)"


def test_the_agency_and_theme_filters_give_build_dashboards_figures_for_them(programme, client_for):
    qa = client_for("qa_coordinator")
    for agency, theme in (("Test Health", ""), ("", "Neglect")):
        page = soup(qa.get("/programme", query_string={**ARGS, "agency": agency, "theme": theme}))
        d = expected(Filters(FIRST, LAST, agency=agency or None, theme=theme or None))
        audits = table_rows(page, "audits-table")
        assert [row[1] for row in audits] == [str(t.assigned) for t in d.audits_by_quarter]
        assert [row[2] for row in audits] == [str(t.completed) for t in d.audits_by_quarter]
        selected = page.select_one("select#agency option[selected]") if agency else None
        assert selected is None or selected["value"] == agency


def test_without_filters_the_page_shows_the_four_quarters_up_to_today(at_as_of, org, users, client_for):
    page = soup(client_for("board_member").get("/programme"))
    default = default_filters(date(2027, 1, 15))
    assert page.select_one("select#first option[selected]")["value"] == default.first.key
    assert page.select_one("select#last option[selected]")["value"] == default.last.key
    assert [row[0] for row in table_rows(page, "audits-table")] == [
        "2026-27 Q1",
        "2026-27 Q2",
        "2026-27 Q3",
        "2026-27 Q4",
    ]
    assert [row[1] for row in table_rows(page, "audits-table")] == ["0"] * 4
    assert "no audits" in table_rows(page, "audits-table")[0][3]
    assert page.select_one("nav a[href='/programme']") is not None  # in the service navigation


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"first": "2026-q5", "last": "2026-q4"}, "Select the first quarter to show, from the list"),
        ({"first": "<script>", "last": "2026-q4"}, "Select the first quarter to show, from the list"),
        ({"first": "1990-q1", "last": "2026-q4"}, "Select the first quarter to show, from the list"),
        ({"first": "2026-q3", "last": "2026-q1"}, "The last quarter must be the same as or after the first quarter"),
        ({"agency": "No Such Agency"}, "Select an agency from the list, or all agencies"),
        ({"theme": "No such theme"}, "Select a theme from the list, or all themes"),
    ],
)
def test_bad_filters_show_the_error_summary_and_no_figures(at_as_of, org, users, client_for, args, message):
    qa = client_for("qa_coordinator")
    response = qa.get("/programme", query_string=args)
    assert response.status_code == 400
    page = soup(response)
    summary = page.select_one(".govuk-error-summary")
    assert summary is not None and message in summary.get_text(" ", strip=True)
    assert page.title.get_text(strip=True).startswith("Error:")
    assert page.select_one("#audits-table") is None and page.select_one("img") is None
    assert qa.get("/programme/export.xlsx", query_string=args).status_code == 400


def test_the_spreadsheet_holds_the_figures(programme, client_for):
    from openpyxl import load_workbook

    response = client_for("board_member").get("/programme/export.xlsx", query_string=ARGS)
    assert response.status_code == 200 and response.mimetype == export.XLSX_MIMETYPE
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "About",
        "Audits",
        "Outstanding",
        "Moderation",
        "Grades",
        "Concerns",
        "Actions",
        "Overdue actions",
        "Coverage",
        "Schedule",
        "Returns",
    ]
    d = build_dashboard(Filters(FIRST, LAST), as_of=AS_OF)
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row and len(row) > 1}
    assert about["From quarter"] == FIRST.long_label and about["Agency"] == "All agencies"
    assert about["Figures as at (UTC)"] == AS_OF.replace(tzinfo=None)
    assert any("On time" in str(row[0]) for row in book["About"].iter_rows(values_only=True) if row[0])
    audits = list(book["Audits"].iter_rows(values_only=True))
    assert audits[0][0] == "Quarter"
    assert [row[:7] for row in audits[1:]] == [
        (r.quarter.key, r.quarter.label, r.agency, r.assigned, r.completed, r.on_time, r.no_due_date) for r in d.audits
    ]
    actions = list(book["Actions"].iter_rows(values_only=True))[1:]
    assert [row[3:] for row in actions] == [
        (r.due, r.completed_on_time, r.completed_late, r.overdue) for r in d.actions
    ]
    overdue = list(book["Overdue actions"].iter_rows(values_only=True))[1:]
    assert [(row[0], row[4], row[5]) for row in overdue] == [
        (a.action_id, datetime.combine(a.due_date, datetime.min.time()), a.days_overdue) for a in d.overdue_actions
    ]
    coverage = list(book["Coverage"].iter_rows(values_only=True))[1:]
    assert [(row[1], row[4]) for row in coverage] == [(r.name, "yes" if r.covered else "no") for r in d.coverage]


def test_text_a_spreadsheet_would_run_is_neutralised():
    assert export._cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert export._cell("@SUM(A1)") == "'@SUM(A1)"
    assert export._cell(3) == 3 and export._cell("Neglect") == "Neglect"


def test_the_boards_programme_page_is_a_tagged_pdf_with_the_figures(programme, client_for):
    from pypdf import PdfReader

    board = client_for("board_member")
    url = "/programme/board-page.pdf?" + "&".join(f"{k}={v}" for k, v in ARGS.items())
    page, response = download(board, url, on="/programme")
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(p.extract_text() for p in reader.pages)
    text = re.sub(r"\s+", " ", text)
    assert "Audit programme: 2025-26 Q4 to 2026-27 Q4" in text
    view = expected(Filters(FIRST, LAST))
    for line in view.summaries["audits"] + view.summaries["actions"]:
        assert line in text, line
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"])  # a tagged PDF


def test_the_board_page_needs_the_csrf_token(at_as_of, org, users, client_for):
    assert client_for("qa_coordinator").post("/programme/board-page.pdf").status_code == 400


def test_charts_are_the_same_bytes_for_the_same_figures_and_say_their_numbers(programme):
    from auditapp.programme.charts import all_charts

    view = expected(Filters(FIRST, LAST))
    once, again = all_charts(view), all_charts(expected(Filters(FIRST, LAST)))
    assert {k: c.svg for k, c in once.items()} == {k: c.svg for k, c in again.items()}
    for t in view.audits_by_quarter:
        assert f"{t.label}: {t.assigned} assigned, {t.completed} completed, {t.on_time} on time." in once["audits"].alt
    assert all("<script" not in c.svg and "<!--" not in c.svg for c in once.values())


def test_the_reports_page_links_the_board_to_the_programme(at_as_of, org, users, client_for):
    page = soup(client_for("board_member").get("/reports"))
    assert page.select_one("main a[href='/programme']") is not None
