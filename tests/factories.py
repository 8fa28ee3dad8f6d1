"""Small factories for test data, built with the domain layer so audit events are written as in real use."""

from __future__ import annotations

from types import SimpleNamespace

from auditapp.domain import org as org_domain
from auditapp.domain.users import create_user
from auditapp.models import AgencyKind, AuditorType, Role, User

PASSWORD = "correct-horse-battery-staple-42"


def make_org() -> SimpleNamespace:
    social = org_domain.save_agency(agency=None, name="Test Social Care", kind=AgencyKind.SOCIAL_CARE)
    health = org_domain.save_agency(agency=None, name="Test Health", kind=AgencyKind.HEALTH)
    north = org_domain.save_locality(locality=None, name="Test North")
    south = org_domain.save_locality(locality=None, name="Test South")
    cp_north = org_domain.save_team(team=None, name="CP North", agency_id=social.id, locality_id=north.id)
    cp_south = org_domain.save_team(team=None, name="CP South", agency_id=social.id, locality_id=south.id)
    hv_north = org_domain.save_team(team=None, name="HV North", agency_id=health.id, locality_id=north.id)
    return SimpleNamespace(
        social=social, health=health, north=north, south=south, cp_north=cp_north, cp_south=cp_south, hv_north=hv_north
    )


def make_user(key: str, role: Role, *, auditor_type: AuditorType | None = None, agency=None, team=None) -> User:
    return create_user(
        email=f"{key}@example.org",
        name=key.replace("_", " ").title(),
        role=role,
        password=PASSWORD,
        auditor_type=auditor_type,
        agency_id=agency.id if agency else None,
        team_id=team.id if team else None,
        must_change_password=False,
    )


def make_users(org: SimpleNamespace) -> dict[str, User]:
    return {
        "admin": make_user("admin", Role.ADMIN),
        "qa_coordinator": make_user("coordinator", Role.QA_COORDINATOR),
        "auditor": make_user("auditor", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.social),
        "peer": make_user("peer", Role.AUDITOR, auditor_type=AuditorType.PEER, agency=org.health, team=org.hv_north),
        "board_member": make_user("board", Role.BOARD_MEMBER),
        "action_owner": make_user("owner", Role.ACTION_OWNER, agency=org.health),  # issue 16
    }


def generic_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    """A generic-format CSV file from row dicts (columns default to every key used, in first-seen order)."""
    import csv
    import io

    columns = columns or list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def case_rows(count: int, *, start: int = 1, **overrides: str) -> list[dict[str, str]]:
    statuses = ["cin", "cp", "looked_after", "early_help", "closed", "care_leaver"]
    return [
        {
            "case_ref": f"T{start + i:05d}",
            "status": statuses[i % len(statuses)],
            "team": "CP North",
            "locality": "Test North",
            "worker": "Wendy Worker",
            "referral_date": "2024-01-15",
            "assessment_completed_date": "2024-02-20",
            **overrides,
        }
        for i in range(count)
    ]


def make_cases(count: int, **overrides: str) -> list:
    """Import ``count`` cases through the real import path and return them."""
    from sqlalchemy import select

    from auditapp.domain.case_import import apply_import, plan_import
    from auditapp.extensions import db
    from auditapp.importers import Source
    from auditapp.models import Case

    rows = case_rows(count, **overrides)
    apply_import(plan_import([Source("cases.csv", generic_csv(rows))], max_bytes=10**7))
    refs = [row["case_ref"] for row in rows]
    return list(db.session.scalars(select(Case).where(Case.case_ref.in_(refs)).order_by(Case.case_ref)))


def make_round(
    name: str = "Test round",
    *,
    cases: int = 8,
    size: int = 4,
    mode: str = "independent",
    assign: bool = True,
    **settings,
):
    """A round over freshly imported cases, drawn with a fixed seed and (optionally) assigned automatically."""
    from auditapp.domain.assignments import assign_automatically
    from auditapp.domain.rounds import RoundSettings, create_round
    from auditapp.domain.sampling import draw_sample

    if cases:
        make_cases(cases)
    audit_round = create_round(RoundSettings(name=name, mode=mode, sample_size=size, **settings), created_by_id=None)
    draw_sample(audit_round, seed="test-seed")
    if assign:
        assign_automatically(audit_round)
    return audit_round


def complete_answers(tool, proposals: dict | None = None, **overrides: str) -> dict[str, str]:
    """A full, valid set of answers for ``tool``: the proposals for computed questions, plain answers elsewhere."""
    answers: dict[str, str] = {}
    for question in tool.questions:
        proposal = (proposals or {}).get(question.id)
        if proposal is not None and proposal.answer:
            answers[question.id] = proposal.answer
        elif question.type in ("yes_no_na", "choice"):
            answers[question.id] = question.options[0][0]
        elif question.type == "grade":
            answers[question.id] = "good"
        elif question.type == "number":
            answers[question.id] = "1"
        elif question.type == "date":
            answers[question.id] = "2024-01-15"
        else:
            answers[question.id] = f"Notes for {question.id}"
    answers.update(overrides)
    from auditapp.tools import clean_answers

    return clean_answers(tool=tool, answers=answers)
