"""What the programme dashboard shows (issue 17): the figures ``figures.build_dashboard`` computes and the pages,
charts, XLSX export and the Board's PDF page present. Plain data, no database objects.

Definitions (docs/programme.md gives them in words for the Board):

- **Quarter**: a quarter of the financial year (``auditapp.domain.quarters``); an instant counts in the quarter of
  its date in England.
- **Agency** of an agency audit: its assignment's ``agency_name``; where that is empty (single-agency rounds), the
  auditor's agency; else "No agency recorded". Only rounds not cancelled, and sampled cases not replaced, count.
- **Assigned** in a quarter: assignments made (``assigned_at``) in it. **Completed**: audits submitted
  (``submitted_at``; state submitted or moderated) in it. **On time**: completed on or before the due date (the
  assignment's, else the round's), by the date in England; **no due date**: completed where neither is set.
- **Outstanding** (now, at ``as_of``): assignments whose audit is not yet submitted, in rounds drawn and not
  cancelled; **overdue** among them: past their due date.
- **Moderation agreement** in a quarter: audits moderated (``moderated_at``) in it; agreed: the moderator's
  decision was "agreed" (the auditor's grade stood); where blind grades were recorded in the quarter, the blind
  pairs and how many matched exactly.
- **Grades** by quarter and theme: completed audits' final grade (the moderated grade where the moderator re-graded,
  else the auditor's ``overall_grade``), by the round's theme ("No theme" when empty); single-agency returns'
  grades beside them, by each of the return's themes (a return with two themes counts under both, said so).
- **Concerns**: raised (``raised_at``) in the quarter, by the case's agency; acknowledged; the median and the
  longest time to acknowledge, in hours; still unacknowledged at ``as_of``.
- **Actions** by the quarter of their due date and their agency: due; completed by their due date (``completed_at``
  on or before it, in England); completed late; not completed and past due at ``as_of`` (overdue).
- **Coverage**: every active team and locality, with the date of the last completed audit of a case of theirs and
  whether that is within the 12 months before ``as_of``.
- **Schedule**: each planned round with its status (``PlannedStatus``) against what was done.
- **Single-agency returns**: per agency and quarter, the return (or its status when there is none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from auditapp.domain.quarters import Quarter


@dataclass(frozen=True)
class Filters:
    """The quarters shown (``first`` to ``last``, both included) and, optionally, one agency or one theme."""

    first: Quarter
    last: Quarter
    agency: str | None = None  # an agency's name
    theme: str | None = None  # a round's theme (and a return's)


@dataclass(frozen=True)
class AuditsRow:
    quarter: Quarter
    agency: str
    assigned: int
    completed: int
    on_time: int
    no_due_date: int


@dataclass(frozen=True)
class OutstandingRow:
    agency: str
    outstanding: int
    overdue: int
    oldest_due: date | None  # the earliest due date among the overdue


@dataclass(frozen=True)
class AgreementRow:
    quarter: Quarter
    moderated: int
    agreed: int
    regraded: int
    returned: int
    blind_pairs: int
    blind_matched: int


@dataclass(frozen=True)
class GradesRow:
    quarter: Quarter
    theme: str
    source: str  # "multi-agency" or "single-agency"
    counts: dict[str, int]  # grade value (GRADE_OPTIONS order) -> audits given it
    ungraded: int


@dataclass(frozen=True)
class ConcernsRow:
    quarter: Quarter
    agency: str
    raised: int
    acknowledged: int
    median_hours: float | None
    longest_hours: float | None
    unacknowledged: int


@dataclass(frozen=True)
class ActionsRow:
    quarter: Quarter  # of the action's due date
    agency: str
    due: int
    completed_on_time: int
    completed_late: int
    overdue: int


@dataclass(frozen=True)
class OverdueAction:
    action_id: int
    description: str
    agency: str
    owner: str
    due_date: date
    days_overdue: int


@dataclass(frozen=True)
class CoverageRow:
    kind: str  # "team" or "locality"
    name: str
    agency: str | None  # a team's agency
    last_audited: date | None
    covered: bool  # a completed audit of one of its cases in the 12 months before as_of


@dataclass(frozen=True)
class ScheduleRow:
    planned_id: int
    month: date
    theme: str
    agencies: list[str]
    status: str  # a PlannedStatus
    round_id: int | None
    round_name: str | None


@dataclass(frozen=True)
class ReturnRow:
    quarter: Quarter
    agency: str
    status: str  # a ReturnStatus
    due_date: date
    audited: int | None  # None: no return
    counts: dict[str, int] = field(default_factory=dict)
    ungraded: int | None = None
    themes: list[str] = field(default_factory=list)
    key_learning: str | None = None


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    as_of: datetime
    quarters: list[Quarter]
    agencies: list[str]  # every agency with a figure, in name order (for the filter and the tables)
    themes: list[str]  # every theme with a figure, in name order
    audits: list[AuditsRow]
    outstanding: list[OutstandingRow]
    agreement: list[AgreementRow]
    grades: list[GradesRow]
    concerns: list[ConcernsRow]
    actions: list[ActionsRow]
    overdue_actions: list[OverdueAction]
    coverage: list[CoverageRow]
    schedule: list[ScheduleRow]
    returns: list[ReturnRow]
