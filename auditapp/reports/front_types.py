"""What the Board front section holds (reports/front.py builds it; templates/reports/sections/_front.html shows it).

Apart from report_types so that ``ReportData`` can hold a :class:`BoardFront` without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from auditapp.stats import ClusteredProportion
from auditapp.vocabulary import ActionStatus, AssuranceLevel


@dataclass(frozen=True)
class CitedQuestion:
    """A question's result as the front section cites it: the evidence beside what is working or worrying."""

    question_id: str
    text: str
    result: ClusteredProportion
    meets_standard: str = "yes"  # the answer that meets the standard
    unit: str = "agency_audit"  # or "child": counted once per child


@dataclass(frozen=True)
class LastAction:
    """One action of the last round, as it stood at the report's date."""

    description: str
    agency: str
    due_on: date
    status: str  # its label: Done, In progress, Open
    overdue: bool


@dataclass(frozen=True)
class LastRound:
    """The most recent earlier round with actions, and what happened to them."""

    name: str
    drawn_on: date | None
    actions: list[LastAction]

    @property
    def done(self) -> int:
        return sum(1 for a in self.actions if a.status == ActionStatus.DONE.label)

    @property
    def overdue(self) -> int:
        return sum(1 for a in self.actions if a.overdue)

    @property
    def counts(self) -> str:
        """For example "4 of 6 done, 1 overdue"."""
        return f"{self.done} of {len(self.actions)} done, {self.overdue} overdue"


@dataclass(frozen=True)
class ConcernItem:
    """An immediate safeguarding concern raised in the round, and how it was handled. Never says which child."""

    number: int
    raised_on: date
    agency: str  # the raising auditor's agency
    acted_on: date | None  # when a coordinator recorded the action taken; None: not yet acted on
    days: int | None  # calendar days from raising to acting
    action_taken: str | None


@dataclass(frozen=True)
class BoardFront:
    """The front section's data. ``written`` is False until the QA group has written its statement."""

    written: bool
    level: AssuranceLevel | None = None
    statement: list[str] = field(default_factory=list)  # paragraphs
    working: list[str] = field(default_factory=list)
    worried: list[str] = field(default_factory=list)
    voices: list[str] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)  # one ask each
    supporting: list[str] = field(default_factory=list)  # from the joint discussions, no case named
    best: list[CitedQuestion] = field(default_factory=list)  # highest % meeting the standard first
    worst: list[CitedQuestion] = field(default_factory=list)  # lowest first
    last_round: LastRound | None = None
    concerns: list[ConcernItem] = field(default_factory=list)
    written_on: date | None = None

    @property
    def not_acted_on(self) -> int:
        return sum(1 for c in self.concerns if c.acted_on is None)
