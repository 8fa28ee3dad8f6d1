"""Audit tool versions: the shipped ones and those an admin loads (validated, immutable once loaded).

This is the one place that finds a tool by key and version. A loaded version never changes, so its parsed form is
cached by its fingerprint: the definition is validated against the schema once per process, not on every page.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import select

from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import ToolVersion
from auditapp.tools import AuditTool, builtin_tools, load_tool, parse_tool_json, tool_fingerprint, tool_to_json

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
    """Validate an uploaded tool definition and store it as a new version.

    Raises ToolDefinitionError (every problem, with where it is) or DomainError when the version exists.
    """
    tool = parse_tool_json(text, name=name)
    if any(t.key == tool.key and t.version == tool.version for t in all_tools()):
        raise DomainError(
            f"{tool.key} version {tool.version} already exists: give the new tool a higher version", field="file"
        )
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
        details={"key": tool.key, "version": tool.version, "fingerprint": stored.fingerprint},
    )
    return tool
