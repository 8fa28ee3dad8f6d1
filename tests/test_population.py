"""The case population (issue 13, E): search and filters, the mapping of workers and teams to localities, the
draw's warning when the stratification field is mostly blank, and full returns.

The files are made here by small generators that follow the real formats (Annex A's "Allocated Worker", with no
team or locality), never read from ../shared.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from auditapp.domain.case_import import apply_import, plan_import
from auditapp.extensions import db
from auditapp.importers import Source
from auditapp.models import AuditEvent, Case, ImportBatch
from auditapp.models.case import PopulationMapping
from tests.conftest import csrf_token, post_form, soup
from tests.factories import case_rows, generic_csv, make_cases
from tests.importers.generators import workbook_bytes

ANNEX_HEAD = [
    "Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age", "Date of Referral", "Referral NFA?",
    "Allocated Team", "Allocated Worker",
]  # fmt: skip
WORKERS = ("Wendy Worker", "Bob Builder", "Sam Smith")


def annex_a(refs: list[str], *, workers: tuple[str, ...] = WORKERS, team: str | None = None) -> bytes:
    """An Annex A workbook whose List 3 (referrals) names each child's worker but no team (as most returns do)."""
    rows: list[list[object]] = [ANNEX_HEAD]
    for i, ref in enumerate(refs):
        worker = workers[i % len(workers)]
        rows.append([ref, "a) Male", "a) WBRI", date(2015, 1, 1), 9, "16/09/2023", "b) No", team, worker])
    return workbook_bytes({"List 1": [["Child Unique ID"]], "List 3": rows})


def import_annex(refs: list[str], *, full_return: bool = False, period: str | None = None, **kwargs) -> ImportBatch:
    plan = plan_import(
        [Source("Annex_A.xlsx", annex_a(refs, **kwargs))], max_bytes=10**7, full_return=full_return, period=period
    )
    return apply_import(plan)


