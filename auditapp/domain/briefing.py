"""The 7-minute briefing (issue 15): one A4 page for practitioners, from a round's findings and actions.

It holds no child's data at all: no case reference, no child's or worker's name, no per-case grade. Free text
written by people (findings, actions) is scrubbed of the round's case references and of the names of its cases'
workers and its auditors, and the actions show the owning agency, never the owner's name.

One page, always: each section shows at most a fixed number of items and each text at most a fixed number of
characters, cut at a word with "…" (and the section says how many more there are, in the Board report). The limits
are sized so that the longest possible texts still fit on one A4 page at the template's type size; the test renders
a round of long findings and counts the pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from auditapp.domain import findings as finding_domain
from auditapp.domain import learning
from auditapp.models import AuditRound, Finding
from auditapp.models.learning import PRIORITY, REVIEW_LEARNING
from auditapp.models.types import utcnow

# How much each section may hold (items, characters): see the module docstring.
MAX_FINDINGS, TITLE_CHARS = 6, 110
MAX_SO_WHATS, SO_WHAT_CHARS = 3, 150
MAX_ACTIONS, ACTION_CHARS = 4, 85
MAX_QUESTIONS, QUESTION_CHARS = 4, 110
MAX_READING, READING_CHARS = 3, 110
MAX_PRIORITIES, MAX_REVIEWS, BACKGROUND_CHARS = 3, 2, 60
TITLE_LIMIT, MAX_AGENCIES = 80, 7  # the title on one line at its size; the agencies in two lines

FIXED_QUESTIONS = [
    "Where are the child's own words in your files, and how did they change the plan?",
    "When did you last check with the other agencies what has changed for the child?",
    "What would a child or parent say is different because of our work with them?",
    "What gets in the way of doing this well in your team, and who can you tell?",
]


def shorten(text: str | None, limit: int) -> str:
    """``text`` on one line, cut at a word to at most ``limit`` characters, with "…" when cut."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-– ")
    return (cut or text[: limit - 1]) + "…"


@dataclass(frozen=True)
class BriefingAction:
    text: str
    agency: str
    due_on: date
    reaudit_on: date | None


@dataclass(frozen=True)
class Briefing:
    """What the briefing shows, already scrubbed and shortened."""

    title: str
    theme: str | None
    priorities: list[str]
    review_learning: list[str]
    cases: int
    agencies: list[str]
    drawn_on: date | None
    due_on: date | None
    working: list[str]
    to_change: list[str]
    for_children: list[str]
    actions: list[BriefingAction]
    questions: list[str]
    reading: list[str]
    more: dict[str, int] = field(default_factory=dict)  # section -> how many more than shown
    generated_on: date = field(default_factory=lambda: utcnow().date())


def _scrubber(audit_round: AuditRound) -> Callable[[str | None], str]:
    """Replace the round's case references and the names of its cases' workers and auditors in free text."""
    names: dict[str, str] = {}
    for sampled in audit_round.sampled:
        names[sampled.case.case_ref] = "a child"
        if sampled.case.worker:
            names[sampled.case.worker] = "the worker"
        for assignment in sampled.assignments:
            if assignment.auditor and assignment.auditor.name:
                names[assignment.auditor.name] = "the auditor"
    names = {k: v for k, v in names.items() if k.strip()}
    if not names:
        return lambda text: text or ""
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)), re.IGNORECASE)
    lowered = {k.lower(): v for k, v in names.items()}
    return lambda text: pattern.sub(lambda m: lowered[m.group(0).lower()], text or "")


def _agencies(audit_round: AuditRound) -> list[str]:
    found: set[str] = set(audit_round.agencies or [])
    for sampled in audit_round.sampled:
        for assignment in sampled.assignments:
            if assignment.agency_name:
                found.add(assignment.agency_name)
            elif assignment.auditor and assignment.auditor.agency:
                found.add(assignment.auditor.agency.name)
    return sorted(found)


