"""The demo partnership: synthetic agencies, localities, teams and one user of every role.

Idempotent: running it again creates only what is missing. Later capabilities extend ``load_demo`` so the demo
always shows every part of the service. Everything here is invented.
"""

from __future__ import annotations

from sqlalchemy import func, select

from auditapp.demo.facts import (
    AGENCIES,
    DEMO_DRAWN_AT,
    DEMO_PASSWORD,
    DEMO_ROUND,
    DOMAIN,
    LOCALITIES,
    SAFEGUARDING_LEADS,
    TEAM_PATTERNS,
    USERS,
    DemoSummary,
)
from auditapp.domain import org
from auditapp.domain.errors import DomainError
from auditapp.domain.users import create_user
from auditapp.extensions import db
from auditapp.models import Agency, AgencyKind, AuditRound, Locality, Role, SiteSetting, Team, User
from auditapp.models.types import clock_set_to
from auditapp.vocabulary import RoundMode


def _agency(name: str, kind: AgencyKind, summary: DemoSummary) -> Agency:
    found = db.session.scalar(select(Agency).where(Agency.name == name))
    if found:
        summary.existing += 1
        return found
    summary.created += 1
    return org.save_agency(agency=None, name=name, kind=kind)


def _locality(name: str, summary: DemoSummary) -> Locality:
    found = db.session.scalar(select(Locality).where(Locality.name == name))
    if found:
        summary.existing += 1
        return found
    summary.created += 1
    return org.save_locality(locality=None, name=name)


def _team(name: str, agency: Agency, locality: Locality, summary: DemoSummary) -> Team:
    found = db.session.scalar(select(Team).where(Team.name == name, Team.agency_id == agency.id))
    if found:
        summary.existing += 1
        return found
    summary.created += 1
    return org.save_team(team=None, name=name, agency_id=agency.id, locality_id=locality.id)


DEMO_MARK = "demo_database"


def _check_demo_database() -> None:
    """Refuse a database that holds accounts of its own; mark one with none (or only the demo's) as a demo.

    The demo creates 17 accounts, an admin among them, whose shared password is published in the README: they
    must never reach a database that real people use. Raises DomainError.
    """
    if db.session.get(SiteSetting, DEMO_MARK) is not None:
        return
    # A database made by the demo before it was marked holds demo accounts only: it is marked now.
    if db.session.scalar(select(User.id).where(~User.email.endswith(f"@{DOMAIN}")).limit(1)) is not None:
        raise DomainError(
            "This database already has users and is not a demo database, so the demo refuses to add "
            "its accounts to it (their password is published). Load the demo into a new database."
        )
    db.session.add(SiteSetting(key=DEMO_MARK, value="true"))
    db.session.flush()


def load_demo() -> DemoSummary:
    """Create whatever of the demo partnership is missing; return what was done and the sign-ins to print.

    Only into an empty database (which it marks as a demo) or one marked already. Raises DomainError otherwise.
    """
    _check_demo_database()
    summary = DemoSummary()
    agencies = [_agency(name, kind, summary) for name, kind in AGENCIES]
    localities = {name: _locality(name, summary) for name in LOCALITIES}
    teams: dict[tuple[str, int], Team] = {}
    for loc_name, locality in localities.items():
        for index, (pattern, agency_index) in enumerate(TEAM_PATTERNS):
            teams[(loc_name, index)] = _team(pattern.format(loc=loc_name), agencies[agency_index], locality, summary)
    for local, name, role, auditor_type, agency_index, team_key in USERS:
        email = f"{local}@{DOMAIN}"
        label = role.label + (f" ({auditor_type.label.lower()}, {agencies[agency_index].name})" if auditor_type else "")
        if role is Role.ACTION_OWNER:  # issue 16: whose actions they are
            label += f" ({name}, {agencies[agency_index].name})"
        summary.sign_ins.append((email, label))
        if db.session.scalar(select(User.id).where(User.email == email)):
            summary.existing += 1
            continue
        summary.created += 1
        create_user(
            email=email,
            name=name,
            role=role,
            password=DEMO_PASSWORD,
            auditor_type=auditor_type,
            agency_id=agencies[agency_index].id if agency_index is not None else None,
            team_id=teams[team_key].id if team_key else None,
            must_change_password=False,
        )
    _set_demo_team_managers(teams)
    _name_safeguarding_leads(agencies)
    _load_population(summary)
    _load_worker_mapping(summary)
    from auditapp.demo.audits import COMPLETED_ROUND, load_completed_round, load_in_progress_audits
    from auditapp.demo.earlier import load_earlier_round
    from auditapp.demo.findings import load_demo_findings

    # In the order they happened, so each draw leaves out the cases the rounds before it sampled.
    load_earlier_round(summary)  # autumn 2025, published (its dates are its own)
    load_completed_round(summary)  # spring 2026: audited, moderated blind
    _draw_demo_round(summary, agencies)  # autumn 2026, under way
    load_in_progress_audits(summary)
    load_demo_findings(summary, COMPLETED_ROUND)  # the spring round's findings, action plan and published report
    from auditapp.demo.people import load_people_around_the_child

    load_people_around_the_child(summary)  # the completed round's conversations, panels and feedback letters
    from auditapp.demo.learning import load_learning_loop

    load_learning_loop(summary)  # priorities, review learning, success measures, a re-audit round
    from auditapp.demo.programme import load_programme

    load_programme(summary)  # issue 17: quality leads, two years of the audit schedule, single-agency returns
    return summary


