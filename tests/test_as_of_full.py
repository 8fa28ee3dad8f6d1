"""Issue 14, "as-of means as of": a report as of a date counts answers, moderation, blind agreement, actions and the
trend as they stood then, from the timestamps and, where a later return cleared them, from the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from auditapp.domain import audits as audit_domain
from auditapp.domain import findings as findings_domain
from auditapp.domain import moderation as moderation_domain
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.trail import events as events_module
from auditapp.extensions import db
from auditapp.models import AgencyAudit, PublishedReport
from auditapp.reports.report_data import build_report
from auditapp.vocabulary import ActionStatus, AuditState, ModerationDecision
from tests.factories import complete_answers, make_round


class Clock:
    """The domain's clock, set by the test: submissions, moderations, updates and their trail events agree."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    for module in (audit_domain, moderation_domain, events_module, findings_domain):
        monkeypatch.setattr(module, "utcnow", clock)
    return clock


@pytest.fixture
def this(actor, org, users):
    audit_round = make_round("As of round", cases=8, size=4, blind_moderation=True)
    audit_round.drawn_at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the report may be as of any day since
    db.session.flush()
    return audit_round


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 2, day, hour, 0, tzinfo=UTC)


def _assignments(audit_round):
    return [a for s in audit_round.sampled for a in s.assignments]


def _submit(assignment, grade: str = "good") -> AgencyAudit:
    with acting_as(ActorContext(user_id=assignment.auditor_id, email="x", role="auditor")):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), overall_grade=grade)
        db.session.flush()
        assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    return audit


def _stood(audit_round, when: datetime):
    return build_report(audit_round, as_of=when, as_it_stood=True)


def test_an_answer_submitted_after_the_date_is_left_out(this, clock):
    first, second, *_ = _assignments(this)
    clock.now = at(2)
    _submit(first)
    clock.now = at(9)
    _submit(second)
    assert _stood(this, at(5)).counts["audits"] == 1
    assert _stood(this, at(10)).counts["audits"] == 2
    assert build_report(this, as_of=at(5)).counts["audits"] == 2  # not as it stood: everything now


def test_a_moderation_after_the_date_leaves_the_audit_unmoderated(this, clock):
    first, *_ = _assignments(this)
    clock.now = at(2)
    audit = _submit(first, grade="good")
    clock.now = at(3)
    moderation_domain.record_blind_grade(audit, grade="inadequate")
    clock.now = at(9)
    moderation_domain.moderate(audit, decision=ModerationDecision.REGRADED, grade="inadequate", comment="Not safe")
    before = _stood(this, at(5))
    assert before.counts["audits"] == 1 and before.counts[AuditState.MODERATED] == 0
    assert sum(before.moderated_grades.values()) == 0  # the later grade is not used
    (case,) = [c for c in before.cases if c.agency_grades]
    assert [g[2] for g in case.agency_grades] == [None]  # "not moderated yet"
    assert sum(a.awaiting_moderation for a in before.agencies) == 1
    after = _stood(this, at(10))
    assert after.counts[AuditState.MODERATED] == 1 and after.moderated_grades["inadequate"] == 1
    assert db.session.get(AgencyAudit, audit.id).state == AuditState.MODERATED  # the database is untouched


def test_an_audit_returned_after_the_date_counts_as_it_was_then(this, clock):
    first, second, *_ = _assignments(this)
    clock.now = at(2)
    returned = _submit(first, grade="good")
    agreed_then_returned = _submit(second, grade="requires_improvement")
    clock.now = at(3)
    for audit in (returned, agreed_then_returned):
        moderation_domain.record_blind_grade(audit, grade="good")
    moderation_domain.moderate(agreed_then_returned, decision=ModerationDecision.AGREED)
    clock.now = at(9)
    for audit in (returned, agreed_then_returned):
        moderation_domain.moderate(audit, decision=ModerationDecision.RETURNED, comment="Add the evidence")
    assert {returned.state, agreed_then_returned.state} == {AuditState.RETURNED}  # now: neither counts
    returned.answers = {**returned.answers, "overall_grade": "outstanding"}  # changed after it came back
    db.session.flush()
    assert _stood(this, at(10)).counts["audits"] == 0
    then = _stood(this, at(5))  # from the trail: one submitted, one moderated (its grade from the trail)
    assert then.counts["audits"] == 2 and then.counts[AuditState.MODERATED] == 1
    assert then.moderated_grades["requires_improvement"] == 1
    assert then.auditor_grades["good"] == 1 and then.auditor_grades["outstanding"] == 0  # the grade submitted then
    assert db.session.get(AgencyAudit, returned.id).state == AuditState.RETURNED  # still returned in the database


