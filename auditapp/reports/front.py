"""The front section of the Board report (issue 14): what a Board member reads first, before the results.

The QA group's own words (the assurance level and statement, what is working and what worries it, what children
and families told us, its asks of the Board: models/board.py), each part backed by what the data shows: the
questions most and least often meeting the standard, what happened to the last round's actions, and the
immediate safeguarding concerns raised in this round and how each was handled.

No child is identified here: concerns are "Concern 1", "Concern 2"... with dates, the raising auditor's agency
and what was done, never the description, the case label, the case reference, the age, the team or a name.
Free text goes through the report's scrubber; text about a single child (a concern's action, a joint
discussion's line) through one that says "the child" rather than "Case 3".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from auditapp.domain.board_statement import ask_lines, statement_for
from auditapp.extensions import db
from auditapp.models import Action, AuditRound, Case, Finding, SafeguardingConcern, SampledCase
from auditapp.models.audit import JointDiscussion
from auditapp.models.audit_round import Assignment
from auditapp.models.user import User
from auditapp.reports.as_it_stood import action_status
from auditapp.reports.front_types import BoardFront, CitedQuestion, ConcernItem, LastAction, LastRound
from auditapp.reports.report_types import QuestionResult
from auditapp.vocabulary import ActionStatus

Scrub = Callable[[str | None], str | None]
#: How many questions the front section cites as working best and as the most worrying.
EVIDENCE_ROWS = 3
#: How many lines from the joint discussions are offered under what children and families told us.
SUPPORTING_LINES = 2


def build_front(
    audit_round: AuditRound,
    *,
    questions: list[QuestionResult],
    joints: list[JointDiscussion],
    as_of: datetime,
    until: datetime | None,
    scrub: Scrub,
    make_scrubber: Callable[[dict[str, str], set[str]], Scrub],
) -> BoardFront:
    """The front section of ``audit_round``'s report at ``as_of``.

    ``questions`` are the report's results, ``joints`` its counted joint discussions in sample order, ``scrub``
    its scrubber (case references become "Case 1"...) and ``make_scrubber`` builds one from (names to replace,
    workers). With ``until`` (as it stood) concerns raised later are left out and actions created later too; a
    concern acted on later is shown as not yet acted on.
    """
    refs, workers = _sample_names(audit_round.id)
    about_the_child = make_scrubber(dict.fromkeys(refs, "the child"), workers)
    best, worst = evidence(questions)
    supporting = [about_the_child(j.answers.get("jd_impact_on_child")) or "" for j in joints]
    data = BoardFront(
        written=False,
        best=best,
        worst=worst,
        supporting=list(dict.fromkeys(line.strip() for line in supporting if line.strip()))[:SUPPORTING_LINES],
        last_round=last_round(audit_round, as_of=as_of, until=until, make_scrubber=make_scrubber),
        concerns=concerns(audit_round, until=until, scrub=about_the_child),
    )
    statement = statement_for(audit_round)
    if statement is None:
        return data
    return replace(
        data,
        written=True,
        level=statement.level,
        statement=_paragraphs(scrub(statement.statement)),
        working=_paragraphs(scrub(statement.working)),
        worried=_paragraphs(scrub(statement.worried)),
        voices=_paragraphs(scrub(statement.voices)),
        asks=ask_lines(scrub(statement.asks) or ""),
        written_on=statement.updated_at.date(),
    )


def _paragraphs(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _sample_names(round_id: int) -> tuple[set[str], set[str]]:
    """Every case reference ever sampled in the round (replaced ones too) and their workers."""
    rows = db.session.execute(
        select(Case.case_ref, Case.worker)
        .join(SampledCase, SampledCase.case_id == Case.id)
        .where(SampledCase.round_id == round_id)
    ).all()
    return {ref for ref, _ in rows}, {worker for _, worker in rows if worker}


def evidence(questions: list[QuestionResult]) -> tuple[list[CitedQuestion], list[CitedQuestion]]:
    """The questions most often and least often meeting the standard (questions with no answers left out).

    Ties go to the question with more answers (more evidence), then to the tool's order. The two lists never
    share a question: with fewer than six answered questions, the worst are taken from those left over.
    """
    answered = [(i, q) for i, q in enumerate(questions) if q.result.n and q.result.proportion is not None]
    best = sorted(answered, key=lambda iq: (-(iq[1].result.proportion or 0), -iq[1].result.n, iq[0]))
    top = best[:EVIDENCE_ROWS]
    chosen = {i for i, _ in top}
    rest = [iq for iq in answered if iq[0] not in chosen]
    worst = sorted(rest, key=lambda iq: (iq[1].result.proportion or 0, -iq[1].result.n, iq[0]))[:EVIDENCE_ROWS]
    return [_cited(q) for _, q in top], [_cited(q) for _, q in worst]


def _cited(question: QuestionResult) -> CitedQuestion:
    return CitedQuestion(
        question_id=question.question_id,
        text=question.text,
        result=question.result,
        meets_standard=question.meets_standard,
        unit=question.unit,
    )


def last_round(
    audit_round: AuditRound,
    *,
    as_of: datetime,
    until: datetime | None,
    make_scrubber: Callable[[dict[str, str], set[str]], Scrub],
) -> LastRound | None:
    """The most recent round drawn before ``audit_round`` (by draw date, not cancelled) that has findings with
    actions, with each action's status as it stood at ``as_of``; None when there is no such round."""
    if audit_round.drawn_at is None:
        return None
    with_actions = exists().where(Finding.round_id == AuditRound.id, Action.finding_id == Finding.id)
    earlier = db.session.scalar(
        select(AuditRound)
        .where(
            AuditRound.id != audit_round.id,
            AuditRound.cancelled_at.is_(None),
            AuditRound.drawn_at.is_not(None),
            AuditRound.drawn_at < audit_round.drawn_at,
            with_actions,
        )
        .order_by(AuditRound.drawn_at.desc(), AuditRound.id.desc())
        .limit(1)
    )
    if earlier is None:
        return None
    refs, workers = _sample_names(earlier.id)
    scrub = make_scrubber(dict.fromkeys(refs, "a child in that round"), workers)
    actions = db.session.scalars(
        select(Action)
        .join(Finding)
        .where(Finding.round_id == earlier.id)
        .order_by(Finding.position, Finding.id, Action.id)
        .options(selectinload(Action.agency), selectinload(Action.updates))
    )
    items = []
    for action in actions:
        if until is not None and action.created_at > until:
            continue
        status = action_status(action, as_of)
        items.append(
            LastAction(
                description=scrub(action.description) or "",
                agency=action.agency.name,
                due_on=action.due_date,
                status=status.label,
                overdue=status != ActionStatus.DONE and action.due_date < as_of.date(),
            )
        )
    if not items:
        return None
    return LastRound(name=earlier.name, drawn_on=earlier.drawn_at.date() if earlier.drawn_at else None, actions=items)


