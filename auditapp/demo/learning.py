"""The demo's learning loop (issue 15): the partnership's priorities and learning from reviews, linked to the demo
rounds and findings; success measures and re-audit dates on the demo's actions; and one re-audit round, made from
an action of the spring round (created, not drawn).

Idempotent: items are found by title, links are set to what they should be, a measure is written only where an
action has none, and the re-audit round is made once. Everything is invented except the national panel's review
of Arthur and Star, cited by name. Matching is by words in the findings' titles and the actions' descriptions, so
the demo's texts may change without breaking this (an action it no longer recognises keeps "Not recorded").
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from auditapp.demo.audits import COMPLETED_ROUND, _as
from auditapp.demo.earlier import _coordinator
from auditapp.demo.facts import DEMO_ROUND, EARLIER_ROUND, DemoSummary
from auditapp.domain import learning
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import Action, AuditRound, Finding, LearningItem
from auditapp.models.learning import PRIORITY, REVIEW_LEARNING

NEGLECT = "Neglect: recognising cumulative harm"
VOICE = "Hearing the voice of the child"
WHOLE_FAMILY = "Domestic abuse: seeing the whole family"
CHILD_L = "Child L: the adults around the baby"
ARTHUR_STAR = "Child Protection in England: Arthur and Star"
CHILD_M = "Child M: school absence as a sign of neglect"

# (kind, title, source, description)
ITEMS = [
    (
        PRIORITY,
        NEGLECT,
        None,
        "Seeing the pattern over time, not only the latest incident: chronologies, history and what the child's "
        "day is like, so that neglect is recognised before it does lasting harm.",
    ),
    (
        PRIORITY,
        VOICE,
        None,
        "What each child says, shows and feels is recorded in their own words, and shapes the plan and the "
        "decisions made about them.",
    ),
    (
        PRIORITY,
        WHOLE_FAMILY,
        None,
        "Every adult in the household is known and assessed, fathers and new partners included, and the child's "
        "experience of domestic abuse is at the centre of the plan.",
    ),
    (
        REVIEW_LEARNING,
        CHILD_L,
        "Child Safeguarding Practice Review: Child L (Northshire Safeguarding Children Partnership, 2025)",
        "Professionals knew the mother well but did not assess her new partner, and what police and health knew "
        "about him was never put together before the baby was injured.",
    ),
    (
        REVIEW_LEARNING,
        ARTHUR_STAR,
        "Child Safeguarding Practice Review Panel: Child Protection in England, national review into the murders "
        "of Arthur Labinjo-Hughes and Star Hobson (May 2022)",
        "Strategy discussions need every agency that knows the child; what parents and carers say must be tested "
        "against what is seen; and the child's daily life must be at the centre of decisions.",
    ),
    (
        REVIEW_LEARNING,
        CHILD_M,
        "Rapid review: Child M (Northshire Safeguarding Children Partnership, 2026)",
        "A pattern of missed school over two years was treated as an attendance matter, not as a sign that the "
        "child's needs were going unmet at home.",
    ),
]

ROUND_LINKS = {
    EARLIER_ROUND: [NEGLECT, VOICE],
    COMPLETED_ROUND: [NEGLECT, VOICE, CHILD_L, ARTHUR_STAR],
    DEMO_ROUND: [VOICE, WHOLE_FAMILY, ARTHUR_STAR],
}
# (a word in the finding's title, in lower case) -> what it relates to
FINDING_LINKS = [
    ("strategy discussions", [ARTHUR_STAR, NEGLECT]),
    ("chronolog", [NEGLECT, CHILD_L]),
    ("worked together", [ARTHUR_STAR]),
    ("timescales", [NEGLECT]),
    ("home conditions", [VOICE, NEGLECT]),
    ("other adults", [WHOLE_FAMILY, CHILD_L]),
]
# (words the action's description starts with, in lower case) -> (success measure, re-audit by)
MEASURES = [
    (
        "invite the school and the health visitor",
        "Health and education take part in at least 9 in 10 strategy discussions about neglect, in the quarter's "
        "strategy discussion data and in the re-audit",
        date(2027, 7, 31),
    ),
    (
        "health visitors and school nurses name",
        "A health safeguarding lead joins 9 in 10 same-day strategy discussions, from the duty log each month",
        date(2027, 1, 31),
    ),
    (
        "audit chronology use",
        "Every open child protection case has a chronology started at the first assessment and used at each review",
        date(2027, 9, 30),
    ),
    (
        "add review dates and a named owner",
        "Every action in the plans of sampled children names who does what by when, and the review checks it",
        date(2026, 6, 30),
    ),
    (
        "health visitors bring a growth",
        "A growth and development summary at 9 in 10 core groups, from a dip sample each quarter",
        date(2026, 9, 30),
    ),
    (
        "run practice workshops",
        "8 in 10 assessments in the next neglect audit say what the child's day is like and what must change",
        date(2026, 6, 30),
    ),
    (
        "schools' safeguarding leads share attendance",
        "Attendance patterns are in the core group minutes for every school-age child on a plan",
        date(2026, 11, 30),
    ),
    (
        "add a section on every adult",
        "9 in 10 sampled assessments assess every adult in the household, with police checks asked for",
        date(2026, 10, 31),
    ),
    (
        "police share what they know",
        "Police checks on new adults in the household come back within two working days in 9 in 10 requests",
        date(2027, 12, 31),
    ),
]
REAUDIT_FROM = "invite the school and the health visitor"  # the action the demo's re-audit round re-audits


def _items(summary: DemoSummary) -> dict[str, LearningItem]:
    found: dict[str, LearningItem] = {}
    for kind, title, source, description in ITEMS:
        item = db.session.scalar(select(LearningItem).where(LearningItem.title == title))
        if item is None:
            item = learning.save_item(None, kind=kind, title=title, source=source, description=description)
            summary.created += 1
        else:
            summary.existing += 1
        found[title] = item
    return found


def _round(name: str) -> AuditRound | None:
    return db.session.scalar(select(AuditRound).where(AuditRound.name == name))


def _link(items: dict[str, LearningItem]) -> None:
    for round_name, titles in ROUND_LINKS.items():
        audit_round = _round(round_name)
        if audit_round is None:
            continue
        learning.link_round(audit_round, [items[t].id for t in titles])
        for finding in db.session.scalars(select(Finding).where(Finding.round_id == audit_round.id)):
            wanted = {t for word, ts in FINDING_LINKS if word in finding.title.lower() for t in ts}
            if wanted:
                learning.link_finding(finding, [items[t].id for t in sorted(wanted)])


def _measure_for(action: Action) -> tuple[str, date] | None:
    text = action.description.lower()
    for start, measure, when in MEASURES:
        if text.startswith(start) and when > action.due_date:
            return measure, when
    return None


def _measures(summary: DemoSummary) -> None:
    """Success measures and re-audit dates on the demo's actions. Their reports were published before these
    columns existed in the story, so they are written directly (with the trail event the edit would record)."""
    for action in db.session.scalars(select(Action).order_by(Action.id)):
        found = _measure_for(action)
        if found is None:
            continue
        if action.success_measure:
            summary.existing += 1
            continue
        action.success_measure, action.reaudit_date = found
        db.session.flush()
        record_event(
            "action_edited",
            object_type="action",
            object_id=action.id,
            details={
                "finding_id": action.finding_id,
                "changed": {"success_measure": [None, found[0]], "reaudit_date": [None, found[1].isoformat()]},
            },
        )
        summary.created += 1


def _reaudit(summary: DemoSummary) -> None:
    spring = _round(COMPLETED_ROUND)
    if spring is None:
        return
    action = db.session.scalar(
        select(Action)
        .join(Finding)
        .where(Finding.round_id == spring.id)
        .where(Action.description.ilike(f"{REAUDIT_FROM}%"))
        .order_by(Action.id)
        .limit(1)
    )
    if action is None or action.reaudit_round_id is not None:
        summary.existing += 1
        return
    coordinator = _coordinator()
    with _as(coordinator):
        learning.create_reaudit_round(action, learning.reaudit_settings_for(action), created_by_id=coordinator.id)
    summary.created += 1


def load_learning_loop(summary: DemoSummary) -> None:
    """Create whatever of the demo's learning loop is missing (see the module docstring)."""
    with _as(_coordinator()):
        items = _items(summary)
        _link(items)
        _measures(summary)
    _reaudit(summary)
