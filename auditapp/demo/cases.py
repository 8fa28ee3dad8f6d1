"""A realistic synthetic case population for the demo: about 500 children across the demo localities and teams.

Deterministic (a fixed seed and a fixed "as at" date), so loading the demo twice changes nothing. Some
assessments are late against the 45 working day timescale and some child protection plans have lasted more than
two years, so the audit tool's computed questions have something to find. Every value is invented.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from auditapp.importers import CaseRecord, Source, export_generic_csv

AS_AT = date(2026, 9, 30)
SEED = 20081113  # the Haringey review that started all this
LOCALITIES = ["North", "South", "East", "West"]
TEAM_FOR_STATUS = {
    "early_help": "Assessment Team",
    "cin": "Assessment Team",
    "cp": "Child Protection Team",
    "looked_after": "Children in Care Team",
    "care_leaver": "Children in Care Team",
    "closed": "Assessment Team",
}
STATUS_WEIGHTS = {"early_help": 40, "cin": 160, "cp": 120, "looked_after": 110, "care_leaver": 30, "closed": 40}
WORKERS = [
    "Priya Patel",
    "Sam Okafor",
    "Dana Whitfield",
    "Morgan Reyes",
    "Kit Fairbairn",
    "Jo Lindqvist",
    "Alex Mensah",
    "Robin Achebe",
    "Charlie Novak",
    "Frankie Adeyemi",
    "Jamie Kaur",
    "Sasha Byrne",
]
CATEGORIES = ["neglect", "neglect", "emotional", "physical", "sexual", "multiple"]


def _record(number: int, status: str, rng: random.Random) -> CaseRecord:
    locality = LOCALITIES[number % 4]
    referral = AS_AT - timedelta(days=rng.randint(30, 1400))
    assessment_days = rng.choice([20, 35, 50, 60, 62, 70, 90])  # calendar days: 70+ is late against 45 working
    dob = referral - timedelta(days=rng.randint(100, 16 * 365))
    values: dict = dict(
        case_ref=f"NS{number:05d}",
        status=status,
        agency="Children's social care",
        locality=locality,
        team=f"{locality} {TEAM_FOR_STATUS[status]}",
        worker=rng.choice(WORKERS),
        date_of_birth=dob,
        gender=rng.choice(["male", "female", "female", "male", "unknown"]),
        referral_date=referral,
        assessment_start_date=referral + timedelta(days=rng.randint(0, 5)),
        assessment_completed_date=referral + timedelta(days=assessment_days),
        last_seen_date=AS_AT - timedelta(days=rng.randint(1, 90)),
        seen_alone=rng.random() < 0.6,
        previous_cp_plans=rng.choice([0, 0, 0, 1, 2]),
    )
    if status == "cp" or (status in ("closed", "looked_after") and rng.random() < 0.3):
        values["s47_start_date"] = referral + timedelta(days=rng.randint(1, 10))
        values["icpc_date"] = values["s47_start_date"] + timedelta(days=rng.randint(10, 20))
        values["cp_plan_start_date"] = values["icpc_date"]
        values["category_of_abuse"] = rng.choice(CATEGORIES)
        if status != "cp":
            values["cp_plan_end_date"] = values["cp_plan_start_date"] + timedelta(days=rng.randint(90, 500))
    if status in ("looked_after", "care_leaver"):
        values["looked_after_start_date"] = referral + timedelta(days=rng.randint(20, 200))
    if status == "closed":
        values["closure_date"] = min(AS_AT, referral + timedelta(days=rng.randint(120, 600)))
    if values["assessment_completed_date"] > AS_AT:
        values["assessment_completed_date"] = None
    return CaseRecord(**values)


def demo_population() -> list[CaseRecord]:
    """About 500 synthetic cases, the same every time."""
    rng = random.Random(SEED)
    statuses = [s for s, weight in STATUS_WEIGHTS.items() for _ in range(weight)]
    return [_record(i + 1, status, rng) for i, status in enumerate(statuses)]


def demo_population_source() -> Source:
    """The demo population as a generic CSV upload, so the demo goes through the real import path."""
    return Source("demo-population.csv", export_generic_csv(demo_population()).encode())