def _draw_demo_round(summary: DemoSummary, agencies: list[Agency]) -> None:
    """A multi-agency round over children on plans, drawn witnessed (hashrank-v2) and assigned automatically."""
    from auditapp.domain.assignments import assign_automatically

    if db.session.scalar(select(AuditRound.id).where(AuditRound.name == DEMO_ROUND)):
        summary.existing += 1
        return
    with clock_set_to(lambda: DEMO_DRAWN_AT[DEMO_ROUND]):  # created and drawn then (facts.DEMO_DRAWN_AT)
        audit_round = _create_and_draw_demo_round(agencies)
    assign_automatically(audit_round)
    summary.created += 1


def _create_and_draw_demo_round(agencies: list[Agency]) -> AuditRound:
    from auditapp.demo.audits import _as, witnessed_draw
    from auditapp.demo.earlier import _coordinator
    from auditapp.domain.rounds import RoundSettings, create_round

    audit_round = create_round(
        RoundSettings(
            name=DEMO_ROUND,
            theme="Neglect",
            mode=RoundMode.MULTI_AGENCY,
            statuses=["cp"],
            sample_size=12,
            stratify_by="locality",
            min_per_stratum=True,
            # children on plans: social care, health visiting and school nursing, police and schools (4 a child)
            agencies=[agencies[0].name, agencies[1].name, agencies[2].name, agencies[3].name],
            lead_agency=agencies[0].name,
            named_exclusions=[("NS00213", "Subject of a child safeguarding practice review")],
        ),
        created_by_id=None,
    )
    with _as(_coordinator()):  # the coordinator freezes the population; the scrutineer witnesses the draw
        witnessed_draw(audit_round)
    return audit_round


def _load_population(summary: DemoSummary) -> None:
    """Import the synthetic population through the real import path (a re-run finds every case unchanged)."""
    from auditapp.demo.cases import demo_population_source
    from auditapp.domain.case_import import apply_import, plan_import

    plan = plan_import([demo_population_source()], max_bytes=10 * 1024 * 1024)
    if plan.new or plan.updated:
        apply_import(plan)
    summary.created += len(plan.new) + len(plan.updated)
    summary.existing += plan.unchanged


def _load_worker_mapping(summary: DemoSummary) -> None:
    """The coordinator's worker-to-team mapping, as the partnership would keep it: each worker's team and each team's
    locality. The demo's own cases name their team already (so it changes none of them); it places the children of a
    statutory return (Annex A, CIN census) whose team is left blank."""
    from auditapp.demo.cases import WORKER_TEAMS
    from auditapp.domain.case_mapping import replace_mapping
    from auditapp.importers.mapping import MappingRow
    from auditapp.models.case import PopulationMapping

    if found := db.session.scalar(select(func.count(PopulationMapping.id))):
        summary.existing += found
        return
    rows = [MappingRow(worker, team, locality) for worker, (team, locality) in WORKER_TEAMS.items()]
    rows += [MappingRow(None, team, locality) for team, locality in sorted(set(WORKER_TEAMS.values()))]
    replace_mapping(rows, file_name="demo-worker-team-mapping.csv")
    summary.created += len(rows)


def _name_safeguarding_leads(agencies: list[Agency]) -> None:
    """Name each agency's safeguarding lead (issue 16), unless it has one already."""
    for index, local in SAFEGUARDING_LEADS.items():
        agency = agencies[index]
        lead = db.session.scalar(select(User).where(User.email == f"{local}@{DOMAIN}"))
        if lead is not None and agency.safeguarding_lead_id is None:
            org.save_agency(
                agency=agency,
                name=agency.name,
                kind=agency.kind,
                active=agency.active,
                safeguarding_lead_id=lead.id,
                password_sign_in=agency.password_sign_in,
            )


def _set_demo_team_managers(teams: dict[tuple[str, int], Team]) -> None:
    """Make the North child protection peer the manager of their own team (a conflict-of-interest example)."""
    manager = db.session.scalar(select(User).where(User.email == f"peer.socialcare@{DOMAIN}"))
    team = teams[("North", 1)]
    if manager is not None and team.manager_id is None:
        org.save_team(
            team=team,
            name=team.name,
            agency_id=team.agency_id,
            locality_id=team.locality_id,
            manager_id=manager.id,
            active=team.active,
        )
