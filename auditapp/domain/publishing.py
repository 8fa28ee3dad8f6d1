"""Publishing a round's board report: the check before publishing, versions, interim reports and withdrawal.

The PDF and its SHA-256 are stored immutably (models/audit_event.py refuses to change or delete a published
report or a withdrawal). Each publication of a round is a new version; the newest supersedes the earlier ones. A
withdrawal is a row of its own. A round's *current* report is its newest version unless that was withdrawn. The
board sees a round's actions only while it has a current report. Every step, and every download, is an event in
the audit trail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import aliased, selectinload

from auditapp.domain.board_statement import statement_for
from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import ensure_open
from auditapp.domain.telling import report_published
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AuditRound, PublishedReport, SafeguardingConcern
from auditapp.models.audit_round import Assignment, SampledCase
from auditapp.models.finding import Finding, ReportWithdrawal
from auditapp.models.types import utcnow
from auditapp.vocabulary import AuditState, ReportStatus

#: The longest reason accepted (for an interim report, a new version or a withdrawal).
MAX_REASON = 2000
DONE_STATES = (AuditState.SUBMITTED, AuditState.MODERATED)


@dataclass(frozen=True)
class Gap:
    """One thing missing before a round is complete, in words; ``link`` is (kind, id) for the page to fix it:
    kind "round" (the round page), "audit" (moderation), "finding" (add an action) or "concern"."""

    text: str
    link: tuple[str, int]


@dataclass(frozen=True)
class Readiness:
    """What is incomplete in a round: the check page shows it, an interim report states it (as counts)."""

    unsubmitted: list[Gap] = field(default_factory=list)  # cases without every agency's audit submitted
    unmoderated: list[Gap] = field(default_factory=list)
    no_actions: list[Gap] = field(default_factory=list)  # findings without actions (or no findings at all)
    open_concerns: list[Gap] = field(default_factory=list)
    sampled: int = 0
    no_statement: list[Gap] = field(default_factory=list)  # the QA group's Board statement is not written (issue 14)

    @property
    def complete(self) -> bool:
        return not (self.unsubmitted or self.unmoderated or self.no_actions or self.open_concerns or self.no_statement)

    def missing(self) -> list[str]:
        """What is missing, as the report says it: counts only, so no case is named."""
        words = []
        if self.unsubmitted:
            count = len(self.unsubmitted)
            words.append(
                f"{count} of the {self.sampled} sampled cases {'does' if count == 1 else 'do'} not have every "
                "agency’s audit submitted"
            )
        if self.unmoderated:
            count = len(self.unmoderated)
            words.append(f"{_plural(count, 'submitted audit')} {'has' if count == 1 else 'have'} not been moderated")
        if self.no_actions:
            if any(g.link[0] == "round" for g in self.no_actions):
                words.append("No findings have been written")
            else:
                count = len(self.no_actions)
                words.append(f"{_plural(count, 'finding')} {'has' if count == 1 else 'have'} no action agreed")
        if self.open_concerns:
            count = len(self.open_concerns)
            words.append(
                f"{_plural(count, 'safeguarding concern')} raised during the audit "
                f"{'has' if count == 1 else 'have'} not been acknowledged"
            )
        if self.no_statement:
            words.append("The Board statement has not been written")
        return words


def readiness(audit_round: AuditRound) -> Readiness:
    """What is incomplete in ``audit_round`` (reads only; the check page records its own view)."""
    sampled = list(
        db.session.scalars(
            select(SampledCase)
            .where(SampledCase.round_id == audit_round.id, SampledCase.replaced.is_(False))
            .order_by(SampledCase.stratum, SampledCase.position)
            .options(
                selectinload(SampledCase.case),
                selectinload(SampledCase.assignments).selectinload(Assignment.auditor),
            )
        )
    )
    unsubmitted, unmoderated = [], []
    for s in sampled:
        label = f"Case {s.case.case_ref}"
        active = [
            a for a in s.assignments if getattr(a, "audit", None) is None or a.audit.state != AuditState.WITHDRAWN
        ]
        if not active:
            unsubmitted.append(Gap(f"{label}: no auditor is assigned", ("round", audit_round.id)))
            continue
        waiting = []
        for assignment in active:
            audit = assignment.audit
            state = AuditState(audit.state) if audit is not None else AuditState.NOT_STARTED
            who = f"{_agency(assignment)} audit"
            if state not in DONE_STATES:
                waiting.append(f"{who} {state.label.lower()}")
            elif state == AuditState.SUBMITTED:
                unmoderated.append(Gap(f"{label}: {who} submitted by {assignment.auditor.name}", ("audit", audit.id)))
        if waiting:
            unsubmitted.append(Gap(f"{label}: {'; '.join(waiting)}", ("round", audit_round.id)))
    findings = list(
        db.session.scalars(
            select(Finding)
            .where(Finding.round_id == audit_round.id)
            .order_by(Finding.position, Finding.id)
            .options(selectinload(Finding.actions))
        )
    )
    no_actions = [Gap(f"Finding “{f.title}” has no action", ("finding", f.id)) for f in findings if not f.actions]
    if not findings:
        no_actions = [Gap("No findings have been written for this round", ("round", audit_round.id))]
    concerns = db.session.scalars(
        select(SafeguardingConcern)
        .join(SampledCase, SampledCase.id == SafeguardingConcern.sampled_case_id)
        .where(SampledCase.round_id == audit_round.id, SafeguardingConcern.acknowledged_at.is_(None))
        .order_by(SafeguardingConcern.raised_at, SafeguardingConcern.id)
        .options(selectinload(SafeguardingConcern.sampled_case).selectinload(SampledCase.case))
    )
    open_concerns = [
        Gap(
            f"Case {c.sampled_case.case.case_ref}: concern raised on {c.raised_at:%-d %B %Y} is not acknowledged",
            ("concern", c.id),
        )
        for c in concerns
    ]
    no_statement = []  # issue 14: a full report needs the QA group's statement for the Board
    if statement_for(audit_round) is None:
        no_statement = [Gap("The QA group has not written its statement for the Board", ("statement", audit_round.id))]
    return Readiness(
        unsubmitted, unmoderated, no_actions, open_concerns, sampled=len(sampled), no_statement=no_statement
    )


def publish_checked(audit_round: AuditRound, check: Readiness) -> None:
    """The coordinator opened the check before publishing (it lists case references)."""
    record_event(
        "report_publish_checked",
        object_type="round",
        object_id=audit_round.id,
        details={"complete": check.complete, "missing": check.missing()},
    )


def clean_reason(reason: str | None, *, what: str, field_name: str) -> str:
    """A reason stripped and checked: required, at most MAX_REASON characters."""
    text = (reason or "").strip()
    if not text:
        raise DomainError(f"Enter {what}", field=field_name)
    if len(text) > MAX_REASON:
        raise DomainError(f"The reason must be {MAX_REASON:,} characters or less", field=field_name)
    return text


def publish(
    audit_round: AuditRound,
    *,
    pdf: bytes,
    pages: int,
    as_of: datetime,
    missing: list[str] | None = None,
    interim_reason: str | None = None,
    change_reason: str | None = None,
) -> PublishedReport:
    """Store the report exactly as rendered, as the round's next version; nothing is overwritten.

    ``missing`` (what was incomplete, in words) makes it an interim report, which needs ``interim_reason``. When
    the round has a current report, the new version supersedes it and needs ``change_reason``. A cancelled
    round is never published (DomainError).
    """
    ensure_open(audit_round)  # issue 13: nothing more is done on a cancelled round
    if not pdf.startswith(b"%PDF"):
        raise DomainError("The report could not be produced")
    missing = list(missing or [])
    interim = (
        clean_reason(
            interim_reason, what="why you are publishing before the round is complete", field_name="interim_reason"
        )
        if missing
        else None
    )
    latest = latest_report(audit_round)
    current = latest if latest is not None and latest.withdrawal is None else None
    change = (
        clean_reason(change_reason, what="why this version replaces the current one", field_name="change_reason")
        if current is not None
        else None
    )
    version = (latest.version + 1) if latest is not None else 1
    report = PublishedReport(
        round_id=audit_round.id,
        title=f"{audit_round.name}: {'interim ' if missing else ''}case file audit report"
        + (f" (version {version})" if version > 1 else ""),
        published_by_id=current_actor().user_id,
        published_at=utcnow(),  # the domain's clock (the demo's earlier round runs on its own)
        as_of=as_of,
        pdf=pdf,
        pages=pages,
        sha256=hashlib.sha256(pdf).hexdigest(),
        version=version,
        interim=bool(missing),
        interim_reason=interim,
        missing=missing,
        supersedes_id=current.id if current is not None else None,
        change_reason=change,
    )
    db.session.add(report)
    db.session.flush()
    record_event(
        "report_published",
        object_type="published_report",
        object_id=report.id,
        details={
            "round_id": audit_round.id,
            "sha256": report.sha256,
            "pages": pages,
            "version": version,
            "interim": report.interim,
            "missing": missing,
        },
    )
    report_published(report)  # issue 16: every active board member
    if current is not None:
        record_event(
            "report_superseded",
            object_type="published_report",
            object_id=current.id,
            details={"round_id": audit_round.id, "version": current.version, "superseded_by": report.id},
        )
    return report


def withdraw(report: PublishedReport, *, reason: str | None) -> ReportWithdrawal:
    """Withdraw the round's current report from the board, with a reason (a new row: the report is unchanged)."""
    if report.withdrawal is not None:
        raise DomainError("This report has already been withdrawn")
    latest = latest_report(report.audit_round)
    if latest is None or latest.id != report.id:
        raise DomainError("Only the current version of a report can be withdrawn: this one has been replaced")
    text = clean_reason(reason, what="why you are withdrawing the report", field_name="reason")
    withdrawal = ReportWithdrawal(report_id=report.id, reason=text, withdrawn_by_id=current_actor().user_id)
    db.session.add(withdrawal)
    db.session.flush()
    db.session.expire(report, ["withdrawal"])  # reloaded on next use; setting it would make the report "changed"
    record_event(
        "report_withdrawn",
        object_type="published_report",
        object_id=report.id,
        details={"round_id": report.round_id, "version": report.version, "sha256": report.sha256},
    )
    return withdrawal


