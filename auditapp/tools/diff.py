"""What changed between two versions of a tool, in words a coordinator checks before loading a new version.

Questions and sections are matched by id (ids are stable: exports and trends use them), so a question whose id
changed shows as one removed and one added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .loader import tool_fingerprint
from .model import AuditTool
from .xlsform_cells import computed_text, condition_text

# The fields compared, in the order they are reported, with their names in words.
QUESTION_FIELDS: dict[str, str] = {
    "text": "wording",
    "hint": "hint",
    "type": "answer type",
    "options": "options",
    "labels": "answer labels",
    "show_when": "when it is shown",
    "required_when": "when it is required",
    "required": "whether it is required",
    "agencies": "agencies it is asked of",
    "section": "section",
    "computed": "computed rule",
    "meets_standard": "the answer that meets the standard",
    "unit": "what an answer is about",
    "min": "lowest number",
    "max": "highest number",
    "integer": "whole numbers only",
    "max_length": "longest answer",
    "error_required": "error message when not answered",
    "error_override_reason": "error message when no reason is given",
}
SECTION_FIELDS: dict[str, str] = {
    "title": "title",
    "description": "description",
    "agencies": "agencies it is asked of",
    "evidence_label": "evidence box label",
    "evidence_hint": "evidence box hint",
    "evidence_required": "whether evidence is required",
    "evidence_max_length": "longest evidence",
    "evidence_error_required": "error message when no evidence is given",
}
SETTINGS_FIELDS: dict[str, str] = {"title": "title", "description": "description", "kind": "kind"}
SETTINGS_FIELDS |= {"calendar": "working-day calendar", "grade_scale_name": "grade scale name"}


@dataclass(frozen=True)
class Change:
    """One field that differs: its name in words, and the old and new values as text (None: not given)."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ItemDiff:
    """A question or section: its id, its text (the new one when it still exists) and what changed."""

    id: str
    text: str
    section: str = ""
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class ToolDiff:
    """The differences from ``old`` to ``new``. ``unchanged``: the same fingerprint, so nothing at all differs;
    ``same_content``: nothing differs but (perhaps) the version number."""

    old_version: int
    new_version: int
    unchanged: bool
    questions_added: tuple[ItemDiff, ...] = ()
    questions_removed: tuple[ItemDiff, ...] = ()
    questions_reworded: tuple[ItemDiff, ...] = ()
    sections_added: tuple[ItemDiff, ...] = ()
    sections_removed: tuple[ItemDiff, ...] = ()
    sections_changed: tuple[ItemDiff, ...] = ()
    grades_changed: tuple[Change, ...] = ()
    settings_changed: tuple[Change, ...] = field(default=())

    @property
    def same_content(self) -> bool:
        return self.unchanged or not any(
            (
                self.questions_added,
                self.questions_removed,
                self.questions_reworded,
                self.sections_added,
                self.sections_removed,
                self.sections_changed,
                self.grades_changed,
                self.settings_changed,
            )
        )

    @property
    def sections_renamed(self) -> tuple[ItemDiff, ...]:
        return tuple(s for s in self.sections_changed if any(c.field == "title" for c in s.changes))

    def lines(self) -> list[str]:
        """The differences as plain lines of text (for the command line)."""
        if self.unchanged:
            return [f"Unchanged: the same as version {self.old_version}, nothing to load"]
        if self.same_content:
            return [f"No change from version {self.old_version} apart from the version number"]
        out = [f"Changes from version {self.old_version} to version {self.new_version}:"]
        out += [f"  Setting changed, {c.field}: {c.old!r} -> {c.new!r}" for c in self.settings_changed]
        out += [f"  Section added: {s.text} ({s.id})" for s in self.sections_added]
        out += [f"  Section removed: {s.text} ({s.id})" for s in self.sections_removed]
        for item in self.sections_changed:
            out += [
                f"  Section changed: {item.text} ({item.id}), {c.field}: {c.old!r} -> {c.new!r}" for c in item.changes
            ]
        out += [f"  Question added: {q.text} ({q.id}) in {q.section}" for q in self.questions_added]
        out += [f"  Question removed: {q.text} ({q.id}) from {q.section}" for q in self.questions_removed]
        for item in self.questions_reworded:
            words = ", ".join(c.field for c in item.changes)
            out.append(f"  Question reworded ({words}): {item.id}")
            out += [f"      {c.field}: {c.old!r} -> {c.new!r}" for c in item.changes]
        out += [f"  Grade scale changed, {c.field}: {c.old!r} -> {c.new!r}" for c in self.grades_changed]
        return out


