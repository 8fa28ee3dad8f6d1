"""Automatic assignment shown first as a proposal (issue 13): each auditor's load before and after, the rules
applied, a per-auditor load limit (the round's, else AUDITOR_MAX_LOAD) that is never broken, a plain warning naming
the agency that is short of auditors, and nothing applied until the coordinator confirms the same proposal."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from auditapp.assignment.auto import LoadShortfall, PlannedAssignment, auto_assign, load_shortfalls
from auditapp.assignment.rules import AuditorInfo, CaseInfo, RoundOptions
from auditapp.domain.assignments import assign_automatically, loads, propose_automatic
from auditapp.domain.context import ActorContext, acting_as
from auditapp.extensions import db
from auditapp.models import AgencyKind, Assignment, AuditorType, AuditRound, Role, SampledCase
from auditapp.vocabulary import RoundMode
from tests.conftest import post_form, soup
from tests.factories import make_round, make_user
from tests.test_people import events

# Automatic assignment: a proposal first ---------------------------------------------------------------------------


@pytest.fixture
def police_round(actor, org, users):
    from auditapp.domain import org as org_domain

    police = org_domain.save_agency(agency=None, name="Test Police", kind=AgencyKind.POLICE)
    ppu = org_domain.save_team(team=None, name="Test PPU", agency_id=police.id, locality_id=org.south.id)
    officer = make_user("only_officer", Role.AUDITOR, auditor_type=AuditorType.PEER, agency=police, team=ppu)
    audit_round = make_round(
        cases=12,
        size=10,
        mode="multi-agency",
        agencies=[police.name, org.social.name],
        lead_agency=police.name,
        assign=False,
    )
    return SimpleNamespace(round=audit_round, officer=officer, police=police, ppu=ppu)


def _assignments(audit_round) -> int:
    return db.session.scalar(
        select(db.func.count(Assignment.id)).join(SampledCase).where(SampledCase.round_id == audit_round.id)
    )


def test_the_preview_shows_loads_and_the_shortfall_and_applies_nothing(client_for, police_round, users):
    client = client_for("qa_coordinator")
    page = client.get(f"/rounds/{police_round.round.id}/assign/auto")
    assert page.status_code == 200
    html = soup(page)
    text = html.get_text(" ", strip=True)
    assert "Test Police has only 1 auditor free of conflicts" in text
    assert "Add auditors from Test Police" in text and "6 places for Test Police" in text
    assert "No auditor is given more than 4 cases in this round (the standard limit" in text
    row = next(r for r in html.select("tbody tr") if "Only Officer" in r.get_text())
    assert [c.get_text(strip=True) for c in row.select("td")][:1] == ["0"] and "4" in row.get_text()
    assert _assignments(police_round.round) == 0  # a preview applies nothing
    assert events("assignment_proposal_viewed")

    confirm = post_form(
        client,
        f"/rounds/{police_round.round.id}/assign",
        {"proposal": html.select_one("input[name=proposal]")["value"]},
        token_from=f"/rounds/{police_round.round.id}/assign/auto",
    )
    assert confirm.status_code == 302
    assert _assignments(police_round.round) == 8  # only what fits: nobody is overloaded
    assert loads(db.session.get(AuditRound, police_round.round.id)) == {
        police_round.officer.id: 4,
        users["auditor"].id: 4,
    }


def test_confirming_a_proposal_that_has_changed_applies_nothing(client_for, police_round, org):
    client = client_for("qa_coordinator")
    preview = f"/rounds/{police_round.round.id}/assign/auto"
    fingerprint = soup(client.get(preview)).select_one("input[name=proposal]")["value"]
    # Another police auditor joins before the coordinator confirms: the proposal is no longer the one seen.
    with acting_as(ActorContext(email="admin@example.org", role="admin")):
        make_user(
            "new_officer",
            Role.AUDITOR,
            auditor_type=AuditorType.PEER,
            agency=police_round.police,
            team=police_round.ppu,
        )
    response = post_form(
        client, f"/rounds/{police_round.round.id}/assign", {"proposal": fingerprint}, token_from=preview
    )
    assert response.status_code == 409
    assert "The proposal has changed since you saw it" in soup(response).get_text()
    assert _assignments(police_round.round) == 0
    fresh = soup(response).select_one("input[name=proposal]")["value"]
    assert fresh != fingerprint
    assert (
        post_form(
            client, f"/rounds/{police_round.round.id}/assign", {"proposal": fresh}, token_from=preview
        ).status_code
        == 302
    )
    assert _assignments(police_round.round) == 12


@pytest.mark.parametrize("proposal", ["", "x" * 65, "<script>", "ünïcødé"])
def test_confirming_without_the_proposal_seen_applies_nothing(client_for, police_round, proposal):
    client = client_for("qa_coordinator")
    preview = f"/rounds/{police_round.round.id}/assign/auto"
    response = post_form(client, f"/rounds/{police_round.round.id}/assign", {"proposal": proposal}, token_from=preview)
    assert response.status_code in (400, 409)
    assert _assignments(police_round.round) == 0


def test_the_rounds_own_limit_is_used_when_it_has_one(actor, police_round):
    police_round.round.max_load = 2
    proposal = propose_automatic(police_round.round, default_max_load=4)
    assert proposal.limit == 2 and proposal.limit_is_the_rounds
    assert len(proposal.places) == 4 and proposal.shortfalls[0].unfilled == 8
    assert proposal.shortfalls[0].agency == "Test Police"
    assert _assignments(police_round.round) == 0


def test_automatic_assignment_never_overloads_and_keeps_to_no_limit_when_there_is_none(actor, police_round):
    plan = assign_automatically(police_round.round, default_max_load=4)
    assert plan.max_load == 4 and len(plan.unfilled) == 12
    assert all("limit of 4" in u.reason for u in plan.unfilled)
    again = assign_automatically(police_round.round, default_max_load=None)  # no limit: the rest is filled
    assert len(again.assignments) == 12 and loads(police_round.round)[police_round.officer.id] == 10


def test_the_round_page_offers_the_preview_not_a_one_click_assignment(client_for, police_round):
    page = soup(client_for("qa_coordinator").get(f"/rounds/{police_round.round.id}"))
    link = page.find("a", string="Assign auditors automatically")
    assert link and link["href"].endswith(f"/rounds/{police_round.round.id}/assign/auto")


def test_the_cli_keeps_to_the_load_limit_and_says_which_agency_is_short(app, police_round):
    result = app.test_cli_runner().invoke(args=["assign", "auto", str(police_round.round.id)])
    assert result.exit_code == 0, result.output
    assert "8 places filled; most cases for one auditor: 4" in result.output
    assert "Test Police has only 1 auditor free of conflicts" in result.output


def test_the_planner_never_plans_a_barred_pair_and_says_which_agency_is_short():
    cases = [CaseInfo(f"C{i}") for i in range(3)]
    people = [AuditorInfo(1, "Pat", "pat@example.org", "Police", AuditorType.PEER)]
    options = RoundOptions(max_load=1, agencies=("Police",))
    plan = auto_assign(cases, people, mode=RoundMode.MULTI_AGENCY, options=options, barred=[("C0", 1)])
    assert [p.case_ref for p in plan.assignments] == ["C1"]
    shortfalls = load_shortfalls(plan, 1)
    assert shortfalls == [LoadShortfall("Police", None, 1, 1, 1)]
    assert "Police has only 1 auditor" in shortfalls[0].message and "Add auditors from Police" in shortfalls[0].message
    kept = auto_assign(
        cases, people, mode=RoundMode.MULTI_AGENCY, options=options, existing=[PlannedAssignment("C2", 1, "Police")]
    )
    assert kept.assignments == () and load_shortfalls(kept, None) == []
