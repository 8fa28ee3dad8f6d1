"""The demo's learning loop (issue 15): priorities and review learning linked to its rounds and findings, success
measures on its actions, and one re-audit round made from an action."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from auditapp.demo.audits import COMPLETED_ROUND
from auditapp.demo.facts import DEMO_ROUND
from auditapp.demo.load import load_demo
from auditapp.domain import learning
from auditapp.domain.context import acting_as
from auditapp.extensions import db
from auditapp.models import Action, AuditRound, LearningItem
from tests.conftest import bound_session, operator_context, rolled_back_connection, savepoint


@pytest.fixture(scope="module")
def _demo_loaded(app):
    """The demo loaded once for this module (as tests/test_demo_audits.py does), rolled back at the end."""
    with rolled_back_connection(app) as connection:
        with bound_session(connection), acting_as(operator_context()), app.test_request_context():
            load_demo()
            db.session.commit()
        yield connection


@pytest.fixture
def _connection(_demo_loaded):
    with savepoint(_demo_loaded):
        yield _demo_loaded


def _round(name: str) -> AuditRound:
    return db.session.scalar(select(AuditRound).where(AuditRound.name == name))


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


def test_loading_the_demo_again_adds_no_learning_loop_rows(app, actor):
    before = [db.session.scalar(select(func.count()).select_from(m)) for m in (LearningItem, AuditRound)]
    with app.test_request_context():
        load_demo()
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (LearningItem, AuditRound)] == before