def _shown(name: str, value: Any) -> str | None:
    """A field's value as a coordinator reads it."""
    if value is None:
        return None
    if name in ("show_when", "required_when"):
        return condition_text(value)
    if name == "computed":
        return computed_text(value)
    if name == "options":
        return " / ".join(f"{o['label']} ({o['value']})" for o in value)
    if name == "agencies":
        return ", ".join(value) if value else "every agency"
    if name == "labels":
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _changes(old: Mapping[str, Any], new: Mapping[str, Any], fields: Mapping[str, str]) -> tuple[Change, ...]:
    return tuple(
        Change(words, _shown(name, old.get(name)), _shown(name, new.get(name)))
        for name, words in fields.items()
        if old.get(name) != new.get(name)
    )


def _questions(tool: AuditTool) -> dict[str, dict[str, Any]]:
    """Each raw question by id, with its section's title and the agencies it is asked of (its own or its
    section's), so that moving a question or limiting its section shows as a change to the question."""
    found = {}
    for section in tool.definition["sections"]:
        for question in section["questions"]:
            agencies = question.get("agencies") or section.get("agencies") or None
            found[question["id"]] = dict(question) | {"section": section["title"], "agencies": agencies}
    return found


def _sections(tool: AuditTool) -> dict[str, dict[str, Any]]:
    """Each raw section by id, its evidence box's fields flattened (``evidence_label``) to be compared one by one."""
    found = {}
    for section in tool.definition["sections"]:
        evidence = {f"evidence_{k}": v for k, v in section.get("evidence", {}).items()}
        found[section["id"]] = dict(section) | evidence
    return found


def _grade_changes(old: AuditTool, new: AuditTool) -> tuple[Change, ...]:
    changes = []
    for before, after in zip(old.grade_scale.levels, new.grade_scale.levels, strict=True):
        if before.label != after.label:
            changes.append(Change(f"label of {before.value}", before.label, after.label))
        if before.descriptor != after.descriptor:
            changes.append(Change(f"descriptor of {after.label}", before.descriptor, after.descriptor))
    return tuple(changes)


def _settings(tool: AuditTool) -> dict[str, Any]:
    data = tool.definition
    return {k: data.get(k) for k in SETTINGS_FIELDS} | {"grade_scale_name": tool.grade_scale.name}


def diff_tools(old: AuditTool, new: AuditTool) -> ToolDiff:
    """The differences between two tools (normally two versions of one key), old first."""
    if tool_fingerprint(old) == tool_fingerprint(new):
        return ToolDiff(old_version=old.version, new_version=new.version, unchanged=True)
    old_q, new_q = _questions(old), _questions(new)
    old_s, new_s = _sections(old), _sections(new)

    def item(raw: Mapping[str, Any], text_key: str, changes: tuple[Change, ...] = ()) -> ItemDiff:
        return ItemDiff(id=raw["id"], text=raw[text_key], section=raw.get("section", ""), changes=changes)

    changed_q = [(q, _changes(old_q[i], q, QUESTION_FIELDS)) for i, q in new_q.items() if i in old_q]
    changed_s = [(s, _changes(old_s[i], s, SECTION_FIELDS)) for i, s in new_s.items() if i in old_s]
    return ToolDiff(
        old_version=old.version,
        new_version=new.version,
        unchanged=False,
        questions_added=tuple(item(q, "text") for i, q in new_q.items() if i not in old_q),
        questions_removed=tuple(item(q, "text") for i, q in old_q.items() if i not in new_q),
        questions_reworded=tuple(item(q, "text", c) for q, c in changed_q if c),
        sections_added=tuple(item(s, "title") for i, s in new_s.items() if i not in old_s),
        sections_removed=tuple(item(s, "title") for i, s in old_s.items() if i not in new_s),
        sections_changed=tuple(item(s, "title", c) for s, c in changed_s if c),
        grades_changed=_grade_changes(old, new),
        settings_changed=_changes(_settings(old), _settings(new), SETTINGS_FIELDS),
    )
