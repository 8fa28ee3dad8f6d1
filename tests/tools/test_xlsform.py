"""Audit tools written as spreadsheets: every shipped tool round-trips, and each kind of mistake a coordinator can
make is reported with the sheet, row and column it is in."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from auditapp.tools import ToolDefinitionError, builtin_tool, builtin_tools, load_tool, tool_fingerprint
from auditapp.tools import loader as loader_module
from auditapp.tools.xlsform import parse_tool_workbook, tool_to_workbook, workbook_to_definition
from auditapp.tools.xlsform_read import MAX_ROWS

SETTINGS = [["key", "version", "title", "kind"], ["tiny_tool", 1, "A tiny tool", "agency_audit"]]
QUESTIONS_HEADER = ["type", "name", "label", "relevant", "choices"]


def book(
    questions: list[list[Any]],
    *,
    settings: list[list[Any]] | None = None,
    choices: list[list[Any]] | None = None,
    header: list[str] | None = None,
    grades: list[list[Any]] | None = None,
) -> bytes:
    """A workbook written as a coordinator would: the settings, then the questions rows (after the header)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets = {"settings": settings or SETTINGS, "questions": [header or QUESTIONS_HEADER, *questions]}
    sheets["choices"] = [["list_name", "name", "label"], *(choices or [])]
    if grades is not None:
        sheets["grades"] = [["value", "label", "descriptor"], *grades]
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems(data: bytes) -> list[str]:
    with pytest.raises(ToolDefinitionError) as caught:
        workbook_to_definition(data, name="tool.xlsx")
    return caught.value.errors


GOOD = [
    ["begin_section", "about", "About the child"],
    ["yes_no_na", "seen", "Was the child seen?"],
    ["text", "why_not", "Why not?", "${seen} = 'no'"],
    ["end_section", "about"],
]


def test_a_hand_written_sheet_loads_with_its_condition():
    tool = parse_tool_workbook(book(GOOD), name="tool.xlsx")
    question = tool.question("why_not")
    assert question.show_when.question_id == "seen" and question.show_when.values == ("no",)
    assert tool.sections[0].title == "About the child"


@pytest.mark.parametrize("tool", builtin_tools(), ids=lambda t: f"{t.key}.v{t.version}")
def test_every_shipped_tool_round_trips_through_a_spreadsheet(tool):
    definition = workbook_to_definition(tool_to_workbook(tool), name=f"{tool.key}.xlsx")
    assert definition == tool.definition
    assert tool_fingerprint(load_tool(definition)) == tool_fingerprint(tool)


def _every_field() -> dict[str, Any]:
    """A definition using every field of the format (on top of a shipped tool)."""
    data = copy.deepcopy(builtin_tool(key="multi_agency_case_file_audit", version=2).definition)
    data["grade_scale"] = {
        "name": "Quality of practice",
        "levels": [
            {"value": v, "label": f"{v.title()} practice", "descriptor": f"What {v} looks like; with a semicolon"}
            for v in ("outstanding", "good", "requires_improvement", "inadequate")
        ],
    }
    first = data["sections"][0]
    first["agencies"] = ["social_care", "health"]
    first["evidence"] = {"label": "Evidence", "hint": "Where", "required": True, "max_length": 900}
    first["evidence"]["error_required"] = "Enter the evidence"
    first["questions"].append(
        {
            "id": "placement_kind",
            "text": "=Where does the child live?",  # text starting "=" is text, never a formula
            "type": "choice",
            "options": [{"value": "home", "label": "At home"}, {"value": "care", "label": "In care; placed"}],
            "agencies": ["social_care"],
            "unit": "child",
            "required": False,
        }
    )
    first["questions"].append(
        {
            "id": "visits",
            "text": "How many visits?",
            "type": "number",
            "min": 0.5,
            "max": 40,
            "integer": False,
            "show_when": {"question": "placement_kind", "not_in": ["home", "care"]},
            "required_when": {"question": "placement_kind", "in": ["care"]},
            "agencies": ["social_care"],
            "error_required": "Enter the number of visits",
        }
    )
    first["questions"].append(
        {"id": "note", "text": "Note", "type": "text", "max_length": 200, "hint": "Line one\nline two"}
    )
    return data


