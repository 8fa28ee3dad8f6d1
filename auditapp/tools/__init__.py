"""The audit tool engine: versioned tool definitions as data, their validation, conditional questions,
answer validation and computed proposals from case dates. Pure Python: no Flask, no database.

Typical use::

    tool = builtin_tool(key="multi_agency_case_file_audit")
    proposals = compute_proposals(tool=tool, case_dates=case.dates, as_at=round.as_at)
    errors = validate_all(tool=tool, answers=audit.answers, computed=proposals)
"""

from auditapp.vocabulary import SectionStatus  # the task-list status of a section

from .answers import (
    clean_answers,
    is_required,
    questions_to_ask,
    section_status,
    validate_all,
    validate_section,
    visible_questions,
    waiting_on,
)
from .computed import anniversary, compute_proposals, format_date
from .loader import (
    builtin_tool,
    builtin_tools,
    canonical_json,
    load_tool,
    parse_tool_json,
    tool_fingerprint,
    tool_schema,
    tool_to_json,
)
from .model import (
    AGENCY_KINDS,
    ANSWER_TYPES,
    CASE_DATE_FIELDS,
    GRADE_OPTIONS,
    YES_NO_NA_OPTIONS,
    AuditTool,
    ComputedRule,
    Condition,
    Evidence,
    FieldError,
    GradeLevel,
    GradeScale,
    Proposal,
    Question,
    Section,
    ToolDefinitionError,
    evidence_key,
    override_key,
)
from .workingdays import add_working_days, bank_holidays, is_working_day, working_days_between

__all__ = [
    "AGENCY_KINDS",
    "ANSWER_TYPES",
    "CASE_DATE_FIELDS",
    "GRADE_OPTIONS",
    "YES_NO_NA_OPTIONS",
    "AuditTool",
    "ComputedRule",
    "Condition",
    "Evidence",
    "FieldError",
    "GradeLevel",
    "GradeScale",
    "Proposal",
    "Question",
    "Section",
    "SectionStatus",
    "ToolDefinitionError",
    "add_working_days",
    "anniversary",
    "bank_holidays",
    "builtin_tool",
    "builtin_tools",
    "canonical_json",
    "clean_answers",
    "compute_proposals",
    "evidence_key",
    "format_date",
    "is_required",
    "is_working_day",
    "load_tool",
    "override_key",
    "parse_tool_json",
    "questions_to_ask",
    "section_status",
    "tool_fingerprint",
    "tool_schema",
    "tool_to_json",
    "validate_all",
    "validate_section",
    "visible_questions",
    "waiting_on",
    "working_days_between",
]
