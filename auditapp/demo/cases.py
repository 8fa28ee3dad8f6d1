"""A believable synthetic case population for the demo: about 530 children held by 28 workers in 16 teams.

Every worker belongs to one social care team, and every team to one locality: a case's team and locality are
its worker's (``WORKER_TEAMS``), so the generic CSV the demo imports names them and the coordinator's
worker-to-team mapping (which only fills blanks in statutory returns) is not needed. Each worker holds 16 to 20
open cases. The shape follows the national figures: neglect and emotional abuse the commonest categories, most
child protection plans under two years (a few over, so the audit tool's computed question has something to find),
plans mostly for younger children, looked-after children 0 to 17, care leavers 18 to 24, children under 2 observed
rather than "seen alone", gender about half and half with "unknown" only for a few babies. Some assessments are
late against the 45 working day timescale. Deterministic (a fixed seed and a fixed "as at" date), so loading the
demo twice changes nothing. Every value is invented.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from auditapp.importers import CaseRecord, Source, export_generic_csv

AS_AT = date(2026, 9, 30)
SEED = 20081113  # the Haringey review that started all this
LOCALITIES = ["North", "South", "East", "West"]
YEAR = 365
# Team kind -> (the statuses of the cases it holds, with weights; its workers per locality). Step-down child in
# need cases stay with the child protection worker; care leavers with the children in care team.
TEAM_KINDS: dict[str, tuple[dict[str, int], int]] = {
    "Early Help Team": ({"early_help": 1}, 1),
    "Assessment Team": ({"cin": 1}, 2),
    "Child Protection Team": ({"cp": 3, "cin": 1}, 2),
    "Children in Care Team": ({"looked_after": 5, "care_leaver": 1}, 2),
}
# Seven workers a locality, in TEAM_KINDS order. Sam Okafor (South Assessment) is also a peer auditor; Priya Patel,
# the other social care peer, manages the North Child Protection Team and holds no cases.
WORKER_NAMES = {
    "North": ["Grace Holloway", "Dana Whitfield", "Morgan Reyes", "Kit Fairbairn", "Jo Lindqvist", "Tomasz Wrobel",
              "Amara Obi"],
    "South": ["Leah Carmichael", "Sam Okafor", "Alex Mensah", "Robin Achebe", "Charlie Novak", "Megan Pryce",
              "Yusuf Bello"],
    "East": ["Ruth Ainsworth", "Frankie Adeyemi", "Jamie Kaur", "Sasha Byrne", "Niamh Gallagher", "Oliver Dunn",
             "Zainab Hussain"],
    "West": ["Carys Jenkins", "Ben Ashworth", "Laura Mitchell", "Kwame Asante", "Sophie Lang", "Ravi Sharma",
             "Holly Tremayne"],
}  # fmt: skip
CASELOAD = (16, 20)  # open cases per worker
CLOSED_PER_WORKER = (0, 2)  # cases closed in the last year and a half, still on the worker's record
# Categories of abuse, weighted as the national child protection figures (neglect ~50%, emotional ~35%).
CATEGORIES = {"neglect": 50, "emotional": 35, "physical": 7, "sexual": 4, "multiple": 4}
# Calendar days from referral to the assessment's completion: 70 and more is late against 45 working days.
ASSESSMENT_DAYS = (15, 22, 28, 35, 40, 45, 52, 58, 60, 75, 95)
P_PLAN_OVER_TWO_YEARS = 0.15


def _worker_teams() -> dict[str, tuple[str, str]]:
    teams: dict[str, tuple[str, str]] = {}
    for locality, names in WORKER_NAMES.items():
        slots = [kind for kind, (_, workers) in TEAM_KINDS.items() for _ in range(workers)]
        for name, kind in zip(names, slots, strict=True):
            teams[name] = (f"{locality} {kind}", locality)
    return teams


#: Each worker's team and locality: the worker-to-team mapping the population agrees with.
WORKER_TEAMS: dict[str, tuple[str, str]] = _worker_teams()


def _age_years(status: str, rng: random.Random) -> float:
    """The child's age at AS_AT, shaped by status (plans mostly for younger children; care leavers 18-24)."""
    if status == "care_leaver":
        return rng.uniform(18.0, 24.5)
    if status == "cp":
        band = rng.choices([(0.1, 1), (1, 5), (5, 10), (10, 16), (16, 17.9)], weights=[12, 30, 28, 25, 5])[0]
    elif status == "looked_after":
        band = rng.choices([(0.1, 1), (1, 5), (5, 10), (10, 16), (16, 17.9)], weights=[5, 14, 18, 38, 25])[0]
    else:
        band = rng.choices([(0.1, 1), (1, 5), (5, 10), (10, 16), (16, 17.9)], weights=[6, 20, 27, 37, 10])[0]
    return rng.uniform(*band)


def _gender(number: int, age_days: int, rng: random.Random) -> str:
    # "Unknown" only where it is plausible: a few babies whose sex is not yet recorded (or indeterminate). Otherwise
    # half and half (case references are shuffled, so alternating says nothing).
    if age_days < 300 and rng.random() < 0.3:
        return "unknown"
    return ("male", "female")[number % 2]


