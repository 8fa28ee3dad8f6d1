"""The demo's audit rounds: a completed, moderated round with realistic variety, and a round in progress; the people
around the child and the learning loop (issue 15). One demo load for all of them (loading it costs seconds)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from auditapp.demo.audits import COMPLETED_ROUND
from auditapp.demo.facts import DEMO_ROUND
from auditapp.demo.load import load_demo
from auditapp.domain import learning
from auditapp.domain.context import acting_as
from auditapp.extensions import db
from auditapp.models import (
    Action,
    AgencyAudit,
    AuditEvent,
    AuditRound,
    CaseConversation,
    JointDiscussion,
    LearningItem,
    SafeguardingConcern,
    User,
)
from tests.conftest import bound_session, operator_context, rolled_back_connection, savepoint


@pytest.fixture(scope="module")
def _demo_loaded(app):
    """The demo, loaded once for this module's tests, which only read it: on a connection of the module's own, in
    an outer transaction rolled back after the last test. Each test runs in a SAVEPOINT on it (``_connection``
    below), rolled back after the test, so every test still starts from the freshly loaded demo.
    """
    with rolled_back_connection(app) as connection:
        # The request context: the demo renders its published report with the app's templates.
        with bound_session(connection), acting_as(operator_context()), app.test_request_context():
            summary = load_demo()
            db.session.commit()  # as the CLI would; leaving the context closes the session
        yield connection, summary


@pytest.fixture
def _connection(_demo_loaded):
    """This module's tests run on the module's connection, each in a SAVEPOINT rolled back afterwards."""
    connection, _ = _demo_loaded
    with savepoint(connection):
        yield connection


@pytest.fixture
def demo(_demo_loaded, actor):
    return _demo_loaded[1]


def _round(name: str) -> AuditRound:
    return db.session.scalar(select(AuditRound).where(AuditRound.name == name))


def _audits(audit_round: AuditRound) -> list[AgencyAudit]:
    return [
        audit
        for s in audit_round.sampled
        if not s.replaced
        for a in s.assignments
        if (audit := db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == a.id)))
    ]


def test_the_completed_round_is_fully_audited_moderated_and_discussed(demo):
    audit_round = _round(COMPLETED_ROUND)
    current = [s for s in audit_round.sampled if not s.replaced]
    assert len(current) == 12 and all(len(s.assignments) >= 2 for s in current)
    assert all(sum(a.lead for a in s.assignments) == 1 for s in current)
    assert not {s.case_id for s in current} & {s.case_id for s in _round(DEMO_ROUND).sampled}
    audits = _audits(audit_round)
    assert len(audits) == sum(len(s.assignments) for s in current)
    assert {a.state for a in audits} == {"moderated"}
    decisions = Counter(a.moderation_decision for a in audits)
    assert decisions["agreed"] > decisions["regraded"] >= 2 and "returned" not in decisions
    assert all(a.moderation_comment for a in audits if a.moderation_decision == "regraded")
    joints = [
        db.session.scalar(select(JointDiscussion).where(JointDiscussion.sampled_case_id == s.id)) for s in current
    ]
    assert all(j is not None and j.completed_at is not None for j in joints)
    leads = {s.id: next(a.auditor_id for a in s.assignments if a.lead) for s in current}
    assert all(j.recorded_by_id == leads[j.sampled_case_id] for j in joints)
    # every step done as the person who would do it: auditors fill in and submit, the coordinator moderates
    coordinator = db.session.scalar(select(User).where(User.email.like("coordinator@%")))
    assert all(a.updated_by_id == a.assignment.auditor_id for a in audits)
    assert {a.moderated_by_id for a in audits} == {coordinator.id}
    auditor_of = {str(a.id): a.assignment.auditor_id for a in audits}
    submitted = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "audit_submitted", AuditEvent.object_id.in_(auditor_of))
        )
    )
    assert len(submitted) > len(audits) and all(e.actor_id == auditor_of[e.object_id] for e in submitted)


def test_the_completed_round_has_realistic_variety_and_one_acknowledged_concern(demo):
    audits = _audits(_round(COMPLETED_ROUND))
    answers = [a.answers for a in audits]
    not_alone = [x for x in answers if x["child_seen_alone"] != "yes"]
    assert not_alone and all(x.get("seen_alone_rationale") for x in not_alone)
    assert {x["child_seen_alone"] for x in not_alone} == {"no", "not_applicable"}
    no_chronology = [x for x in answers if x["chronology_present"] != "yes"]
    assert no_chronology and all("chronology_up_to_date" not in x and "chronology_used" not in x for x in no_chronology)
    assert {x["overall_grade"] for x in answers} == {"outstanding", "good", "requires_improvement", "inadequate"}
    assert any(k.endswith("__override_reason") for x in answers for k in x)  # a computed answer overridden
    assert all(x["so_what"] and x["good_practice"] and x["areas_for_development"] for x in answers)
    assert len({x["evidence__childs_voice"] for x in answers}) > 3
    # one immediate safeguarding concern, raised by an auditor of the case and acknowledged by the coordinator
    concerns = list(db.session.scalars(select(SafeguardingConcern)))
    assert len(concerns) == 1
    concern = concerns[0]
    assert concern.sampled_case.round.name == COMPLETED_ROUND
    assert concern.raised_by_id in {a.auditor_id for a in concern.sampled_case.assignments}
    assert concern.acknowledged_at is not None and concern.action_taken
    assert concern.acknowledged_by.email.startswith("coordinator@")


def test_the_demo_round_is_in_progress(demo):
    audit_round = _round(DEMO_ROUND)
    states = Counter(a.state for a in _audits(audit_round))
    places = sum(len(s.assignments) for s in audit_round.sampled if not s.replaced)
    assert states["submitted"] >= 1 and states["in_progress"] >= 2
    assert places - sum(states.values()) >= places // 2  # most not started yet
    assert "moderated" not in states


def test_a_second_load_creates_nothing(app, demo):
    assert demo.created > 500 and _round(DEMO_ROUND) and _round(COMPLETED_ROUND)
    models = (AuditRound, AgencyAudit, JointDiscussion, SafeguardingConcern, AuditEvent)
    models += (CaseConversation, LearningItem, Action)  # issue 15: the people around the child, the learning loop
    before = [db.session.scalar(select(func.count()).select_from(m)) for m in models]
    with app.test_request_context():
        again = load_demo()
        db.session.commit()
    assert again.created == 0 and again.existing == demo.created + demo.existing
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in models] == before


def test_the_earlier_round_came_first_was_published_and_has_actions_in_each_status(demo):
    from datetime import date

    from auditapp.demo.facts import EARLIER_ROUND
    from auditapp.domain.publishing import current_report
    from auditapp.models import Finding, PublishedReport
    from auditapp.reports.report_data import build_report
    from auditapp.vocabulary import ActionStatus

    earlier, completed = _round(EARLIER_ROUND), _round(COMPLETED_ROUND)
    assert (earlier.tool_key, earlier.tool_version, earlier.theme) == (
        completed.tool_key,
        completed.tool_version,
        completed.theme,
    )
    assert earlier.drawn_at < completed.drawn_at and earlier.drawn_at.date() == date(2025, 9, 15)
    audits = _audits(earlier)
    assert len(audits) == 16 and {a.state for a in audits} == {"moderated"}
    assert all(earlier.drawn_at < a.submitted_at < a.moderated_at for a in audits)
    report = current_report(earlier)
    assert report is not None and not report.interim and report.published_at.date() == date(2025, 11, 14)
    findings = db.session.scalars(select(Finding).where(Finding.round_id == earlier.id)).all()
    actions = [a for f in findings for a in f.actions]
    assert len(findings) == 3 and len(actions) == 6
    completed_report = db.session.scalar(select(PublishedReport).where(PublishedReport.round_id == completed.id))
    on = completed_report.as_of.date()
    statuses = Counter(a.status for a in actions)
    assert statuses == {ActionStatus.DONE: 4, ActionStatus.IN_PROGRESS: 2}
    overdue = [a for a in actions if a.is_overdue(on)]
    assert len(overdue) == 1 and overdue[0].status == ActionStatus.IN_PROGRESS
    assert all(a.updates and all(a.created_at < u.created_at for u in a.updates) for a in actions)
    assert all(u.created_at <= completed_report.as_of for a in actions for u in a.updates)
    # the trend of the completed round compares it with the earlier one, and the trail tells the same dates
    trend = build_report(completed, as_of=completed_report.as_of).trend
    assert trend.rounds == [EARLIER_ROUND, COMPLETED_ROUND]
    drawn = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "sample_drawn", AuditEvent.object_id == str(earlier.id))
    )
    assert drawn is not None and drawn.occurred_at == earlier.drawn_at
    # as it stood on 1 December 2025, before any action's progress: each action was open
    stood = build_report(earlier, as_of=datetime(2025, 12, 1, tzinfo=UTC), as_it_stood=True)
    assert {a.status for a in stood.actions} == {ActionStatus.OPEN.label}


def test_the_later_rounds_are_drawn_witnessed_and_verify_and_the_board_statement_quotes_their_figures(app, demo):
    """The completed and in-progress rounds are drawn as real rounds are (hashrank-v2, frozen, witnessed, one
    attempt); their certificates verify; and the figures the demo's Board statement quotes are the report's."""
    from auditapp.demo.board import STATEMENT
    from auditapp.demo.facts import DEMO_DRAWN_AT, DEMO_WITNESS
    from auditapp.domain.sampling import certificate_of, verify
    from auditapp.models import PublishedReport
    from auditapp.reports.render import render_data_html
    from auditapp.reports.report_data import build_report

    for name in (COMPLETED_ROUND, DEMO_ROUND):
        audit_round = _round(name)
        # Drawn on fixed dates, not the day of loading: the figures below (worked out to the draw) never drift.
        assert audit_round.drawn_at == audit_round.created_at == DEMO_DRAWN_AT[name], name
        certificate = certificate_of(audit_round)
        assert (certificate["algorithm"], certificate["version"]) == ("hashrank", 2), name
        assert len(certificate["draw_attempts"]) == 1, name
        assert certificate["server_random_source"] == "demo", name  # fixed so the demo loads the same each time
        assert certificate["witnessed_by"]["name"] == DEMO_WITNESS[0], name
        assert certificate["frozen_by"] == audit_round.frozen_by == "coordinator@demo.auditapp.invalid", name
        assert verify(certificate) == [], name
    completed = _round(COMPLETED_ROUND)
    published = db.session.scalar(select(PublishedReport).where(PublishedReport.round_id == completed.id))
    report = build_report(completed, as_of=published.as_of)
    results = {q.question_id: (q.result.k, q.result.n) for q in report.questions}
    with app.app_context():
        annex = render_data_html(report, for_pdf=True).split('id="annex"')[1]
    assert "Not random: this is demonstration data" in annex
    assert results["plan_smart"] == (8, 12) and results["child_views_on_plan"] == (8, 12)
    assert results["multi_agency_strategy"] == (6, 12) and results["assessment_timely"] == (10, 12)
    assert results["cp_plan_over_two_years"] == (5, 5)  # "none of the five children ... two years or more"
    assert results["chronology_present"] == (15, 24)  # "9 of the 24 audits found no chronology"
    assert report.moderated_grades["requires_improvement"] + report.moderated_grades["inadequate"] == 14
    for quoted in (
        "8 of the 12 children",
        "Only 6 of the 12",
        "none of the five children",
        "9 of the 24 audits found no",
        "2 of the 12 took longer",
        "14 of the 24 audits",
    ):
        assert quoted in STATEMENT.statement, quoted
    assert "8 of the 12 reflected" in STATEMENT.working and "6 of the 12 children had no" in STATEMENT.worried
    assert "9 of the 24 audits found no chronology" in STATEMENT.worried


def test_the_demos_completed_round_is_moderated_blind_with_blind_grades(demo):
    from auditapp.domain.moderation import moderation_agreement

    audit_round = db.session.scalar(select(AuditRound).where(AuditRound.name == COMPLETED_ROUND))
    assert audit_round.blind_moderation is True
    audits = [a.audit for s in audit_round.sampled if not s.replaced for a in s.assignments if a.audit]
    assert audits and all(a.blind_grade and a.blind_auditor_grade for a in audits)
    agreement = moderation_agreement(audit_round)
    assert agreement.n == len(audits) and agreement.children == len({a.assignment.sampled_case_id for a in audits})
    assert agreement.agreed < agreement.n  # the near misses and the re-grades: blind grades are not copies
    assert agreement.kappa is not None and agreement.kappa_interval is not None


# --- Issue 15: the people around the child ---------------------------------------------------------------------


def _cases():
    audit_round = db.session.scalar(select(AuditRound).where(AuditRound.name == COMPLETED_ROUND))
    return [s for s in audit_round.sampled if not s.replaced]


def test_every_completed_case_has_its_conversations_panel_and_letter(demo):
    cases = _cases()
    talks = list(db.session.scalars(select(CaseConversation)))
    assert {(t.sampled_case_id, t.kind) for t in talks} == {
        (s.id, k) for s in cases for k in ("worker", "manager", "family")
    }
    family = [t for t in talks if t.kind == "family"]
    assert [t.not_sought_reason is not None for t in family].count(True) == 1
    assert len({t.name for t in family if t.sought}) >= 3  # varied: mother, father, the young person, a carer
    joints = [db.session.scalar(select(JointDiscussion).where(JointDiscussion.sampled_case_id == s.id)) for s in cases]
    assert all(j.panel_date and j.attendees and j.letter_strengths and j.letter_learning for j in joints)
    for sampled, joint in zip(cases, joints, strict=True):
        agencies = {a["agency"] for a in joint.attendees}
        assert {a.agency_name for a in sampled.assignments} <= agencies
    assert 1 <= sum(bool(j.disagreements) for j in joints) <= 2


# --- Issue 15: the learning loop --------------------------------------------------------------------------------


def test_the_demo_links_priorities_and_review_learning_to_its_rounds_and_findings(actor):
    items = list(db.session.scalars(select(LearningItem)))
    assert 5 <= len(items) <= 7 and {i.kind for i in items} == {"priority", "review_learning"}
    assert any("Arthur Labinjo-Hughes and Star Hobson" in (i.source or "") for i in items)
    spring = _round(COMPLETED_ROUND)
    assert len(learning.items_for_round(spring)) >= 3 and learning.items_for_round(_round(DEMO_ROUND))
    from auditapp.domain.findings import findings_for

    assert any(learning.items_for_finding(f) for f in findings_for(spring))


def test_the_demo_actions_have_success_measures_and_one_has_a_reaudit_round(actor):
    actions = list(db.session.scalars(select(Action)))
    measured = [a for a in actions if a.success_measure]
    assert len(measured) >= len(actions) - 2 and all(a.reaudit_date > a.due_date for a in measured if a.reaudit_date)
    reaudited = [a for a in actions if a.reaudit_round_id]
    assert len(reaudited) == 1
    reaudit = reaudited[0].reaudit_round
    assert reaudit.name.startswith("Re-audit: ") and reaudit.drawn_at is None
    assert learning.reaudit_origin(reaudit).id == reaudited[0].id
    assert reaudit.due_date == reaudited[0].reaudit_date and learning.items_for_round(reaudit)
