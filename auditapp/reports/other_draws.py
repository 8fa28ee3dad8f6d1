"""The other rounds drawn or cancelled for the same theme in the 12 months up to a round's draw (issue 14).

A sample nobody can steer must also show that nobody drew a round, disliked its sample, cancelled it and drew
again: so the Board report lists every other round on the same theme that was drawn or cancelled in the year
before this round's draw, and what became of it.

Themes match case- and space-insensitively ("Neglect", " neglect ", "NEG LECT" are one theme). A round with no
theme is compared with the other rounds with no theme: leaving the theme blank must not be a way round the check.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from auditapp.extensions import db
from auditapp.models.audit_round import AuditRound, SampledCase
from auditapp.models.finding import PublishedReport

WINDOW_MONTHS = 12


@dataclass(frozen=True)
class OtherDraw:
    """Another round on the same theme: its name, when it was drawn, what became of it and its sample size."""

    name: str
    drawn_on: date | None  # None: cancelled before its sample was drawn
    outcome: str  # in words: "Cancelled on 3 March 2025: <reason>", "Report published on ...", "In progress"
    sample_size: int | None  # None when no sample was drawn


@dataclass(frozen=True)
class OtherDraws:
    theme: str | None  # this round's theme as written; None: the round has no theme
    since: date  # the window: 12 months up to this round's draw
    until: date
    rounds: list[OtherDraw]


def theme_key(theme: str | None) -> str:
    """The theme as compared: every space left out, case folded ("" for no theme)."""
    return "".join((theme or "").split()).casefold()


def months_before(moment: datetime, months: int = WINDOW_MONTHS) -> datetime:
    """``moment`` the given number of calendar months earlier (the last day of a shorter month when needed)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last))


def other_draws(audit_round: AuditRound, *, as_of: datetime) -> OtherDraws | None:
    """The other rounds on ``audit_round``'s theme drawn or cancelled in the 12 months up to its draw, oldest
    first, each as it stood at ``as_of``. None when ``audit_round`` has not been drawn."""
    until = audit_round.drawn_at
    if until is None:
        return None
    since = months_before(until)
    in_window = or_(
        AuditRound.drawn_at.between(since, until),
        AuditRound.cancelled_at.between(since, until),
    )
    candidates = db.session.scalars(
        select(AuditRound)
        .where(AuditRound.id != audit_round.id, in_window)
        .options(selectinload(AuditRound.sampled).selectinload(SampledCase.case))
    )
    key = theme_key(audit_round.theme)
    matching = [r for r in candidates if theme_key(r.theme) == key]
    published = _first_published(matching, as_of)
    rows = [
        OtherDraw(
            name=r.name,
            drawn_on=r.drawn_at.date() if r.drawn_at else None,
            outcome=_outcome(r, published.get(r.id), as_of, also=audit_round),
            sample_size=r.sample_size if r.drawn_at else None,
        )
        for r in sorted(matching, key=lambda r: (r.drawn_at or r.cancelled_at or until, r.id))
    ]
    theme = audit_round.theme.strip() if audit_round.theme and audit_round.theme.strip() else None
    return OtherDraws(theme=theme, since=since.date(), until=until.date(), rounds=rows)


def _first_published(rounds: list[AuditRound], as_of: datetime) -> dict[int, datetime]:
    if not rounds:
        return {}
    query = (
        select(PublishedReport.round_id, func.min(PublishedReport.published_at))
        .where(PublishedReport.round_id.in_([r.id for r in rounds]), PublishedReport.published_at <= as_of)
        .group_by(PublishedReport.round_id)
    )
    return {round_id: at for round_id, at in db.session.execute(query)}


def _outcome(audit_round: AuditRound, published: datetime | None, as_of: datetime, *, also: AuditRound) -> str:
    cancelled = audit_round.cancelled_at
    if cancelled is not None and cancelled <= as_of:
        reason = _scrub((audit_round, also), audit_round.cancel_reason or "no reason recorded")
        return f"Cancelled on {_day(cancelled)}: {reason}"
    if published is not None:
        return f"Report published on {_day(published)}"
    if audit_round.drawn_at is None:
        return "Not drawn yet"
    return "In progress"


def _scrub(rounds: tuple[AuditRound, ...], text: str) -> str:
    """A reason is written by people: the case references and workers of its round's sample, and of the report's
    round, never reach the report."""
    sampled = [s for r in rounds for s in r.sampled]
    names = {s.case.case_ref: "a sampled case" for s in sampled}
    names |= {s.case.worker: "the worker" for s in sampled if s.case.worker}
    if not names:
        return text
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: names[m.group(0)], text)


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"
