"""What changed between two versions of a tool: questions added, removed and reworded (and how), sections,
the grade scale and the settings."""

from __future__ import annotations

import copy
from typing import Any

from auditapp.tools import builtin_tool, load_tool
from auditapp.tools.diff import diff_tools


def _base() -> dict[str, Any]:
    return copy.deepcopy(builtin_tool(key="multi_agency_case_file_audit", version=2).definition)


def _question(data: dict[str, Any], qid: str) -> dict[str, Any]:
    return next(q for s in data["sections"] for q in s["questions"] if q["id"] == qid)


def test_the_same_tool_is_unchanged():
    tool = load_tool(_base())
    diff = diff_tools(tool, tool)
    assert diff.unchanged and diff.same_content
    assert diff.lines() == ["Unchanged: the same as version 2, nothing to load"]


def test_a_new_version_number_alone_is_no_change():
    new = _base() | {"version": 9}
    diff = diff_tools(load_tool(_base()), load_tool(new))
    assert not diff.unchanged and diff.same_content
    assert diff.lines() == ["No change from version 2 apart from the version number"]


def test_questions_added_removed_and_reworded_say_what_changed():
    new = _base() | {"version": 3}
    seen = _question(new, "child_seen_alone")
    seen["text"] = "Was the child seen on their own?"
    rationale = _question(new, "seen_alone_rationale")
    rationale["show_when"] = {"question": "child_seen_alone", "in": ["no", "yes"]}
    rationale["agencies"] = ["social_care"]
    first = new["sections"][0]["questions"]
    removed = first.pop(-1)
    first.append({"id": "child_drawing", "text": "Did the child draw their family?", "type": "yes_no_na"})
    diff = diff_tools(load_tool(_base()), load_tool(new))
    assert [q.id for q in diff.questions_added] == ["child_drawing"]
    assert [q.id for q in diff.questions_removed] == [removed["id"]]
    reworded = {q.id: q for q in diff.questions_reworded}
    seen_changes = {c.field: (c.old, c.new) for c in reworded["child_seen_alone"].changes}
    assert seen_changes["wording"] == ("Was the child seen alone?", "Was the child seen on their own?")
    assert list(seen_changes) == ["wording"]
    condition, agencies = reworded["seen_alone_rationale"].changes
    assert (agencies.field, agencies.old, agencies.new) == ("agencies it is asked of", None, "social_care")
    assert condition.field == "when it is shown"
    assert (
        condition.old == "${child_seen_alone} != 'yes'" and condition.new == "selected(${child_seen_alone}, 'no yes')"
    )
    text = "\n".join(diff.lines())
    assert "Question added: Did the child draw their family? (child_drawing)" in text
    assert "Question reworded (when it is shown, agencies it is asked of): seen_alone_rationale" in text


def test_options_and_hints_are_changes_too():
    old, new = _base(), _base() | {"version": 3}
    for data, label in ((old, "At home"), (new, "Living at home")):
        data["sections"][0]["questions"].append(
            {
                "id": "where",
                "text": "Where?",
                "type": "choice",
                "options": [{"value": "home", "label": label}, {"value": "care", "label": "In care"}],
            }
        )
    _question(new, "child_seen_alone")["hint"] = "On their own, without a parent"
    diff = diff_tools(load_tool(old), load_tool(new))
    changes = {q.id: [c.field for c in q.changes] for q in diff.questions_reworded}
    assert changes == {"child_seen_alone": ["hint"], "where": ["options"]}
    [options] = next(q for q in diff.questions_reworded if q.id == "where").changes
    assert options.old == "At home (home) / In care (care)" and options.new == "Living at home (home) / In care (care)"


def test_sections_added_removed_and_renamed():
    new = _base() | {"version": 3}
    new["sections"][0]["title"] = "The child's lived experience"
    gone = new["sections"].pop()
    new["sections"].append({"id": "police", "title": "Police", "agencies": ["police"], "questions": []})
    new["sections"][-1]["questions"].append({"id": "pnc", "text": "Were checks made?", "type": "yes_no_na"})
    diff = diff_tools(load_tool(_base()), load_tool(new))
    assert [s.id for s in diff.sections_added] == ["police"]
    assert [s.id for s in diff.sections_removed] == [gone["id"]]
    [renamed] = diff.sections_renamed
    assert renamed.changes[0].old == "The child's voice" and renamed.changes[0].new == "The child's lived experience"
    assert {q.id for q in diff.questions_removed} == {q["id"] for q in gone["questions"]}


def test_grade_labels_and_descriptors():
    levels = ("outstanding", "good", "requires_improvement", "inadequate")
    old = _base() | {"grade_scale": {"levels": [{"value": v, "label": v.title(), "descriptor": "d"} for v in levels]}}
    new = copy.deepcopy(old) | {"version": 3}
    new["grade_scale"]["levels"][0]["label"] = "Exceptional"
    new["grade_scale"]["levels"][3]["descriptor"] = "Children are harmed or at risk"
    diff = diff_tools(load_tool(old), load_tool(new))
    assert [(c.field, c.old, c.new) for c in diff.grades_changed] == [
        ("label of outstanding", "Outstanding", "Exceptional"),
        ("descriptor of Inadequate", "d", "Children are harmed or at risk"),
    ]
