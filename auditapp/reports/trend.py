"""The report's trend: this round against the earlier rounds it can honestly be compared with.

An earlier round counts only when it used the same tool key, was not cancelled, and its report is complete (or a
full, not interim, report of it is current). Rounds are ordered by draw date. A question is compared only where it
has the same id and the same wording (a fingerprint of its text); elsewhere it is "not comparable". Each figure
is the percentage meeting the standard (the question's polarity: a "no" meets it where a "yes" is a concern) with
its k of n and interval, counted at the question's unit as this round's results are (reports/child_results.py):
agency audits with the interval widened for clustering by child, or children, one answer each. This round's tool
gives every round the polarity and unit, so like is compared with like. A plain note says when an earlier round
drew from a different population.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select

from auditapp.domain.audits import tool_for
from auditapp.domain.errors import DomainError
from auditapp.domain.sampling import certificate_of
from auditapp.extensions import db
from auditapp.models.audit import AgencyAudit
from auditapp.models.audit_round import Assignment, AuditRound, SampledCase
from auditapp.reports.child_results import Audit, count_question
from auditapp.reports.report_types import Trend, TrendRound, TrendRow
from auditapp.stats import ClusteredProportion, ProportionResult, round_half_up
from auditapp.tools.model import YES_NO_NA
from auditapp.vocabulary import AuditState

#: At most this many rounds (the newest, this one included) in the trend.
TREND_ROUNDS = 6
COUNTED_STATES = (AuditState.SUBMITTED, AuditState.MODERATED)


def build_trend(
    audit_round: AuditRound,
    tool,
    *,
    as_of: datetime | None,
    questions: list,
    describe: Callable[[dict], list[str]],
) -> Trend:
    """The trend of ``questions`` (this round's yes/no questions); answers count as submitted by ``as_of``.

    ``describe`` puts a population filter into words (for the note when populations differ).
    """
    if audit_round.drawn_at is None:
        return Trend(rounds=[audit_round.name], rows=[], points=[_point(audit_round)])
    earlier = [r for r in _earlier_rounds(audit_round) if _finished(r, as_of)][: TREND_ROUNDS - 1][::-1]
    rounds = [*earlier, audit_round]
    answers = _answers(rounds, as_of)
    wordings = [_wordings(tool_for(r)) for r in rounds]
    table: list[TrendRow] = []
    for question in questions:
        fingerprint = wording_fingerprint(question.text)
        same = [w.get(question.id) == fingerprint for w in wordings]
        results: list[ProportionResult | ClusteredProportion | None] = [
            count_question(question, answers[r.id]).result if ok else None for r, ok in zip(rounds, same, strict=True)
        ]
        table.append(
            TrendRow(
                text=question.text,
                results=results,
                comparable=all(same),
                unit=question.unit,
                meets_standard=question.meets_standard,
            )
        )
    rows: list[tuple[str, list[float | None]]] = [
        (row.text, [None if r is None or r.percent is None else float(round_half_up(r.percent)) for r in row.results])
        for row in table
        if row.comparable
    ]
    return Trend(
        rounds=[r.name for r in rounds],
        rows=rows,
        points=[_point(r) for r in rounds],
        table=table,
        notes=_population_notes(audit_round, earlier, describe),
    )


def wording_fingerprint(text: str) -> str:
    """A question's wording as a short hash: the same text (ignoring spacing) gives the same fingerprint."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def _point(audit_round: AuditRound) -> TrendRound:
    return TrendRound(name=audit_round.name, drawn_on=audit_round.drawn_at.date() if audit_round.drawn_at else None)


def _answers(rounds: list[AuditRound], as_of: datetime | None) -> dict[int, dict[int, list[Audit]]]:
    """Per round: each child's counted audits as (lead audit?, answers)."""
    answers: dict[int, dict[int, list[Audit]]] = {r.id: {} for r in rounds}
    counted = (
        select(SampledCase.round_id, SampledCase.id, Assignment.lead, AgencyAudit.answers)
        .join(Assignment, Assignment.sampled_case_id == SampledCase.id)
        .join(AgencyAudit, AgencyAudit.assignment_id == Assignment.id)
        .where(
            SampledCase.round_id.in_(list(answers)),
            SampledCase.replaced.is_(False),
            AgencyAudit.state.in_(COUNTED_STATES),
        )
    )
    if as_of is not None:
        counted = counted.where(AgencyAudit.submitted_at <= as_of)
    for round_id, child, lead, given in db.session.execute(counted):
        answers[round_id].setdefault(child, []).append((bool(lead), given))
    return answers


def _wordings(tool) -> dict[str, str]:
    return {q.id: wording_fingerprint(q.text) for q in tool.questions if q.type == YES_NO_NA}


def _earlier_rounds(audit_round: AuditRound) -> list[AuditRound]:
    """Rounds drawn before this one with the same tool key and not cancelled, newest draw first."""
    return list(
        db.session.scalars(
            select(AuditRound)
            .where(
                AuditRound.tool_key == audit_round.tool_key,
                AuditRound.id != audit_round.id,
                AuditRound.drawn_at.is_not(None),
                AuditRound.drawn_at <= audit_round.drawn_at,
                AuditRound.cancelled_at.is_(None),
            )
            .order_by(AuditRound.drawn_at.desc(), AuditRound.id.desc())
        )
    )


def _finished(audit_round: AuditRound, as_of: datetime | None = None) -> bool:
    """A round fit to compare: its current report is a full one, or nothing in it is incomplete.

    With ``as_of`` (a report as it stood), as judged then: the newest report published by then was a full one and
    not withdrawn by then, or the round is complete now and its last moderation was done by then."""
    from auditapp.domain.publishing import current_report, readiness

    if as_of is not None:
        return _finished_by(audit_round, as_of)
    current = current_report(audit_round)
    if current is not None and not current.interim:
        return True
    return readiness(audit_round).complete


def _finished_by(audit_round: AuditRound, as_of: datetime) -> bool:
    from auditapp.domain.publishing import readiness
    from auditapp.models.finding import PublishedReport

    published = db.session.scalar(
        select(PublishedReport)
        .where(PublishedReport.round_id == audit_round.id, PublishedReport.published_at <= as_of)
        .order_by(PublishedReport.version.desc())
        .limit(1)
    )
    if published is not None and not published.interim:
        withdrawn = published.withdrawal
        if withdrawn is None or withdrawn.withdrawn_at > as_of:
            return True
    if not readiness(audit_round).complete:
        return False
    last_moderation = db.session.scalar(
        select(func.max(AgencyAudit.moderated_at))
        .join(Assignment, AgencyAudit.assignment_id == Assignment.id)
        .join(SampledCase, SampledCase.id == Assignment.sampled_case_id)
        .where(SampledCase.round_id == audit_round.id, AgencyAudit.state == AuditState.MODERATED)
    )
    if last_moderation is not None and last_moderation.tzinfo is None:  # SQLite's max() bypasses the column type
        last_moderation = last_moderation.replace(tzinfo=UTC)
    return last_moderation is not None and last_moderation <= as_of


def _population_notes(
    audit_round: AuditRound, earlier: list[AuditRound], describe: Callable[[dict], list[str]]
) -> list[str]:
    """A plain note for each earlier round whose sample was drawn from a differently defined population."""
    mine = _population_words(audit_round, describe)
    notes = []
    for other in earlier:
        words = _population_words(other, describe)
        if words != mine:
            notes.append(
                f"{other.name} drew its sample from different cases ({'; '.join(words)}) than "
                f"{audit_round.name} ({'; '.join(mine)}), so a change may come from who was sampled."
            )
    return notes


def _population_words(audit_round: AuditRound, describe: Callable[[dict], list[str]]) -> list[str]:
    try:
        return describe(certificate_of(audit_round).get("filter") or {})
    except (DomainError, ValueError, KeyError):
        return ["not recorded"]