def mapping_csv(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    lines = [header or ["worker", "team", "locality"], *rows]
    return "".join(",".join(cells) + "\r\n" for cells in lines).encode()


def upload_mapping(client, name: str, data: bytes):
    token = csrf_token(client, "/cases/mapping")
    return client.post(
        "/cases/mapping/upload",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def case(ref: str) -> Case:
    found = db.session.scalar(select(Case).where(Case.case_ref == ref))
    db.session.refresh(found)
    return found


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def success_banner(page) -> str:
    banner = page.select_one(".govuk-notification-banner--success")
    return banner.get_text(" ", strip=True) if banner else ""


# -- Search and filters ---------------------------------------------------------------------------------------------


def test_cases_can_be_searched_by_part_of_the_reference_ignoring_letter_case(client_for, org, users):
    make_cases(12)
    client = client_for("qa_coordinator")
    page = soup(client.get("/cases/?ref=t0001"))
    refs = [tr.select_one("td a").get_text(strip=True) for tr in page.select("tbody tr")]
    assert refs == ["T00010", "T00011", "T00012"]
    assert "Case reference: t0001" in page.select_one("#selected-filters").get_text()
    assert page.select_one("#filter-ref")["value"] == "t0001"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case_list_viewed")).all()[-1]
    assert event.details["filters"] == {"ref": "t0001"} and event.details["case_refs"] == refs
    assert event.actor_id == users["qa_coordinator"].id


def test_cases_filter_by_status_team_locality_and_worker_together(client_for, org):
    make_cases(6)
    rows = case_rows(4, start=20, team="CP South", locality="Test South", worker="Bob Builder")
    apply_import(plan_import([Source("more.csv", generic_csv(rows))], max_bytes=10**7))
    client = client_for("qa_coordinator")
    page = soup(client.get("/cases/?team=CP+South&locality=Test+South&worker=bob"))
    assert page.select_one("#case-count").get_text(strip=True).startswith("4 cases")
    cp_page = soup(client.get("/cases/?team=CP+South&worker=BOB&status=cp"))
    assert [tr.select_one("td a").get_text(strip=True) for tr in cp_page.select("tbody tr")] == ["T00021"]
    assert "Status: Child protection plan" in cp_page.select_one("#selected-filters").get_text()
    assert soup(client.get("/cases/?worker=nobody")).select_one("#case-count").get_text(strip=True) == "0 cases."
    # the status filter offers the labels, never the codes
    options = [o.get_text() for o in page.select("#filter-status option")]
    assert "Child protection plan" in options and "cp" not in options


def test_pages_of_a_filtered_list_keep_the_filter(client_for, org):
    make_cases(60)
    client = client_for("qa_coordinator")
    page = soup(client.get("/cases/?worker=wendy"))
    assert "60 cases, page 1 of 2" in page.get_text()
    next_link = page.select_one(".govuk-pagination__next a")["href"]
    assert "worker=wendy" in next_link and "page=2" in next_link
    assert len(soup(client.get(next_link)).select("tbody tr")) == 10


@pytest.mark.parametrize(
    "query",
    [
        "ref=" + "x" * 5000,
        "ref=%00%00&worker=%00",
        "ref=<script>alert(1)</script>",
        "ref=%E2%98%83%F0%9F%98%80&team=%C3%A9quipe",
        "ref=%25&worker=_",
        "page=abc&status=sleeping",
        "page=99999999999999999999999",
        "in_return=maybe",
        "_external=1&_scheme=javascript&_anchor=x",
    ],
)
def test_hostile_search_and_filter_values_never_fail(client_for, org, query):
    make_cases(3)
    response = client_for("qa_coordinator").get(f"/cases/?{query}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text and "Traceback" not in text


def test_a_percent_sign_in_the_search_matches_only_itself(client_for, org):
    make_cases(3)
    page = soup(client_for("qa_coordinator").get("/cases/?ref=%25"))
    assert page.select_one("#case-count").get_text(strip=True) == "0 cases."


# -- The mapping: upload, edit, remove --------------------------------------------------------------------------------


def test_an_uploaded_mapping_places_imported_annex_a_cases_in_teams_and_localities(client_for, org, users):
    import_annex(["A1", "A2", "A3", "A4"])
    assert case("A1").locality_name is None and case("A1").team_name is None
    client = client_for("qa_coordinator")
    data = mapping_csv(
        [["Wendy Worker", "CP North", ""], ["bob builder", "", "Test South"], ["", "CP North", "Test North"]]
    )
    response = upload_mapping(client, "mapping.csv", data)
    assert response.status_code == 302
    page = soup(client.get(response.headers["Location"]))
    assert "Mapping uploaded: 3 rows, 3 cases changed" in success_banner(page)
    a1 = case("A1")  # Wendy: her team, and the team's locality
    assert (a1.team_name, a1.locality_name, a1.team_id, a1.locality_id) == (
        "CP North", "Test North", org.cp_north.id, org.north.id,
    )  # fmt: skip
    assert a1.team_from_mapping and a1.locality_from_mapping
    a2 = case("A2")  # Bob (any letter case): a locality, no team
    assert (a2.team_name, a2.locality_name, a2.locality_id) == (None, "Test South", org.south.id)
    assert case("A3").locality_name is None  # Sam is not mapped
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "population_mapping_replaced"))
    assert {k: event.details[k] for k in ("file", "rows", "cases_changed")} == {
        "file": "mapping.csv", "rows": 3, "cases_changed": 3,
    }  # fmt: skip
    rows = [[td.get_text(strip=True) for td in tr.select("td")][:3] for tr in page.select("tbody tr")]
    assert ["Wendy Worker", "CP North", ""] in rows and ["Any worker in this team", "CP North", "Test North"] in rows
    shown = soup(client.get(f"/cases/{a1.id}")).get_text()
    assert "CP North (from the mapping of workers and teams)" in shown


def test_a_mapping_workbook_is_read_like_a_csv(client_for, org):
    import_annex(["A1"])
    book = workbook_bytes({"Mapping": [["Allocated Worker", "Team", "Locality"], ["Wendy Worker", "CP South", None]]})
    client = client_for("qa_coordinator")
    assert upload_mapping(client, "mapping.xlsx", book).status_code == 302
    assert (case("A1").team_name, case("A1").locality_name) == ("CP South", None)
    assert case("A1").team_id == org.cp_south.id


BAD_MAPPINGS = {
    "unknown column": (mapping_csv([["W", "T", "L"]], ["worker", "team", "postcode"]), "1", "postcode", "not a column"),
    "worker with nothing": (mapping_csv([["Wendy Worker", "", ""]]), "2", "team", "Enter the worker's team or"),
    "team without locality": (mapping_csv([["", "CP North", ""]]), "2", "locality", "Enter the team's locality"),
    "duplicate worker": (
        mapping_csv([["Wendy Worker", "CP North", ""], ["WENDY WORKER", "CP South", ""]]),
        "3",
        "worker",
        "also on row 2",
    ),
    "name too long": (mapping_csv([["W" * 121, "CP North", ""]]), "2", "worker", "120 characters or fewer"),
    "no mapping columns": (mapping_csv([["x"]], ["worker"]), "1", "", "must name the columns"),
}


@pytest.mark.parametrize("kind", list(BAD_MAPPINGS))
def test_a_bad_mapping_file_names_file_row_and_column_and_changes_nothing(client_for, org, kind):
    import_annex(["A1", "A2"])
    client = client_for("qa_coordinator")
    assert upload_mapping(client, "good.csv", mapping_csv([["Wendy Worker", "CP North", ""]])).status_code == 302
    before = (count(PopulationMapping), case("A1").team_name)
    data, row, column, message = BAD_MAPPINGS[kind]
    response = upload_mapping(client, "bad.csv", data)
    assert response.status_code == 400
    page = soup(response)
    assert "bad.csv" in page.select_one(".govuk-error-summary").get_text()
    problems = [[td.get_text(strip=True) for td in tr.select("td")] for tr in page.select("tbody tr")]
    problem = next(p for p in problems if p[0] == "bad.csv")
    assert problem[1:3] == [row, column] and message in problem[3]
    assert (count(PopulationMapping), case("A1").team_name) == before
    assert db.session.scalars(select(AuditEvent.action)).all().count("population_mapping_replaced") == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "The file is empty"),
        ("mapping.pdf", b"%PDF-1.7 nothing", "PDF"),
        ("mapping.csv", b"\x00\x01\x02 binary", "NUL"),
        ("mapping.xlsx", b"PK\x03\x04 truncated zip", "damaged or incomplete"),
        ("mapping.csv", "worker,team,locality\r\n<b>x</b>,\u00e9quipe".encode("utf-16"), "UTF-16"),
    ],
)
def test_broken_and_hostile_mapping_files_fail_cleanly(client_for, org, name, data, message):
    response = upload_mapping(client_for("qa_coordinator"), name, data)
    assert response.status_code == 400
    text = soup(response).get_text()
    assert message in text and "Traceback" not in text
    assert count(PopulationMapping) == 0