def _capped(items: list[str], limit: int, key: str, more: dict[str, int]) -> list[str]:
    if len(items) > limit:
        more[key] = len(items) - limit
    return items[:limit]


def _questions(findings: list[Finding], scrub: Callable[[str | None], str]) -> list[str]:
    """From the findings' recommendations (as questions to reflect on), then the fixed set, at most 4."""
    asked = [
        f"“{shorten(scrub(f.recommendation).rstrip('.'), QUESTION_CHARS - 40)}”: what would this look like in "
        "your work?"
        for f in findings
        if (f.recommendation or "").strip()
    ][:2]
    return (asked + FIXED_QUESTIONS)[:MAX_QUESTIONS]


def build_briefing(audit_round: AuditRound) -> Briefing:
    """The 7-minute briefing of ``audit_round`` from its findings, actions and linked learning (see the module
    docstring for what it leaves out and how it stays on one page). Reads only; the caller records the view."""
    scrub = _scrubber(audit_round)
    findings = finding_domain.findings_for(audit_round)
    items = {i.id: i for i in learning.items_for_round(audit_round)}
    for linked in learning.items_by_finding(findings).values():
        for item in linked:
            items.setdefault(item.id, item)
    more: dict[str, int] = {}
    priorities = [shorten(i.title, BACKGROUND_CHARS) for i in items.values() if i.kind == PRIORITY]
    reviewed = [i for i in items.values() if i.kind == REVIEW_LEARNING]
    reviews = [shorten(i.title, BACKGROUND_CHARS) for i in reviewed]  # section 1: the titles
    reading = [shorten(f"{i.title}: {i.source}" if i.source else i.title, READING_CHARS) for i in reviewed]
    # A finding that led to an action needs to change; one with no action is practice to keep.
    working = [shorten(scrub(f.title), TITLE_CHARS) for f in findings if not f.actions]
    to_change = [shorten(scrub(f.title), TITLE_CHARS) for f in findings if f.actions]
    room = MAX_FINDINGS
    shown_change = _capped(to_change, max(room - min(len(working), room // 2), 0), "to_change", more)
    shown_working = _capped(working, room - len(shown_change), "working", more)
    actions = [a for f in findings for a in f.actions]
    if len(actions) > MAX_ACTIONS:
        more["actions"] = len(actions) - MAX_ACTIONS
    live = [s for s in audit_round.sampled if not s.replaced]
    return Briefing(
        title=shorten(f"7-minute briefing: {audit_round.theme or audit_round.name}", TITLE_LIMIT),
        theme=audit_round.theme,
        priorities=_capped(priorities, MAX_PRIORITIES, "priorities", more),
        review_learning=_capped(reviews, MAX_REVIEWS, "reviews", more),
        cases=len(live),
        agencies=_capped([shorten(a, 40) for a in _agencies(audit_round)], MAX_AGENCIES, "agencies", more),
        drawn_on=audit_round.drawn_at.date() if audit_round.drawn_at else None,
        due_on=audit_round.due_date,
        working=shown_working,
        to_change=shown_change,
        for_children=_capped(
            [shorten(scrub(f.so_what), SO_WHAT_CHARS) for f in findings], MAX_SO_WHATS, "for_children", more
        ),
        actions=[
            BriefingAction(
                text=shorten(scrub(a.description), ACTION_CHARS),
                agency=a.agency.name,
                due_on=a.due_date,
                reaudit_on=a.reaudit_date,
            )
            for a in sorted(actions, key=lambda a: (a.due_date, a.id))[:MAX_ACTIONS]
        ],
        questions=_questions(findings, scrub),
        reading=_capped(reading, MAX_READING, "reading", more),
        more=more,
    )


def download_trail(audit_round: AuditRound) -> tuple[str, str, int, dict[str, Any]]:
    """The event recorded when someone downloads the round's 7-minute briefing (it is made from the round's
    findings; issue 16: made in the worker, recorded at download)."""
    return ("briefing_downloaded", "round", audit_round.id, {})
