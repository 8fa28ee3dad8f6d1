"""Audit tool versions: the shipped ones and those an admin loads (validated, immutable once loaded)."""

from __future__ import annotations

from sqlalchemy import select

from auditapp.domain.audit_trail import record_event
from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.extensions import db
from auditapp.models import ToolVersion
from auditapp.tools import AuditTool, builtin_tools, load_tool, parse_tool_json, tool_fingerprint, tool_to_json


def all_tools() -> list[AuditTool]:
    """Every tool version available: shipped and loaded, ordered by key then version."""
    tools = {(t.key, t.version): t for t in builtin_tools()}
    for stored in db.session.scalars(select(ToolVersion)):
        tools[(stored.key, stored.version)] = load_tool(stored.definition)
    return [tools[k] for k in sorted(tools)]


def available_tool(*, key: str, version: int | None = None) -> AuditTool:
    """The tool ``key`` at ``version`` (or its newest). Raises DomainError when there is none."""
    matches = [t for t in all_tools() if t.key == key and t.kind != "joint_discussion"
               and (version is None or t.version == version)]
    if not matches:
        raise DomainError(f"There is no audit tool {key}" + (f" version {version}" if version else ""),
                          field="tool")
    return max(matches, key=lambda t: t.version)


def load_tool_version(*, text: bytes | str, name: str) -> AuditTool:
    """Validate an uploaded tool definition and store it as a new version.

    Raises ToolDefinitionError (every problem, with where it is) or DomainError when the version exists.
    """
    tool = parse_tool_json(text, name=name)
    if any(t.key == tool.key and t.version == tool.version for t in all_tools()):
        raise DomainError(f"{tool.key} version {tool.version} already exists: give the new tool a higher version",
                          field="file")
    stored = ToolVersion(key=tool.key, version=tool.version, title=tool.title, definition=tool_to_json(tool),
                         fingerprint=tool_fingerprint(tool), loaded_by_id=current_actor().user_id)
    db.session.add(stored)
    db.session.flush()
    record_event("tool_version_loaded", object_type="tool_version", object_id=stored.id,
                 details={"key": tool.key, "version": tool.version, "fingerprint": stored.fingerprint})
    return tool