def test_unicode_and_markup_in_a_mapping_are_kept_as_text(client_for, org):
    client = client_for("qa_coordinator")
    data = "worker,team,locality\r\n\u2603 <b>x</b>,\u00e9quipe <script>,\r\n".encode()
    assert upload_mapping(client, "mapping.csv", data).status_code == 302
    assert db.session.scalar(select(PopulationMapping.worker)) == "\u2603 <b>x</b>"
    html = client.get("/cases/mapping").get_data(as_text=True)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<script>" not in html.split("</header>")[1].split("<footer")[0]


def test_uploading_without_a_file_asks_for_one(client_for, org):
    client = client_for("qa_coordinator")
    response = post_form(client, "/cases/mapping/upload", {}, token_from="/cases/mapping")
    assert response.status_code == 400
    assert "Select a mapping file" in soup(response).select_one(".govuk-error-summary").get_text()


def test_changing_a_row_re_applies_the_mapping_but_never_a_name_the_file_gave(client_for, org):
    import_annex(["A1", "A2"])
    import_annex(["A5"], workers=("Wendy Worker",), team="Duty Team")  # this file names the team
    client = client_for("qa_coordinator")
    response = post_form(
        client, "/cases/mapping/row", {"worker": "Wendy Worker", "team": "CP North"}, token_from="/cases/mapping"
    )
    assert response.status_code == 302
    assert "Mapping saved: 1 case changed" in success_banner(soup(client.get("/cases/mapping")))
    assert case("A1").team_name == "CP North" and case("A5").team_name == "Duty Team"
    post_form(client, "/cases/mapping/row", {"worker": "wendy worker", "team": "CP South"}, token_from="/cases/mapping")
    assert count(PopulationMapping) == 1  # the same worker's row changed
    assert case("A1").team_name == "CP South" and case("A1").team_id == org.cp_south.id
    post_form(client, "/cases/mapping/row", {"team": "CP South", "locality": "Test South"}, token_from="/cases/mapping")
    assert case("A1").locality_name == "Test South" and case("A5").locality_name is None  # Duty Team not mapped
    events = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events.count("population_mapping_changed") == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter a worker or a team"),
        ({"worker": "Wendy Worker"}, "Enter the worker's team or locality"),
        ({"team": "CP North"}, "Enter the team's locality"),
        ({"worker": "W" * 500, "team": "CP North"}, "120 characters or fewer"),
        ({"worker": "   ", "team": "\x00", "locality": ""}, "Enter"),
    ],
)
def test_a_wrong_row_is_refused_with_a_gov_uk_message_and_nothing_saved(client_for, org, data, message):
    client = client_for("qa_coordinator")
    response = post_form(client, "/cases/mapping/row", data, token_from="/cases/mapping")
    assert response.status_code == 400
    summary = soup(response).select_one(".govuk-error-summary")
    assert summary is not None and message in summary.get_text()
    assert count(PopulationMapping) == 0