def test_an_action_done_after_the_date_shows_its_earlier_status(this, clock):
    clock.now = at(2)
    finding = findings_domain.add_finding(this, title="Plans lack timescales", so_what="Drift for children")
    action = findings_domain.add_action(
        finding,
        description="Add timescales",
        agency_id=this_agency(),
        owner_name="A Manager",
        due_date=date(2026, 2, 6),
    )
    finding.created_at = action.created_at = at(2)  # written then (the column default is the real clock)
    db.session.flush()
    clock.now = at(4)
    findings_domain.add_update(action, note="Template drafted", status=ActionStatus.IN_PROGRESS)
    clock.now = at(20)
    findings_domain.add_update(action, note="In use everywhere", status=ActionStatus.DONE)
    (opened,) = _stood(this, at(3)).actions
    assert opened.status == ActionStatus.OPEN.label and not opened.overdue
    (then,) = _stood(this, at(10)).actions
    assert then.status == ActionStatus.IN_PROGRESS.label and then.overdue  # past its due date, not done then
    assert then.latest_update is not None and then.latest_update[1] == "Template drafted"
    later = _stood(this, at(21))
    assert later.actions[0].status == ActionStatus.DONE.label and not later.actions[0].overdue
    assert later.counts["done"] == 1 and _stood(this, at(10)).counts["overdue"] == 1


def this_agency() -> int:
    from sqlalchemy import select

    from auditapp.models import Agency

    return db.session.scalar(select(Agency.id).order_by(Agency.id).limit(1))


def test_the_blind_agreement_counts_only_the_pairs_recorded_by_the_date(this, clock):
    audits = []
    clock.now = at(2)
    for assignment, grade in zip(_assignments(this), ["good", "good", "inadequate"], strict=False):
        audits.append(_submit(assignment, grade=grade))
    for day, audit, mine in ((3, audits[0], "good"), (4, audits[1], "requires_improvement"), (12, audits[2], "good")):
        clock.now = at(day)
        moderation_domain.record_blind_grade(audit, grade=mine)
    early = moderation_domain.moderation_agreement(this, until=at(5))
    assert (early.n, early.agreed) == (2, 1)
    assert (moderation_domain.moderation_agreement(this).n, moderation_domain.moderation_agreement(this).agreed) == (
        3,
        1,
    )
    assert _stood(this, at(5)).method.agreement == early


def test_an_earlier_round_published_after_the_date_is_not_yet_in_the_trend(this, clock, org):
    earlier = make_round("Earlier round", cases=0, size=4, exclude_audited_within_months=0, blind_moderation=False)
    earlier.drawn_at = this.drawn_at - timedelta(days=180)
    clock.now = at(1)
    for assignment in _assignments(earlier):
        _submit(assignment)
    db.session.add(
        PublishedReport(
            round_id=earlier.id, title=earlier.name, as_of=at(15), published_at=at(15), sha256="0" * 64, pdf=b"%PDF"
        )
    )
    db.session.flush()
    assert _stood(this, at(20)).trend.rounds == ["Earlier round", "As of round"]
    assert _stood(this, at(10)).trend.rounds == ["As of round"]  # not finished as of then
    assert build_report(this, as_of=at(10)).trend.rounds == ["Earlier round", "As of round"]