def _plan(values: dict, dob: date, status: str, rng: random.Random) -> None:
    """Child protection dates, worked back from the plan's start so that the plan's length is the one chosen."""
    age_days = (AS_AT - dob).days
    if status == "cp":
        over = rng.random() < P_PLAN_OVER_TWO_YEARS
        days = rng.randint(2 * YEAR + 5, 3 * YEAR + 60) if over else rng.randint(15, 2 * YEAR - 20)
    else:  # a plan that has ended (the child came into care, or the case closed)
        days = rng.randint(200, 4 * YEAR)
    days = min(days, age_days - 30)  # a baby's plan starts after the birth
    start = AS_AT - timedelta(days=days)
    values["cp_plan_start_date"] = values["icpc_date"] = start
    values["s47_start_date"] = start - timedelta(days=rng.randint(8, 15))
    values["referral_date"] = values["s47_start_date"] - timedelta(days=rng.randint(0, 10))
    values["category_of_abuse"] = rng.choices(list(CATEGORIES), weights=list(CATEGORIES.values()))[0]
    if status != "cp":
        values["cp_plan_end_date"] = min(AS_AT - timedelta(days=30), start + timedelta(days=rng.randint(90, 500)))


def _dates(values: dict, status: str, dob: date, rng: random.Random) -> None:
    age_days = (AS_AT - dob).days
    if status in ("cp",) or (status in ("closed", "looked_after") and rng.random() < 0.3):
        _plan(values, dob, status, rng)
    elif status == "care_leaver":  # came into care aged 11 to 16, referred a little before
        values["referral_date"] = dob + timedelta(days=rng.randint(11 * YEAR, 16 * YEAR))
    else:
        earliest = min(age_days - 20, 4 * YEAR)
        values["referral_date"] = AS_AT - timedelta(days=rng.randint(min(30, earliest), earliest))
    referral = values["referral_date"]
    values["assessment_start_date"] = referral + timedelta(days=rng.randint(0, 5))
    completed = referral + timedelta(days=rng.choice(ASSESSMENT_DAYS))
    values["assessment_completed_date"] = completed if completed <= AS_AT else None
    if status in ("looked_after", "care_leaver"):
        came_in = values.get("cp_plan_end_date") or referral + timedelta(days=rng.randint(20, 200))
        values["looked_after_start_date"] = min(came_in, AS_AT - timedelta(days=10))
        if "cp_plan_end_date" in values:
            values["cp_plan_end_date"] = values["looked_after_start_date"]  # the plan ends when the child comes in
    if status == "closed":
        values["closure_date"] = min(AS_AT - timedelta(days=5), referral + timedelta(days=rng.randint(120, 600)))
        if values.get("cp_plan_end_date"):
            values["cp_plan_end_date"] = min(values["cp_plan_end_date"], values["closure_date"])


def _record(number: int, status: str, worker: str, rng: random.Random) -> CaseRecord:
    team, locality = WORKER_TEAMS[worker]
    age_days = int(_age_years(status, rng) * YEAR)
    dob = AS_AT - timedelta(days=age_days)
    values: dict = dict(
        case_ref=f"NS{number:05d}",
        status=status,
        agency="Children's social care",
        locality=locality,
        team=team,
        worker=worker,
        date_of_birth=dob,
        gender=_gender(number, age_days, rng),
        previous_cp_plans=rng.choices([0, 1, 2], weights=[75, 20, 5])[0] if status == "cp" else 0,
    )
    _dates(values, status, dob, rng)
    seen_by = values.get("closure_date") or AS_AT
    values["last_seen_date"] = seen_by - timedelta(days=rng.randint(1, 40 if status == "cp" else 90))
    # Children under 2 are observed, not "seen alone"; older children mostly are seen alone.
    values["seen_alone"] = None if age_days < 2 * YEAR else rng.random() < 0.75
    return CaseRecord(**values)


def demo_population() -> list[CaseRecord]:
    """About 530 synthetic cases, the same every time: each worker's open cases, then a few they have closed."""
    rng = random.Random(SEED)
    planned: list[tuple[str, str]] = []
    for worker, (team, _) in WORKER_TEAMS.items():
        kind = team.split(" ", 1)[1]
        weights = TEAM_KINDS[kind][0]
        caseload = rng.randint(*CASELOAD)
        planned += [(rng.choices(list(weights), weights=list(weights.values()))[0], worker) for _ in range(caseload)]
        planned += [("closed", worker) for _ in range(rng.randint(*CLOSED_PER_WORKER))]
    rng.shuffle(planned)  # case references say nothing about the worker or the status
    return [_record(i + 1, status, worker, rng) for i, (status, worker) in enumerate(planned)]


def demo_population_source() -> Source:
    """The demo population as a generic CSV upload, so the demo goes through the real import path."""
    return Source("demo-population.csv", export_generic_csv(demo_population()).encode())