def test_removing_a_row_goes_through_a_confirmation_page(client_for, org):
    import_annex(["A1"])
    client = client_for("qa_coordinator")
    post_form(
        client, "/cases/mapping/row", {"worker": "Wendy Worker", "locality": "Test North"}, token_from="/cases/mapping"
    )
    row = db.session.scalar(select(PopulationMapping))
    link = soup(client.get("/cases/mapping")).select_one("a[href^='/cases/mapping/remove']")
    assert link.get_text(" ", strip=True) == "Remove the row for Wendy Worker"
    assert link["href"] == f"/cases/mapping/remove?row={row.id}"
    confirm = client.get(link["href"])
    page = soup(confirm)
    assert confirm.status_code == 200 and page.h1.get_text() == "Remove this row of the mapping?"
    assert "The worker Wendy Worker is mapped to the locality Test North" in page.get_text()
    assert page.select_one("form button.govuk-button--warning, form input.govuk-button--warning") is not None
    assert count(PopulationMapping) == 1  # the GET changes nothing
    done = post_form(client, "/cases/mapping/remove", {"row": str(row.id)}, token_from=link["href"])
    assert done.status_code == 302 and count(PopulationMapping) == 0
    assert "Row removed from the mapping: 1 case changed" in success_banner(soup(client.get("/cases/mapping")))
    assert case("A1").locality_name is None and not case("A1").locality_from_mapping


@pytest.mark.parametrize("row", ["", "abc", "99999", "99999999999999999999", "-1", "%00"])
def test_removing_a_row_that_does_not_exist_goes_back_to_the_mapping(client_for, org, row):
    client = client_for("qa_coordinator")
    assert client.get(f"/cases/mapping/remove?row={row}").status_code == 302
    response = post_form(client, "/cases/mapping/remove", {"row": row}, token_from="/cases/mapping")
    assert response.status_code == 302


def test_the_mapping_downloads_as_a_csv_the_upload_reads_back(client_for, org):
    client = client_for("qa_coordinator")
    post_form(client, "/cases/mapping/row", {"worker": "=HYPERLINK()", "team": "CP North"}, token_from="/cases/mapping")
    body = client.get("/cases/mapping.csv").get_data()
    assert body.splitlines()[0] == b"worker,team,locality" and b"'=HYPERLINK()" in body
    assert upload_mapping(client, "again.csv", body).status_code == 302
    assert db.session.scalar(select(PopulationMapping.worker)) == "=HYPERLINK()"


# -- The mapping on import, stratification and conflicts ---------------------------------------------------------------


