"""Five years of audit programme for ``benchmarks.dashboard``, bulk inserted with Core (the ORM would take minutes).

20 quarters ending with today's, 60 multi-agency rounds (3 a quarter, 4 agencies each), 3,000 agency audits (50 a
round: 12-13 cases x 4 agencies) holding about 50,000 answers (17 each), with the spreads a partnership sees: most
audits submitted, some late, some still open, most moderated (agreed, re-graded or returned), a blind grade on one
in five; a concern on one case in eight, most acknowledged within days; 3 findings a round with 2 actions each, done
on time, late or still open; a single-agency return per agency and quarter (a few missing); a planned round per
round and a few more, some dropped.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from auditapp.domain.quarters import Quarter, quarters_between

AGENCIES = (
    ("Bench Children's Social Care", "social_care"),
    ("Bench Community Health", "health"),
    ("Bench Police", "police"),
    ("Bench Schools", "education"),
)
THEMES = ("Neglect", "Domestic abuse", "Exploitation", "Early help", "Child protection")
GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
AUDIT_FIELDS = (
    "submitted_at",
    "moderation_decision",
    "moderated_grade",
    "moderated_at",
    "blind_grade",
    "blind_auditor_grade",
    "blind_graded_at",
)
ROUNDS_PER_QUARTER, CASES_PER_ROUND, ANSWERS_PER_AUDIT = 3, 13, 17


def quarters(today: date, count: int = 20) -> list[Quarter]:
    last = Quarter.of(today)
    first = last
    for _ in range(count - 1):
        first = first.previous()
    return quarters_between(first, last)


def _at(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=rng.randrange(8 * 60, 18 * 60))


def _insert(table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` and return their ids (in order)."""
    from auditapp.extensions import db

    if not rows:
        return []
    result = db.session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in result]


def _org(rng: random.Random) -> dict[str, Any]:
    from auditapp.extensions import db

    tables = db.metadata.tables
    agency_ids = _insert(tables["agencies"], [{"name": n, "kind": k, "active": True} for n, k in AGENCIES])
    locality_ids = _insert(tables["localities"], [{"name": f"Bench locality {i}"} for i in range(6)])
    team_ids = _insert(
        tables["teams"], [{"name": f"Bench team {i}", "agency_id": agency_ids[i % 4]} for i in range(24)]
    )
    auditor_ids = _insert(
        tables["users"],
        [
            {
                "email": f"bench.auditor{i}@example.org",
                "name": f"Bench auditor {i}",
                "role": "auditor",
                "auditor_type": "independent" if i % 2 else "peer",
                "agency_id": agency_ids[i % 4],
                "password_hash": "!",
                "active": True,
            }
            for i in range(40)
        ],
    )
    case_ids = _insert(
        tables["cases"],
        [
            {
                "case_ref": f"DB{i:06d}",
                "status": rng.choice(("cin", "cp", "looked_after", "early_help")),
                "team_id": team_ids[i % 24],
                "locality_id": locality_ids[i % 6],
                "team_name": f"Bench team {i % 24}",
                "locality_name": f"Bench locality {i % 6}",
            }
            for i in range(5000)
        ],
    )
    return {"agencies": agency_ids, "auditors": auditor_ids, "cases": case_ids}


def _audit(assignment_id: int, drawn: date, due: date, today: date, rng: random.Random) -> dict[str, Any]:
    grade = rng.choices(GRADES, (1, 5, 4, 2))[0]
    answers = {f"q{n}": rng.choice(("yes", "no", "not_applicable")) for n in range(ANSWERS_PER_AUDIT - 1)}
    answers["overall_grade"] = grade
    row: dict[str, Any] = dict.fromkeys(AUDIT_FIELDS)  # every row the same keys: one executemany
    row.update(assignment_id=assignment_id, answers=answers, version=1, state="in_progress")
    submitted = drawn + timedelta(days=rng.randrange(10, 75))
    if submitted >= today or rng.random() < 0.06:  # still being audited
        return row
    row.update(state="submitted", submitted_at=_at(submitted, rng))
    if rng.random() < 0.2:
        row.update(blind_grade=rng.choice(GRADES), blind_auditor_grade=grade, blind_graded_at=_at(submitted, rng))
    moderated = submitted + timedelta(days=rng.randrange(1, 30))
    if moderated < today and rng.random() < 0.85:
        decision = rng.choices(("agreed", "regraded", "returned"), (7, 2, 1))[0]
        row.update(moderation_decision=decision, moderated_at=_at(moderated, rng))
        if decision == "returned":
            row.update(state="returned", submitted_at=None)
        else:
            row.update(state="moderated", moderated_grade=grade if decision == "agreed" else rng.choice(GRADES))
    return row