def test_every_field_of_the_format_round_trips():
    data = _every_field()
    load_tool(data)  # valid to begin with
    assert workbook_to_definition(tool_to_workbook(data), name="all.xlsx") == data


def test_the_export_is_the_same_every_time():
    def cells(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
        workbook = load_workbook(io.BytesIO(data))
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}

    tool = builtin_tool(key="multi_agency_case_file_audit", version=2)
    first, second = cells(tool_to_workbook(tool)), cells(tool_to_workbook(tool))
    assert first == second and list(first) == ["settings", "questions", "choices"]
    assert first["questions"][0][:3] == ("type", "name", "label")


def test_an_unknown_type_names_the_row_and_column():
    errors = problems(book([*GOOD[:3], ["yesno", "q2", "Another?"], GOOD[3]]))
    assert errors == [
        "questions sheet, row 5, column type: unknown type 'yesno'; use one of: yes_no_na, choice, grade, date, "
        "number, text, begin_section, end_section"
    ]


def test_a_relevant_expression_that_cannot_be_read():
    errors = problems(book([*GOOD[:2], ["text", "why_not", "Why not?", "seen is no"], GOOD[3]]))
    assert len(errors) == 1
    assert errors[0].startswith("questions sheet, row 4, column relevant: cannot read 'seen is no': write ${question}")


def test_a_condition_on_a_later_question():
    rows = [GOOD[0], ["text", "why_not", "Why not?", "${seen} = 'no'"], ["yes_no_na", "seen", "Seen?"], GOOD[3]]
    assert problems(book(rows)) == [
        "questions sheet, row 3, column relevant: ${seen} is not a question earlier in the tool"
    ]


def test_selected_and_not_selected_conditions():
    rows = [
        GOOD[0],
        ["choice", "where", "Where?", None, "places"],
        ["text", "a", "A", "selected(${where}, 'home school')"],
        ["text", "b", "B", "not(selected(${where}, 'home'))"],
        ["text", "c", "C", "${where} != 'school'"],
    ]
    places = [["places", "home", "Home"], ["places", "school", "School"]]
    tool = parse_tool_workbook(book(rows, choices=places), name="t.xlsx")
    conditions = [tool.question(q).show_when for q in ("a", "b", "c")]
    assert [(c.values, c.negate) for c in conditions] == [(("home", "school"), False), (("home",), True)] + [
        (("school",), True)
    ]
    assert tool.question("where").options == (("home", "Home"), ("school", "School"))


def test_an_answer_a_condition_cannot_have_names_the_cell():
    rows = [*GOOD[:2], ["text", "why_not", "Why not?", "${seen} = 'maybe'"]]
    assert problems(book(rows)) == [
        "questions sheet, row 4, column relevant: 'maybe' is not an answer to 'seen' (answers: yes, no, not_applicable)"
    ]


def test_an_unknown_choices_list():
    rows = [GOOD[0], ["choice", "colour", "Colour?", None, "colours"]]
    assert problems(book(rows, choices=[["shapes", "round", "Round"], ["shapes", "square", "Square"]])) == [
        "questions sheet, row 3, column choices: there is no list 'colours' in the choices sheet"
    ]


def test_a_duplicate_name_points_at_both_rows():
    errors = problems(book([*GOOD[:2], ["text", "seen", "Again?"]]))
    assert errors == [
        "questions sheet, row 4, column name: duplicate question id 'seen' (first used at questions sheet row 3)"
    ]


def test_a_missing_settings_value():
    settings = [["key", "version", "title", "kind"], ["tiny_tool", 1, None, "agency_audit"]]
    assert problems(book(GOOD, settings=settings)) == ["settings sheet, row 2, column title: enter the tool's title"]