def test_the_mapping_applies_on_import_so_stratification_and_conflict_rules_work(client_for, org, users):
    from auditapp.assignment.rules import RoundOptions, Slot, check
    from auditapp.domain.assignments import _auditor_infos, _case_info
    from auditapp.domain.case_mapping import replace_mapping
    from auditapp.domain.rounds import RoundSettings, create_round, eligible_population
    from auditapp.domain.sampling import draw_sample
    from auditapp.importers.mapping import MappingRow

    replace_mapping(
        [MappingRow("Wendy Worker", "HV North", None), MappingRow(None, "HV North", "Test North"),
         MappingRow("Bob Builder", None, "Test South"), MappingRow("Sam Smith", None, "Test South")],
        file_name="mapping.csv",
    )  # fmt: skip
    plan = plan_import([Source("Annex_A.xlsx", annex_a([f"A{i}" for i in range(1, 7)]))], max_bytes=10**7)
    assert len(plan.team_mapped) == 2 and len(plan.locality_mapped) == 6
    apply_import(plan)
    audit_round = create_round(
        RoundSettings(name="By locality", sample_size=2, stratify_by="locality", peers_not_from_case_locality=True),
        created_by_id=None,
    )
    assert eligible_population(audit_round).strata() == {"Test North": 2, "Test South": 4}
    draw_sample(audit_round, seed="s")
    sampled = next(s for s in audit_round.sampled if s.stratum == "Test North")
    info = _case_info(sampled, audit_round)
    assert (info.team, info.locality) == ("HV North", "Test North")
    peer = next(a for a in _auditor_infos() if a.id == users["peer"].id)  # a peer in HV North
    broken = check(
        info, peer, slot=Slot(info.case_ref), options=RoundOptions(peers_not_from_case_locality=True), current_load=0
    )
    assert broken  # same team, same locality: the conflict rules now see it
    # importing the same file again changes nothing: the mapped names are what is stored
    again = plan_import([Source("Annex_A.xlsx", annex_a([f"A{i}" for i in range(1, 7)]))], max_bytes=10**7)
    assert again.updated == {} and again.unchanged == 6


def test_the_check_page_says_what_the_mapping_fills(client_for, org):
    from auditapp.domain.case_mapping import replace_mapping
    from auditapp.importers.mapping import MappingRow

    replace_mapping([MappingRow("Wendy Worker", None, "Test North")], file_name="m.csv")
    client = client_for("qa_coordinator")
    location = upload_files(client, [("Annex_A.xlsx", annex_a(["A1", "A2", "A3"]))]).headers["Location"]
    text = soup(client.get(location)).get_text(" ", strip=True)
    assert "gives 0 cases a team and 1 a locality" in text


def test_a_generic_file_is_not_changed_by_the_mapping(actor, org):
    from auditapp.domain.case_mapping import replace_mapping
    from auditapp.importers.mapping import MappingRow

    replace_mapping([MappingRow("Wendy Worker", None, "Test South")], file_name="m.csv")
    make_cases(1, locality="")
    assert case("T00001").locality_name is None


# -- The draw's warning ------------------------------------------------------------------------------------------------


def _round(stratify_by: str = "locality"):
    from auditapp.domain.rounds import RoundSettings, create_round

    return create_round(RoundSettings(name="Warned", sample_size=2, stratify_by=stratify_by), created_by_id=None)


def test_the_round_page_warns_before_the_draw_when_the_stratification_field_is_mostly_blank(client_for, org):
    make_cases(2)
    import_annex(["A1", "A2", "A3", "A4"])
    audit_round = _round()
    page = soup(client_for("qa_coordinator").get(f"/rounds/{audit_round.id}"))
    warning = page.select_one("#draw-warning").get_text(" ", strip=True)
    assert "The locality is blank for 4 of the 6 eligible cases (67%)" in warning
    link = page.find("a", string="Map workers and teams to localities")
    assert link["href"] == "/cases/mapping"


