"""What the Board report holds: the data ``report_data.build_report`` gathers and ``render`` shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from auditapp.stats import Agreement, ProportionResult


@dataclass(frozen=True)
class Cover:
    partnership: str
    round_name: str
    theme: str | None
    mode: str
    tool: str
    drawn_on: date | None
    due_on: date | None
    generated_at: datetime


@dataclass(frozen=True)
class Method:
    population_size: int
    filter_words: list[str]
    exclusions: list[tuple[str, int]]
    stratified_by: str
    strata: list[tuple[str, int, int]]  # (name, N_s, n_s)
    sample_size: int
    seed: str
    certificate_sha256: str
    verify_commands: list[str]
    auditors: list[tuple[str, str, int]]  # (type, agency, count)
    agreement: Agreement


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    section: str
    text: str
    result: ProportionResult  # k = yes, n = yes + no (not applicable left out)
    not_applicable: int


@dataclass(frozen=True)
class Trend:
    rounds: list[str]  # round names, oldest first; the last is this round
    rows: list[tuple[str, list[float | None]]]  # (question text, % yes per round)


@dataclass(frozen=True)
class AgencyResult:
    agency: str
    audits: int
    yes: ProportionResult
    grades: dict[str, int]


@dataclass(frozen=True)
class FindingItem:
    title: str
    evidence: str
    so_what: str
    recommendation: str | None
    questions: list[str]
    cases: list[str]


@dataclass(frozen=True)
class ActionItem:
    finding: str
    description: str
    agency: str
    owner: str
    due_on: date
    status: str
    overdue: bool
    latest_update: tuple[date, str] | None


@dataclass(frozen=True)
class CaseSummary:
    label: str
    status: str
    age_band: str
    team: str
    agency_grades: list[tuple[str, str, str | None]]  # (agency, auditor's grade, moderated grade)
    joint_grade: str | None
    so_what: str | None


@dataclass(frozen=True)
class Interim:
    """An interim report: published before the round was complete. Said on its cover and on every page."""

    missing: list[str]  # what was incomplete, in words (counts: no case is named)
    reason: str | None  # why it was published anyway; None in a preview (given when publishing)


@dataclass(frozen=True)
class Version:
    """Which version of the round's report this is, and what it replaces."""

    number: int
    replaces: int | None = None  # the version it supersedes
    reason: str | None = None  # why it replaces it


@dataclass(frozen=True)
class ReportData:
    cover: Cover
    summary: list[str]
    headline_findings: list[tuple[str, str]]
    method: Method
    questions: list[QuestionResult]
    auditor_grades: dict[str, int]
    moderated_grades: dict[str, int]
    trend: Trend
    agencies: list[AgencyResult]
    findings: list[FindingItem]
    actions: list[ActionItem]
    cases: list[CaseSummary]
    counts: dict[str, int] = field(default_factory=dict)
    interim: Interim | None = None
    version: Version | None = None