def test_a_bad_settings_value_is_translated_from_the_schema():
    settings = [["key", "version", "title", "kind"], ["Tiny Tool", "two", "Tiny", "survey"]]
    errors = problems(book(GOOD, settings=settings))
    assert errors == ["settings sheet, row 2, column version: 'two' is not a number"]
    settings[1][1] = 2
    errors = problems(book(GOOD, settings=settings))
    assert errors[0].startswith("settings sheet, row 2, column key: 'Tiny Tool' must be lower-case letters")
    assert errors[1] == "settings sheet, row 2, column kind: 'survey' is not one of: agency_audit, joint_discussion"


def test_an_unknown_column_is_named():
    header = [*QUESTIONS_HEADER, "colour"]
    assert problems(book(GOOD, header=header)) == [
        "questions sheet, row 1, column colour: unknown column 'colour' (columns: type, name, label, hint, required, "
        "relevant, required_if, choices, labels, polarity, unit, agency, computed, when_start_missing, min, max, "
        "integer, max_length, error_required, error_override_reason, evidence_label, evidence_hint, evidence_required)"
    ]


def test_a_missing_sheet_and_a_missing_header():
    workbook = Workbook()
    workbook.active.title = "questions"
    workbook.active.append(["type", "name"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert problems(buffer.getvalue()) == ["tool.xlsx: the workbook has no settings sheet (sheets: questions)"]
    assert problems(book(GOOD, header=["type", "name", "relevant"])) == ["questions sheet, row 1: missing column label"]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'{"key": "x"}', "this is not an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel file (.xls)"),
        (b"PK\x03\x04 broken zip", "damaged or incomplete"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused(data, says):
    [error] = problems(data)
    assert error.startswith("tool.xlsx: ") and says in error


def test_a_formula_is_refused_with_its_cell():
    rows = [GOOD[0], ["yes_no_na", "seen", '=CONCAT("Was", " seen?")']]
    assert problems(book(rows)) == [
        "questions sheet, row 3, column label: is a formula; type the value itself (formulas are not read)"
    ]


def test_an_over_large_sheet_is_refused():
    rows = [GOOD[0]] + [["text", f"q{n}", "Q"] for n in range(MAX_ROWS + 1)]
    errors = problems(book(rows))
    assert (
        errors[0]
        == f"questions sheet, row {MAX_ROWS + 2}: the sheet has more than {MAX_ROWS} rows; a tool needs far fewer"
    )


def test_every_problem_is_listed_at_once_in_sheet_order():
    settings = [["key", "version", "title", "kind"], ["tiny_tool", 1, None, "agency_audit"]]
    rows = [
        GOOD[0],
        ["yes_no_na", "seen", "Seen?", None, None, "maybe=Perhaps; yes=Seen alone"],
        ["grade", "overall", "Overall?", None, None, "yes=Good"],
        ["yes_no_na", "timely", "In time?", None, None, None, "working_days(referral_date, nope_date) <= 45"],
        ["number", "n", "How many?", "${seen} == 'yes'"],
    ]
    header = [*QUESTIONS_HEADER, "labels", "computed"]
    errors = problems(book(rows, settings=settings, header=header))
    assert errors[0] == "settings sheet, row 2, column title: enter the tool's title"
    assert errors[1].startswith("questions sheet, row 3, column labels: cannot read 'maybe=Perhaps'")
    assert "questions sheet, row 4, column labels: only allowed on 'yes_no_na' questions, not 'grade'" in errors
    assert any(
        e.startswith("questions sheet, row 5, column computed: 'nope_date' is not a known case date") for e in errors
    )
    assert errors[-1].startswith("questions sheet, row 6, column relevant: cannot read")


def test_grades_sheet_gives_the_scale_and_its_problems():
    levels = [["outstanding", "Excellent", "Very good work"], ["good", "Good", "Good work"]]
    levels += [["requires_improvement", "Not yet good", "Gaps"], ["inadequate", "Poor", "Harm"]]
    settings = [[*SETTINGS[0], "grade_scale_name"], [*SETTINGS[1], "Quality"]]
    rows = [*GOOD, ["begin_section", "judgement", "Judgement"], ["grade", "overall", "Overall?"]]
    tool = parse_tool_workbook(book(rows, settings=settings, grades=levels), name="t.xlsx")
    assert tool.grade_scale.name == "Quality" and tool.question("overall").options[0] == ("outstanding", "Excellent")
    assert tool.grade_scale.descriptor("inadequate") == "Harm"
    levels[3][0] = "bad"
    errors = problems(book(rows, settings=settings, grades=levels))
    assert errors[0].startswith("grades sheet, row 5, column value: 'bad' is not one of: outstanding")


def test_agencies_and_section_evidence_are_read():
    header = [*QUESTIONS_HEADER, "agency", "evidence_label", "evidence_required", "required"]
    rows = [
        ["begin_section", "police", "Police", None, None, "police", "Police evidence", "yes"],
        ["yes_no_na", "pnc_checked", "Were checks made?", None, None, None, None, None, "yes"],
        ["yes_no_na", "other", "Other?", None, None, "police housng"],
    ]
    errors = problems(book(rows, header=header))
    assert errors == [
        "questions sheet, row 4, column agency: unknown agency kind housng (kinds: social_care, health, police, "
        "education, probation, housing, other)"
    ]
    rows[2][5] = "police"
    tool = parse_tool_workbook(book(rows, header=header), name="t.xlsx")
    assert tool.sections[0].agencies == ("police",) and tool.sections[0].evidence.required is True
    assert tool.question("pnc_checked").required and tool.question("pnc_checked").agencies == ("police",)


def test_the_shipped_tool_loader_reads_spreadsheets(tmp_path: Path, monkeypatch):
    tool = builtin_tool(key="multi_agency_case_file_audit", version=2)
    data = copy.deepcopy(tool.definition) | {"key": "sheet_tool", "version": 1}
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "sheet_tool.v1.xlsx").write_bytes(tool_to_workbook(data))
    schema = Path(loader_module.__file__).with_name("schema.json")
    (tmp_path / "schema.json").write_bytes(schema.read_bytes())  # in case the schema is first read now
    loader_module._builtin.cache_clear()
    monkeypatch.setattr(loader_module.resources, "files", lambda _package: tmp_path)
    try:
        [loaded] = loader_module.builtin_tools()
        assert loaded.key == "sheet_tool" and loaded.definition == data
    finally:
        monkeypatch.undo()
        loader_module._builtin.cache_clear()


def test_the_example_in_the_guide_loads():
    header = ["type", "name", "label", "relevant", "choices", "agency", "evidence_label"]
    rows = [
        ["begin_section", "childs_voice", "The child's voice", None, None, None, "Evidence about the child's voice"],
        ["choice", "child_communication", "How does the child communicate?", None, "communication"],
        ["yes_no_na", "child_seen_alone", "Was the child seen alone?", "${child_communication} = 'verbal'"],
        ["text", "seen_alone_rationale", "Why was the child not seen alone?", "${child_seen_alone} != 'yes'"],
        ["end_section", "childs_voice"],
        ["begin_section", "police", "Police", None, None, "police", "Evidence from police records"],
        ["yes_no_na", "police_checks", "Were police checks made on the adults in the household?"],
        ["end_section", "police"],
    ]
    choices = [["communication", "verbal", "Speaks"], ["communication", "pre_verbal", "Not yet speaking"]]
    choices.append(["communication", "non_verbal", "Communicates without speech"])
    settings = [SETTINGS[0], ["child_voice_audit", 1, "The child's voice", "agency_audit"]]
    tool = parse_tool_workbook(book(rows, header=header, choices=choices, settings=settings), name="guide.xlsx")
    assert [q.id for q in tool.for_agency("health").questions] == [
        "child_communication",
        "child_seen_alone",
        "seen_alone_rationale",
    ]
    assert tool.question("police_checks").agencies == ("police",)
