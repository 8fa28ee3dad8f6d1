"""What the Board report holds: the data ``report_data.build_report`` gathers and ``render`` shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from auditapp.reports.annex import Annex
from auditapp.reports.child_results import GradeRow, JointGrades
from auditapp.reports.front_types import BoardFront
from auditapp.reports.other_draws import OtherDraws
from auditapp.stats import Agreement, ClusteredProportion, ProportionResult
from auditapp.tools import GRADE_OPTIONS


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
    auditors: list[tuple[str, str, int]]  # (type, agency, count)
    agreement: Agreement
    other_draws: OtherDraws | None = None  # the other rounds on the theme drawn or cancelled in the last 12 months


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    section: str
    text: str
    result: ClusteredProportion  # k = answers meeting the standard, n = yes + no (not applicable left out),
    # with the interval widened for clustering by child and the small-n flag counting children
    not_applicable: int
    meets_standard: str = "yes"  # the answer that meets the standard: "yes", or "no" where a yes is a concern
    unit: str = "agency_audit"  # or "child": one answer per child (reports/child_results.py), a plain Wilson
    # interval over children, and ``not_applicable`` counts children
    disagreed: int = 0  # children left out of a child-level result because their agencies disagreed


@dataclass(frozen=True)
class TrendRound:
    name: str
    drawn_on: date | None


@dataclass(frozen=True)
class TrendRow:
    """One question across the trend's rounds: a result per round, or None where it was not comparable."""

    text: str
    results: list[ProportionResult | ClusteredProportion | None]  # None: its wording changed (or it was not
    # asked) in that round; k = answers meeting the standard, counted at the question's unit
    comparable: bool  # False when its wording differs in any earlier round
    unit: str = "agency_audit"  # or "child" (counted once per child in every round)
    meets_standard: str = "yes"


@dataclass(frozen=True)
class Trend:
    rounds: list[str]  # round names, oldest first by draw date; the last is this round
    rows: list[tuple[str, list[float | None]]]  # (question text, % meeting the standard per round): the chart's
    # comparable rows
    points: list[TrendRound] = field(default_factory=list)  # the rounds with their draw dates
    table: list[TrendRow] = field(default_factory=list)  # every question, with n and the Wilson interval
    notes: list[str] = field(default_factory=list)  # plain notes: populations that differ


@dataclass(frozen=True)
class AgencyResult:
    agency: str
    audits: int
    yes: ProportionResult  # every yes or no answer in its audits pooled: k = those meeting the standard
    grades: dict[str, int]  # moderated grades only
    children: int = 0  # the children its audits are about (the small-number warning counts these)
    awaiting_moderation: int = 0  # its counted audits not moderated yet (so not in ``grades``)


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
    success_measure: str | None = None  # issue 15: None for an action from before success measures
    reaudit_on: date | None = None


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
    front: BoardFront | None = None  # the Board front section (reports/front.py), first in the report
    question_grades: list[GradeRow] = field(default_factory=list)  # the plan-quality grade, per agency audit
    joint_grades: JointGrades | None = None  # the joint discussions' grades, per child
    annex: Annex | None = None  # the technical annex: seed, hashes, verification, kappa, clustering
    learning: list[str] = field(default_factory=list)  # issue 15: the priorities and review learning it tests

    @property
    def grade_options(self) -> tuple[tuple[str, str], ...]:
        """The grades as the round's tool names them, best first (the standard names without an annex)."""
        return self.annex.grade_scale.options if self.annex else GRADE_OPTIONS