def test_no_warning_when_most_cases_have_the_field_or_the_round_is_not_stratified(client_for, org):
    make_cases(3)
    import_annex(["A1", "A2", "A3"])  # exactly half blank: not most
    client = client_for("qa_coordinator")
    assert soup(client.get(f"/rounds/{_round().id}")).select_one("#draw-warning") is None
    import_annex(["A4"])
    from auditapp.domain.rounds import RoundSettings, create_round

    plain = create_round(RoundSettings(name="Plain", sample_size=2), created_by_id=None)
    assert soup(client.get(f"/rounds/{plain.id}")).select_one("#draw-warning") is None


def test_the_warning_goes_once_the_mapping_fills_the_field_and_the_draw_records_the_share(client_for, org):
    from auditapp.domain.case_mapping import replace_mapping
    from auditapp.domain.sampling import draw_sample
    from auditapp.importers.mapping import MappingRow

    import_annex(["A1", "A2", "A3", "A4"])
    audit_round = _round("team")
    client = client_for("qa_coordinator")
    assert "The team is blank for 4 of the 4" in soup(client.get(f"/rounds/{audit_round.id}")).get_text()
    replace_mapping([MappingRow(w, "CP North", None) for w in WORKERS], file_name="m.csv")
    assert soup(client.get(f"/rounds/{audit_round.id}")).select_one("#draw-warning") is None
    other = _round_named("Warned again", "locality")
    draw_sample(other, seed="s")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sample_drawn")).all()[-1]
    assert event.details["blank_stratum_percent"] == 100


def _round_named(name: str, stratify_by: str):
    from auditapp.domain.rounds import RoundSettings, create_round

    return create_round(RoundSettings(name=name, sample_size=2, stratify_by=stratify_by), created_by_id=None)


# -- Full returns ------------------------------------------------------------------------------------------------------


def upload_files(client, files, *, full_return: bool = False, period: str = "", format_: str = ""):
    token = csrf_token(client, "/cases/import")
    data = {"csrf_token": token, "format": format_, "period": period, "files": [(io.BytesIO(d), n) for n, d in files]}
    if full_return:
        data["full_return"] = "y"
    return client.post("/cases/import", data=data, content_type="multipart/form-data")


def test_a_full_return_marks_the_cases_it_leaves_out_and_the_check_page_says_how_many(client_for, org):
    from auditapp.domain.rounds import eligible_population

    import_annex(["A1", "A2", "A3", "A4"])
    make_cases(2)  # generic cases: another format, untouched by an Annex A return
    client = client_for("qa_coordinator")
    location = upload_files(client, [("Annex_A.xlsx", annex_a(["A1", "A2"]))], full_return=True, period="2025 to 2026")
    assert location.status_code == 302
    check = soup(client.get(location.headers["Location"]))
    rows = {r.dt.get_text(strip=True): r.dd.get_text(strip=True) for r in check.select(".govuk-summary-list__row")}
    assert rows["Format"] == "Ofsted Annex A" and rows["Full return"] == "Yes, for 2025 to 2026"
    warning = check.select_one("#not-in-return").get_text(" ", strip=True)
    assert "2 cases are from earlier Ofsted Annex A imports but not in this return" in warning
    assert "Nothing is deleted" in warning and "A3, A4" in check.get_text()
    assert case("A3").in_latest_return  # nothing happens before confirmation
    done = client.post(
        location.headers["Location"], data={"csrf_token": csrf_token(client, location.headers["Location"])}
    )
    assert "2 were marked not in the latest return" in soup(client.get(done.headers["Location"])).get_text()
    assert not case("A3").in_latest_return and not case("A4").in_latest_return
    assert case("A1").in_latest_return and case("T00001").in_latest_return
    assert count(Case) == 6  # kept, never deleted
    audit_round = _round_named("After the return", "none")
    eligible = {ref for ref, _ in eligible_population(audit_round).eligible}
    assert eligible == {"A1", "A2", "T00001", "T00002"}
    shown = soup(client.get(f"/cases/{case('A3').id}")).get_text(" ", strip=True)
    assert "Not in the latest return: left out of the full Ofsted Annex A return for 2025 to 2026" in shown
    listed = soup(client.get("/cases/?in_return=out"))
    assert [tr.select_one("td a").get_text(strip=True) for tr in listed.select("tbody tr")] == ["A3", "A4"]
    history = soup(client.get("/cases/imports")).get_text(" ", strip=True)
    assert "Full return for 2025 to 2026: 2 marked not in the latest return" in history
    batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (batch.full_return, batch.period, batch.marked_missing_count) == (True, "2025 to 2026", 2)