def concerns(audit_round: AuditRound, *, until: datetime | None, scrub: Scrub) -> list[ConcernItem]:
    """The immediate safeguarding concerns raised in the round's sample, first raised first, numbered."""
    query = (
        select(SafeguardingConcern)
        .join(SampledCase, SampledCase.id == SafeguardingConcern.sampled_case_id)
        .where(SampledCase.round_id == audit_round.id)
        .order_by(SafeguardingConcern.raised_at, SafeguardingConcern.id)
        .options(selectinload(SafeguardingConcern.raised_by).selectinload(User.agency))
    )
    if until is not None:  # as it stood: only concerns raised by then
        query = query.where(SafeguardingConcern.raised_at <= until)
    found = list(db.session.scalars(query))
    agencies = _assignment_agencies(audit_round.id)
    items = []
    for number, concern in enumerate(found, start=1):
        acted = concern.acknowledged_at
        if acted is not None and until is not None and acted > until:
            acted = None  # acted on after the report's date: not yet, as it stood
        raiser = concern.raised_by
        agency = agencies.get((concern.sampled_case_id, concern.raised_by_id))
        if agency is None:
            agency = raiser.agency.name if raiser is not None and raiser.agency else "Independent (no agency)"
        items.append(
            ConcernItem(
                number=number,
                raised_on=concern.raised_at.date(),
                agency=agency,
                acted_on=acted.date() if acted else None,
                days=(acted.date() - concern.raised_at.date()).days if acted else None,
                action_taken=scrub(concern.action_taken) if acted else None,
            )
        )
    return items


def _assignment_agencies(round_id: int) -> dict[tuple[int, int], str]:
    """(sampled case, auditor) -> the agency the auditor's audit spoke for, where the round recorded one."""
    rows = db.session.execute(
        select(Assignment.sampled_case_id, Assignment.auditor_id, Assignment.agency_name)
        .join(SampledCase, SampledCase.id == Assignment.sampled_case_id)
        .where(SampledCase.round_id == round_id, Assignment.agency_name.is_not(None))
    )
    return {(case, auditor): agency for case, auditor, agency in rows if agency}
