"""Fixtures for the audit tool engine: the shipped default tool and its proposals for a simple case."""

from __future__ import annotations

import pytest

from auditapp.tools import AuditTool, Proposal, builtin_tool, compute_proposals

from .factories import AS_AT, CASE_DATES, DEFAULT_KEY


@pytest.fixture
def tool() -> AuditTool:
    return builtin_tool(key=DEFAULT_KEY, version=2)  # these tests pin version 2; the 2026 tool (v3) has its own


@pytest.fixture
def proposals(tool: AuditTool) -> dict[str, Proposal]:
    return compute_proposals(tool=tool, case_dates=CASE_DATES, as_at=AS_AT)
