"""The plain data the importers produce: case records, import issues and the failure they raise.

Nothing here knows about Flask or the database. A `CaseRecord` holds only what sampling, conflict of
interest checks, timeliness and reporting need: never a child's name, address, postcode, UPN or NHS number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

STATUSES = ("early_help", "cin", "cp", "looked_after", "care_leaver", "closed")
GENDERS = ("male", "female", "other", "unknown")

# Errors kept per import: a file broken on every row would otherwise produce 100,000 messages.
MAX_ISSUES = 500


class CaseRecord(NamedTuple):
    """One child's case as read from a file, keyed by the local authority's child id (`case_ref`).

    A named tuple rather than a frozen dataclass: an import makes one per row, and a tuple is made in one step
    (a frozen dataclass sets each of its 21 fields through object.__setattr__), and its values come out in
    CASE_FIELDS order without reading each attribute.
    """

    case_ref: str
    status: str
    agency: str | None = None
    locality: str | None = None
    team: str | None = None
    worker: str | None = None
    date_of_birth: date | None = None
    gender: str | None = None
    referral_date: date | None = None
    assessment_start_date: date | None = None
    assessment_completed_date: date | None = None
    s47_start_date: date | None = None
    icpc_date: date | None = None
    cp_plan_start_date: date | None = None
    cp_plan_end_date: date | None = None
    looked_after_start_date: date | None = None
    closure_date: date | None = None
    last_seen_date: date | None = None
    seen_alone: bool | None = None
    previous_cp_plans: int | None = None
    category_of_abuse: str | None = None


CASE_FIELDS: tuple[str, ...] = CaseRecord._fields
DATE_FIELDS: tuple[str, ...] = tuple(name for name in CASE_FIELDS if name.endswith("_date") or name == "date_of_birth")

# Pairs (earlier, later) that cannot be the wrong way round in any format.
DATE_ORDER: tuple[tuple[str, str], ...] = (
    ("assessment_start_date", "assessment_completed_date"),
    ("cp_plan_start_date", "cp_plan_end_date"),
    ("referral_date", "closure_date"),
)


@dataclass(frozen=True)
class ImportIssue:
    """One problem found in an uploaded file, located as the user sees it (row numbers include the header)."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return f"{', '.join(parts)}: {self.message}" if parts else self.message


class ImportFailed(Exception):
    """Raised when a file cannot be imported; `issues` lists every problem found (up to MAX_ISSUES)."""

    def __init__(self, issues: list[ImportIssue], *, total: int | None = None, stopped: bool = False) -> None:
        self.issues = issues
        self.total = total if total is not None else len(issues)
        self.stopped = stopped
        files = sorted({issue.file for issue in issues if issue.file})
        noun = "problem" if self.total == 1 else "problems"
        where = ", ".join(files) if files else "the upload"
        if stopped:
            super().__init__(
                f"At least {self.total} problems found in {where}: reading stopped after "
                f"{self.total}, correct these and try again"
            )
        else:
            super().__init__(f"{self.total} {noun} found in {where}")


@dataclass(frozen=True)
class Source:
    """One uploaded or opened file: its name as the user gave it, and its bytes."""

    name: str
    data: bytes


@dataclass
class ParseResult:
    """What a successful parse produced. `skipped` names files of the same return that hold nothing we use."""

    format: str
    files: list[str]
    records: list[CaseRecord]
    skipped: list[str] = field(default_factory=list)


class Issues:
    """Collects the problems found while reading one upload, so all of them are reported at once."""

    def __init__(self, limit: int = MAX_ISSUES) -> None:
        self.items: list[ImportIssue] = []
        self.total = 0
        self.limit = limit

    def add(
        self,
        file: str,
        message: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        """Record a problem; beyond the limit only the count grows."""
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(ImportIssue(file, sheet, row, column, message))

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def full(self) -> bool:
        """True once enough problems are stored that reading further rows is pointless work."""
        return self.total >= self.limit

    def raise_if_any(self) -> None:
        """Raise ImportFailed with everything collected, if anything was."""
        if self.total:
            raise ImportFailed(list(self.items), total=self.total, stopped=self.full)


def fail(file: str, message: str, *, sheet: str | None = None, row: int | None = None) -> ImportFailed:
    """Build an ImportFailed holding a single problem that stops the whole file being read."""
    return ImportFailed([ImportIssue(file, sheet, row, None, message)])
