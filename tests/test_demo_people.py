"""The demo's people around the child (issue 15): conversations, family views, panel records and feedback letters
in the completed round, loaded once; a second load adds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from auditapp.demo.audits import COMPLETED_ROUND
from auditapp.demo.load import load_demo
from auditapp.domain.context import acting_as
from auditapp.extensions import db
from auditapp.models import AuditEvent, AuditRound, CaseConversation, JointDiscussion
from tests.conftest import bound_session, operator_context, rolled_back_connection, savepoint


@pytest.fixture(scope="module")
def _demo_loaded(app):
    """The demo, loaded once for this module (as tests/test_demo_audits.py does)."""
    with rolled_back_connection(app) as connection:
        with bound_session(connection), acting_as(operator_context()), app.test_request_context():
            summary = load_demo()
            db.session.commit()
        yield connection, summary


@pytest.fixture
def _connection(_demo_loaded):
    connection, _ = _demo_loaded
    with savepoint(connection):
        yield connection


@pytest.fixture
def demo(_demo_loaded, actor):
    return _demo_loaded[1]


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


def test_a_second_load_adds_no_conversation_panel_or_letter(app, demo):
    before = [db.session.scalar(select(func.count()).select_from(m)) for m in (CaseConversation, AuditEvent)]
    with app.test_request_context():
        again = load_demo()
        db.session.commit()
    assert again.created == 0
    from auditapp.demo.facts import DemoSummary
    from auditapp.demo.people import load_people_around_the_child

    mine = DemoSummary()
    load_people_around_the_child(mine)
    assert mine.created == 0 and mine.existing == 5 * len(_cases())  # three conversations, a panel, a letter each
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (CaseConversation, AuditEvent)] == before