def _round_rows(index: int, quarter: Quarter, org: dict[str, Any], today: date, rng: random.Random) -> None:
    """One drawn round of the quarter: its sample, assignments, audits, concerns, findings and actions."""
    from auditapp.extensions import db

    tables = db.metadata.tables
    drawn = quarter.start + timedelta(days=rng.randrange(0, 40))
    due = drawn + timedelta(days=60)
    theme = THEMES[index % len(THEMES)]
    (round_id,) = _insert(
        tables["audit_rounds"],
        [
            {
                "name": f"Bench round {index + 1}",
                "theme": theme,
                "mode": "multi-agency",
                "sample_size": CASES_PER_ROUND,
                "agencies": [name for name, _ in AGENCIES],
                "created_at": _at(drawn - timedelta(days=14), rng),
                "drawn_at": _at(drawn, rng),
                "due_date": due,
                "seed": f"bench-{index}",
            }
        ],
    )
    cases = rng.sample(org["cases"], CASES_PER_ROUND - (index % 2))  # 12 or 13: 50 audits a round on average
    sampled_ids = _insert(
        tables["sampled_cases"],
        [
            {"round_id": round_id, "case_id": c, "stratum": "all", "position": p, "replaced": False}
            for p, c in enumerate(cases)
        ],
    )
    assignments = []
    for sampled_id in sampled_ids:
        for a, (agency, _) in enumerate(AGENCIES):
            assignments.append(
                {
                    "sampled_case_id": sampled_id,
                    "auditor_id": org["auditors"][rng.randrange(10) * 4 + a],
                    "agency_name": agency,
                    "lead": a == 0,
                    "due_date": due if rng.random() < 0.9 else None,
                    "assigned_at": _at(drawn + timedelta(days=rng.randrange(0, 5)), rng),
                }
            )
    assignment_ids = _insert(tables["assignments"], assignments)
    db.session.execute(tables["agency_audits"].insert(), [_audit(i, drawn, due, today, rng) for i in assignment_ids])
    concerns = []
    for sampled_id in sampled_ids:
        if rng.random() < 0.125:
            raised = drawn + timedelta(days=rng.randrange(3, 40))
            acknowledged = _at(raised, rng) + timedelta(hours=rng.choice((1, 4, 20, 50, 200)))
            concerns.append(
                {
                    "sampled_case_id": sampled_id,
                    "raised_by_id": org["auditors"][0],
                    "raised_at": _at(raised, rng),
                    "description": "Bench concern",
                    "acknowledged_at": acknowledged if acknowledged.date() < today and rng.random() < 0.9 else None,
                }
            )
    if concerns:
        db.session.execute(tables["safeguarding_concerns"].insert(), concerns)
    finding_ids = _insert(
        tables["findings"],
        [{"round_id": round_id, "title": f"Finding {p}", "so_what": "So what", "position": p} for p in range(3)],
    )
    actions = []
    for finding_id in finding_ids:
        for _ in range(2):
            target = due + timedelta(days=rng.randrange(30, 200))
            row = {
                "finding_id": finding_id,
                "description": "Bench action",
                "agency_id": rng.choice(org["agencies"]),
                "owner_name": "Head of Service",
                "due_date": target,
                "status": "in_progress",
                "created_at": _at(due, rng),
                "completed_at": None,
            }
            done = target + timedelta(days=rng.randrange(-60, 60))
            if done < today and rng.random() < 0.75:
                row.update(status="done", completed_at=_at(done, rng))
            actions.append(row)
    db.session.execute(tables["actions"].insert(), actions)
    db.session.execute(
        tables["planned_rounds"].insert(),
        [
            {
                "month": drawn.replace(day=1),
                "theme": theme,
                "agencies": [name for name, _ in AGENCIES],
                "round_id": round_id,
                "created_at": _at(quarter.start - timedelta(days=60), rng),
            }
        ],
    )


def _returns_and_plans(shown: list[Quarter], org: dict[str, Any], today: date, rng: random.Random) -> None:
    from auditapp.extensions import db

    tables = db.metadata.tables
    returns = []
    for quarter in shown:
        for agency_id in org["agencies"]:
            if quarter.end >= today or rng.random() < 0.08:
                continue  # not in yet
            grades = [rng.randrange(0, 8) for _ in GRADES]
            submitted = quarter.end + timedelta(days=rng.randrange(5, 50))
            returns.append(
                {
                    "agency_id": agency_id,
                    "year": quarter.year,
                    "quarter": quarter.number,
                    "audited": sum(grades) + rng.randrange(0, 3),
                    **{f"graded_{g}": n for g, n in zip(GRADES, grades, strict=True)},
                    "themes": rng.sample(THEMES, 2),
                    "key_learning": "Bench learning",
                    "source": "form",
                    "submitted_at": _at(min(submitted, today - timedelta(days=1)), rng),
                    "version": 1,
                }
            )
    db.session.execute(tables["single_agency_returns"].insert(), returns)
    extra = []
    for n, quarter in enumerate(shown):  # rounds planned and not (yet) done, some dropped
        month = quarter.start + timedelta(days=40)
        extra.append(
            {
                "month": month.replace(day=1),
                "theme": THEMES[(n + 2) % len(THEMES)],
                "agencies": [AGENCIES[n % 4][0]],
                "created_at": _at(quarter.start - timedelta(days=90), rng),
                "dropped_at": _at(month, rng) if n % 3 == 0 and month < today else None,
                "dropped_reason": "Bench: capacity" if n % 3 == 0 and month < today else None,
            }
        )
    db.session.execute(tables["planned_rounds"].insert(), extra)


def populate(today: date, seed: int = 17) -> dict[str, int]:
    """Fill the (migrated, empty) database of the current app; returns what was made. The caller commits."""
    from sqlalchemy import func, select

    from auditapp.extensions import db

    rng = random.Random(seed)
    shown = quarters(today)
    org = _org(rng)
    index = 0
    for quarter in shown:
        for _ in range(ROUNDS_PER_QUARTER):
            _round_rows(index, quarter, org, today, rng)
            index += 1
    _returns_and_plans(shown, org, today, rng)
    tables = db.metadata.tables
    counts = {
        name: db.session.scalar(select(func.count()).select_from(tables[name])) or 0
        for name in ("audit_rounds", "agency_audits", "safeguarding_concerns", "actions", "single_agency_returns")
    }
    counts["answers"] = index and counts["agency_audits"] * ANSWERS_PER_AUDIT
    return counts