def latest_report(audit_round: AuditRound) -> PublishedReport | None:
    """The round's newest version, withdrawn or not."""
    return db.session.scalar(
        select(PublishedReport)
        .where(PublishedReport.round_id == audit_round.id)
        .order_by(PublishedReport.version.desc())
        .limit(1)
    )


def current_report(audit_round: AuditRound) -> PublishedReport | None:
    """The version the board reads: the newest, unless it was withdrawn."""
    latest = latest_report(audit_round)
    return latest if latest is not None and latest.withdrawal is None else None


def rounds_with_current_report() -> Select[int]:
    """The ids of rounds with a current report, as a select to use in ``IN`` (the board's action plan)."""
    newer = aliased(PublishedReport)
    return select(PublishedReport.round_id).where(
        ~exists().where(ReportWithdrawal.report_id == PublishedReport.id),
        ~exists().where(newer.round_id == PublishedReport.round_id, newer.version > PublishedReport.version),
    )


@dataclass(frozen=True)
class ReportVersion:
    """One version of a round's report as the board's list shows it."""

    report: PublishedReport
    status: ReportStatus
    superseded_by: PublishedReport | None = None


@dataclass(frozen=True)
class RoundReports:
    """A round's reports: its current version (if any) and every version, newest first."""

    audit_round: AuditRound
    current: ReportVersion | None
    versions: list[ReportVersion]