def test_the_next_return_that_includes_a_left_out_case_brings_it_back(actor, org):
    from auditapp.domain.rounds import eligible_population

    import_annex(["A1", "A2", "A3"])
    import_annex(["A1"], full_return=True, period="2025-26")
    assert not case("A2").in_latest_return
    plan = plan_import([Source("Annex_A.xlsx", annex_a(["A1", "A2"]))], max_bytes=10**7)
    assert plan.back_in_return == ["A2"] and plan.not_in_return == []  # not a full return: A3 stays out
    batch = apply_import(plan)
    assert case("A2").in_latest_return and not case("A3").in_latest_return and batch.returned_count == 1
    eligible = {ref for ref, _ in eligible_population(_round_named("Back", "none")).eligible}
    assert eligible == {"A1", "A2"}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cases_imported")).all()[-1]
    assert event.details["back_in_return"] == ["A2"]


def test_a_full_return_needs_its_period_and_the_period_has_a_limit(client_for, org):
    client = client_for("qa_coordinator")
    files = [("population.csv", generic_csv(case_rows(2)))]
    response = upload_files(client, files, full_return=True)
    assert response.status_code == 400
    assert "Enter the period the full return covers" in soup(response).select_one(".govuk-error-summary").get_text()
    response = upload_files(client, files, full_return=True, period="x" * 61)
    assert response.status_code == 400 and "60 characters or fewer" in soup(response).get_text()
    assert upload_files(client, files, period="ignored without the box").status_code == 302


def test_the_import_command_marks_a_full_return(app, org, tmp_path):
    import_annex(["A1", "A2"])
    db.session.commit()  # the command runs its own transaction
    path = tmp_path / "Annex_A.xlsx"
    path.write_bytes(annex_a(["A1"]))
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["cases", "import", str(path), "--full-return"])
    assert refused.exit_code != 0 and "--period" in refused.output
    dry = runner.invoke(args=["cases", "import", str(path), "--full-return", "--period", "2025-26", "--dry-run"])
    assert dry.exit_code == 0 and "1 would be marked not in the latest return" in dry.output
    done = runner.invoke(args=["cases", "import", str(path), "--full-return", "--period", "2025-26"])
    assert done.exit_code == 0 and "1 were marked not in the latest return" in done.output
    db.session.expire_all()
    assert not case("A2").in_latest_return


# -- Words -------------------------------------------------------------------------------------------------------------


def test_import_pages_use_the_formats_names_and_field_words(client_for, org):
    import_annex(["A1"])
    client = client_for("qa_coordinator")
    history = soup(client.get("/cases/imports")).select_one("tbody").get_text(" ", strip=True)
    assert "Ofsted Annex A" in history and "annex a" not in history.lower().replace("ofsted annex a", "")
    rows = case_rows(1)
    rows[0]["previous_cp_plans"] = "2"
    make_cases(1)
    location = upload_files(client, [("v2.csv", generic_csv(rows))]).headers["Location"]
    page = soup(client.get(location))
    text = page.get_text(" ", strip=True)
    assert "Generic CSV/Excel" in text and "previous child protection plans" in text
    assert "generic csv" not in text and "previous cp plans" not in text
    upload_page = soup(client.get("/cases/import")).get_text(" ", strip=True)
    assert "(child protection plan)" in upload_page


def test_a_period_with_markup_and_unicode_is_shown_as_text(client_for, org):
    client = client_for("qa_coordinator")
    files = [("population.csv", generic_csv(case_rows(2)))]
    location = upload_files(client, files, full_return=True, period="<b>2025</b> \u2603").headers["Location"]
    html = client.get(location).get_data(as_text=True)
    assert "Yes, for &lt;b&gt;2025&lt;/b&gt; \u2603" in html and "<b>2025</b>" not in html
