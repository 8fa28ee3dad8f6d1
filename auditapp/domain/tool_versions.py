"""Audit tool versions: the shipped ones and those an admin loads (validated, immutable once loaded).

This is the one place that finds a tool by key and version. A loaded version never changes, so its parsed form is
cached by its fingerprint: the definition is validated against the schema once per process, not on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import ToolVersion
from auditapp.tools import (
    AuditTool,
    builtin_tools,
    canonical_json,
    load_tool,
    parse_tool_json,
    tool_fingerprint,
    tool_to_json,
)
from auditapp.tools.diff import ToolDiff, diff_tools
from auditapp.tools.loader import shipped_tool
from auditapp.tools.xlsform import parse_tool_workbook, tool_to_workbook

DEFAULT_TOOL_KEY = "multi_agency_case_file_audit"


@lru_cache(maxsize=64)
def _parsed(fingerprint: str, definition_json: str) -> AuditTool:
    import json

    return load_tool(json.loads(definition_json))


def _load_stored(stored: ToolVersion) -> AuditTool:
    import json

    return _parsed(stored.fingerprint, json.dumps(stored.definition, sort_keys=True))


def all_tools() -> list[AuditTool]:
    """Every tool version available: shipped and loaded, ordered by key then version."""
    tools = {(t.key, t.version): t for t in builtin_tools()}
    for stored in db.session.scalars(select(ToolVersion)):
        tools[(stored.key, stored.version)] = _load_stored(stored)
    return [tools[k] for k in sorted(tools)]


def get_tool(*, key: str, version: int) -> AuditTool:
    """The tool ``key`` at exactly ``version`` (a round's pinned tool). Raises DomainError when it is unknown.

    Remembered for the rest of the session (a request, a command): versions never change once they exist.
    """
    found: dict[tuple[str, int], AuditTool] = db.session.info.setdefault("auditapp_tools", {})
    if (key, version) not in found:
        found[(key, version)] = _find_tool(key=key, version=version)
    return found[(key, version)]


def _find_tool(*, key: str, version: int) -> AuditTool:
    stored = db.session.scalar(select(ToolVersion).where(ToolVersion.key == key, ToolVersion.version == version))
    if stored is not None:
        return _load_stored(stored)
    shipped = shipped_tool(key=key, version=version)  # its own file only, when the files are named as usual
    if shipped is not None:
        return shipped
    for tool in builtin_tools():
        if tool.key == key and tool.version == version:
            return tool
    raise DomainError(f"There is no audit tool {key} version {version}")


def available_tool(*, key: str, version: int | None = None) -> AuditTool:
    """The tool ``key`` at ``version`` (or its newest). Raises DomainError when there is none."""
    matches = [
        t
        for t in all_tools()
        if t.key == key and t.kind != "joint_discussion" and (version is None or t.version == version)
    ]
    if not matches:
        raise DomainError(f"There is no audit tool {key}" + (f" version {version}" if version else ""), field="tool")
    return max(matches, key=lambda t: t.version)


def newest_agency_tools() -> dict[str, AuditTool]:
    """The newest version of each tool an agency audit can use, by key (for choosing a round's tool)."""
    newest: dict[str, AuditTool] = {}
    for tool in all_tools():
        if tool.kind == "agency_audit":
            newest[tool.key] = tool
    return dict(sorted(newest.items()))


def load_tool_version(*, text: bytes | str, name: str) -> AuditTool:
    """Validate an uploaded tool definition (JSON) and store it as a new version.

    Raises ToolDefinitionError (every problem, with where it is) or DomainError when the version exists.
    """
    tool = parse_tool_json(text, name=name)
    if any(t.key == tool.key and t.version == tool.version for t in all_tools()):
        raise DomainError(
            f"{tool.key} version {tool.version} already exists: give the new tool a higher version", field="file"
        )
    return _store(tool, source="json")


def _store(tool: AuditTool, *, source: str) -> AuditTool:
    definition: dict[str, Any] = tool_to_json(tool)
    stored = ToolVersion(
        key=tool.key,
        version=tool.version,
        title=tool.title,
        definition=definition,
        fingerprint=tool_fingerprint(tool),
        loaded_by_id=current_actor().user_id,
    )
    db.session.add(stored)
    db.session.flush()
    record_event(
        "tool_version_loaded",
        object_type="tool_version",
        object_id=stored.id,
        details={"key": tool.key, "version": tool.version, "fingerprint": stored.fingerprint, "source": source},
    )
    return tool


# ------------------------------------------------------------------------------ spreadsheets: preview and save

NEW_TOOL, NEW_VERSION, UNCHANGED, SAME_CONTENT, VERSION_TAKEN = (
    "new_tool",
    "new_version",
    "unchanged",
    "same_content",
    "version_taken",
)


@dataclass(frozen=True)
class ToolPreview:
    """An uploaded tool, checked, against the newest existing version of its key (``previous``).

    ``status``: NEW_TOOL or NEW_VERSION (can be saved); UNCHANGED (exactly a version that exists: an unchanged
    export), SAME_CONTENT (the newest version's content under a higher number) or VERSION_TAKEN (the version is
    not higher than the newest): these cannot be saved, and ``message`` says why.
    """

    tool: AuditTool
    previous: AuditTool | None
    diff: ToolDiff | None
    status: str
    message: str
    source: str  # "spreadsheet" or "json"

    @property
    def can_save(self) -> bool:
        return self.status in (NEW_TOOL, NEW_VERSION)

    @property
    def canonical(self) -> str:
        """The definition as canonical JSON: what the preview page carries to the save."""
        return canonical_json(self.tool)


def _is_spreadsheet(data: bytes | str, name: str) -> bool:
    return name.lower().endswith(".xlsx") or (isinstance(data, bytes) and data[:4] == b"PK\x03\x04")


def _parse_upload(data: bytes | str, name: str) -> tuple[AuditTool, str]:
    if _is_spreadsheet(data, name):
        raw = data.encode("utf-8") if isinstance(data, str) else data
        return parse_tool_workbook(raw, name=name), "spreadsheet"
    return parse_tool_json(data, name=name), "json"


def _status(tool: AuditTool, versions: list[AuditTool]) -> tuple[AuditTool | None, str, str]:
    previous = max(versions, key=lambda t: t.version) if versions else None
    same = next((t for t in versions if t.version == tool.version), None)
    if same is not None and tool_fingerprint(same) == tool_fingerprint(tool):
        return same, UNCHANGED, f"This is {tool.title} version {tool.version} as it is already stored: nothing to load."
    if previous is None:
        return None, NEW_TOOL, f"{tool.title} is a new tool: it will be version {tool.version}."
    if tool.version <= previous.version:
        return (
            previous,
            VERSION_TAKEN,
            f"Version {tool.version} is not higher than the newest version, {previous.version}: change the version "
            f"in the settings to {previous.version + 1} and upload it again.",
        )
    if diff_tools(previous, tool).same_content:
        return previous, SAME_CONTENT, f"No change from version {previous.version}: nothing to load."
    return previous, NEW_VERSION, f"This will be saved as version {tool.version}."


def preview_tool_upload(*, data: bytes | str, name: str) -> ToolPreview:
    """Check an uploaded tool (a spreadsheet, .xlsx, or a JSON definition, told apart by name and content) and
    compare it with the newest existing version of its key. Writes nothing: this is the dry run.

    A version is never overwritten nor renumbered: an upload whose version is not higher than the newest is
    refused (VERSION_TAKEN) with the number to use, so what is stored is exactly what the coordinator wrote.
    Raises ToolDefinitionError listing every problem (for a spreadsheet, by sheet, row and column).
    """
    tool, source = _parse_upload(data, name)
    versions = [t for t in all_tools() if t.key == tool.key]
    previous, status, message = _status(tool, versions)
    diff = diff_tools(previous, tool) if previous is not None else None
    return ToolPreview(tool=tool, previous=previous, diff=diff, status=status, message=message, source=source)


def save_tool_upload(*, data: bytes | str, name: str, source: str | None = None) -> ToolPreview:
    """Check an upload again (as :func:`preview_tool_upload`) and store it as a new version, with its trail event.

    Raises ToolDefinitionError, or DomainError (field ``file``) when it cannot be saved: unchanged, no change
    from the newest version, or a version not higher than the newest. ``source`` ("spreadsheet" or "json") is
    what the trail records the tool came from, when the upload is the checked JSON carried from a preview.
    """
    preview = preview_tool_upload(data=data, name=name)
    if not preview.can_save:
        raise DomainError(preview.message, field="file")
    _store(preview.tool, source=source or preview.source)
    return preview


def export_tool(*, key: str, version: int, spreadsheet: bool) -> tuple[bytes, str]:
    """A tool version as a spreadsheet (.xlsx) or JSON file, and its file name; the download is on the trail.

    Raises DomainError when there is no such version.
    """
    tool = get_tool(key=key, version=version)
    if spreadsheet:
        content, suffix = tool_to_workbook(tool), "xlsx"
    else:
        import json

        text = json.dumps(tool.definition, indent=2, ensure_ascii=False) + "\n"
        content, suffix = text.encode("utf-8"), "json"
    record_event(
        "tool_exported",
        object_type="tool_version",
        object_id=f"{key}.v{version}",
        details={"key": key, "version": version, "format": suffix, "fingerprint": tool_fingerprint(tool)},
    )
    return content, f"{key}.v{version}.{suffix}"