def report_history() -> list[RoundReports]:
    """Every round with a published report, the most recently published first, with each version's status."""
    reports = list(
        db.session.scalars(
            select(PublishedReport)
            .order_by(PublishedReport.round_id, PublishedReport.version.desc())
            .options(
                selectinload(PublishedReport.withdrawal).selectinload(ReportWithdrawal.withdrawn_by),
                selectinload(PublishedReport.audit_round),
                selectinload(PublishedReport.published_by),
            )
        )
    )
    by_round: dict[int, list[PublishedReport]] = {}
    for report in reports:
        by_round.setdefault(report.round_id, []).append(report)
    rounds = []
    for versions in by_round.values():
        entries = []
        for i, report in enumerate(versions):
            newer = versions[i - 1] if i else None
            if report.withdrawal is not None:
                entries.append(ReportVersion(report, ReportStatus.WITHDRAWN, newer))
            elif newer is not None:
                entries.append(ReportVersion(report, ReportStatus.SUPERSEDED, newer))
            else:
                entries.append(ReportVersion(report, ReportStatus.CURRENT))
        current = entries[0] if entries[0].status == ReportStatus.CURRENT else None
        rounds.append(RoundReports(versions[0].audit_round, current, entries))
    rounds.sort(key=lambda r: max(v.report.published_at for v in r.versions), reverse=True)
    return rounds


def status_of(report: PublishedReport) -> ReportStatus:
    if report.withdrawal is not None:
        return ReportStatus.WITHDRAWN
    latest = latest_report(report.audit_round)
    return ReportStatus.CURRENT if latest is not None and latest.id == report.id else ReportStatus.SUPERSEDED


def published_reports() -> list[PublishedReport]:
    """The current report of each round, newest first (superseded and withdrawn versions left out)."""
    return [r.current.report for r in report_history() if r.current is not None]


def download(report: PublishedReport, *, board_member: bool) -> bytes:
    """The published PDF; every download is an audit event.

    A withdrawn report's PDF is withheld from board members (it was withdrawn because it should not be relied
    on, and the stored PDF cannot be stamped without breaking its hash); the coordinator can still download it
    for the record. A superseded version stays downloadable: the board may have minuted it.
    """
    status = status_of(report)
    if status == ReportStatus.WITHDRAWN and board_member:
        raise DomainError("This report has been withdrawn")
    record_event(
        "report_downloaded",
        object_type="published_report",
        object_id=report.id,
        details={"sha256": report.sha256, "version": report.version, "status": status},
    )
    return report.pdf


def _agency(assignment: Assignment) -> str:
    if assignment.agency_name:
        return assignment.agency_name
    agency = assignment.auditor.agency if assignment.auditor else None
    return agency.name if agency else "Independent"


def _plural(count: int, word: str) -> str:
    return f"{count} {word if count == 1 else word + 's'}"
