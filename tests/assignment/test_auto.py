"""Automatic assignment: never breaks a rule, balances load, same plan for the same round, says what it could not do."""

from __future__ import annotations

import random
from collections import Counter
from itertools import product

import pytest

from auditapp.assignment.auto import (
    AssignmentPlan,
    PlannedAssignment,
    auto_assign,
    slots_for,
)
from auditapp.assignment.rules import AuditorInfo, AuditorType, CaseInfo, RoundOptions, Slot, check
from auditapp.vocabulary import RoundMode

CS, HEALTH, POLICE = "Children's Services", "Health", "Police"


def _case(ref: str, team: str = "Team A", agencies: tuple[str, ...] = (CS,), **extra: str) -> CaseInfo:
    return CaseInfo(case_ref=ref, team=team, agencies_involved=frozenset(agencies), **extra)


def _auditor(
    number: int, kind: AuditorType = AuditorType.INDEPENDENT, agency: str | None = None, **extra: object
) -> AuditorInfo:
    return AuditorInfo(
        id=number,
        name=f"Auditor {number}",
        email=f"a{number}@example.org",
        agency=agency,
        auditor_type=kind,
        **extra,  # type: ignore[arg-type]
    )


def _peer(number: int, agency: str, team: str, **extra: object) -> AuditorInfo:
    return _auditor(number, AuditorType.PEER, agency, team=team, **extra)


def _assert_no_rule_broken(
    plan: AssignmentPlan, cases: list[CaseInfo], auditors: list[AuditorInfo], mode: RoundMode, options: RoundOptions
) -> None:
    by_ref = {case.case_ref: case for case in cases}
    by_id = {auditor.id: auditor for auditor in auditors}
    load: Counter[int] = Counter()
    on_case: dict[str, set[int]] = {}
    for assignment in plan.assignments:
        case = by_ref[assignment.case_ref]
        slot = next(s for s in slots_for(case, mode, options) if s.agency == assignment.agency)
        breaches = check(
            case,
            by_id[assignment.auditor_id],
            slot=slot,
            options=options,
            current_load=load[assignment.auditor_id],
            already_on_case=frozenset(on_case.get(case.case_ref, set())),
        )
        assert breaches == [], breaches
        load[assignment.auditor_id] += 1
        on_case.setdefault(case.case_ref, set()).add(assignment.auditor_id)
    assert {k: v for k, v in plan.loads.items() if v} == dict(load)


def test_independent_mode_gives_each_case_one_independent_auditor_and_spreads_the_load() -> None:
    cases = [_case(f"C{n}") for n in range(1, 7)]
    auditors = [_auditor(1), _auditor(2), _auditor(3), _peer(4, CS, "Team B")]
    plan = auto_assign(cases, auditors, mode=RoundMode.INDEPENDENT)
    assert [a.case_ref for a in plan.assignments] == [f"C{n}" for n in range(1, 7)]
    assert plan.loads == {1: 2, 2: 2, 3: 2, 4: 0}
    assert plan.unfilled == ()
    _assert_no_rule_broken(plan, cases, auditors, RoundMode.INDEPENDENT, RoundOptions())


def test_balancing_moves_cases_to_free_an_auditor_only_some_cases_can_have() -> None:
    # Auditor 1 can take every case; auditor 2 is the allocated worker on C2 and C3. Filling in order and
    # choosing the lowest id would give auditor 1 all three; the balanced plan gives auditor 2 case C1.
    cases = [_case("C1"), _case("C2", allocated_worker="Auditor 2"), _case("C3", allocated_worker="Auditor 2")]
    plan = auto_assign(cases, [_auditor(1), _auditor(2)], mode=RoundMode.INDEPENDENT)
    assert plan.max_load == 2
    assert {(a.case_ref, a.auditor_id) for a in plan.assignments} == {("C1", 2), ("C2", 1), ("C3", 1)}


def test_peer_mode_gives_a_peer_from_each_agency_involved_and_none_from_the_case_team() -> None:
    cases = [_case("C1", "Team A", (CS, HEALTH)), _case("C2", "Team B", (CS,)), _case("C3", "Team A", (HEALTH, CS))]
    auditors = [_peer(1, CS, "Team A"), _peer(2, CS, "Team B"), _peer(3, HEALTH, "Health Visiting"), _auditor(4)]
    options = RoundOptions()
    plan = auto_assign(cases, auditors, mode=RoundMode.PEER, options=options)
    assert sorted((a.case_ref, a.agency, a.auditor_id) for a in plan.assignments) == [
        ("C1", CS, 2),
        ("C1", HEALTH, 3),
        ("C2", CS, 1),
        ("C3", CS, 2),
        ("C3", HEALTH, 3),
    ]
    _assert_no_rule_broken(plan, cases, auditors, RoundMode.PEER, options)


def test_multi_agency_mode_fills_each_chosen_agency_and_names_one_lead_per_case() -> None:
    cases = [_case("C1"), _case("C2")]
    auditors = [_peer(1, CS, "Team X"), _peer(2, HEALTH, "HV"), _peer(3, POLICE, "MASH"), _peer(4, POLICE, "CID")]
    options = RoundOptions(agencies=(POLICE, CS, HEALTH), lead_agency=HEALTH)
    plan = auto_assign(cases, auditors, mode=RoundMode.MULTI_AGENCY, options=options)
    assert len(plan.assignments) == 6 and plan.unfilled == ()
    leads = [a for a in plan.assignments if a.lead]
    assert [(a.case_ref, a.agency) for a in leads] == [("C1", HEALTH), ("C2", HEALTH)]
    assert plan.loads == {1: 2, 2: 2, 3: 1, 4: 1}
    _assert_no_rule_broken(plan, cases, auditors, RoundMode.MULTI_AGENCY, options)


def test_multi_agency_lead_passes_to_another_agency_when_the_lead_place_is_unfilled() -> None:
    options = RoundOptions(agencies=(CS, POLICE), lead_agency=POLICE)
    plan = auto_assign([_case("C1")], [_peer(1, CS, "Team X")], mode=RoundMode.MULTI_AGENCY, options=options)
    assert plan.assignments == (PlannedAssignment("C1", 1, CS, lead=True),)
    assert [(u.case_ref, u.agency) for u in plan.unfilled] == [("C1", POLICE)]


def test_a_multi_agency_round_needs_its_agencies() -> None:
    with pytest.raises(ValueError, match="agencies"):
        auto_assign([_case("C1")], [_auditor(1)], mode=RoundMode.MULTI_AGENCY)


def test_the_same_round_gives_the_same_plan_whatever_the_order_of_the_rows() -> None:
    rng = random.Random(3)
    cases = [_case(f"C{n:02d}", f"Team {n % 3}", (CS, HEALTH) if n % 2 else (CS,)) for n in range(12)]
    auditors = [_peer(n, (CS, HEALTH)[n % 2], f"Team {n % 4}") for n in range(1, 9)]
    options = RoundOptions(max_load=3)
    first = auto_assign(cases, auditors, mode=RoundMode.PEER, options=options)
    for _ in range(5):
        rng.shuffle(cases)
        rng.shuffle(auditors)
        assert auto_assign(cases, auditors, mode=RoundMode.PEER, options=options) == first


def test_a_place_nobody_of_the_right_agency_can_take_is_reported() -> None:
    plan = auto_assign([_case("C1", agencies=(POLICE,))], [_peer(1, CS, "Team B")], mode=RoundMode.PEER)
    assert plan.assignments == ()
    (unfilled,) = plan.unfilled
    assert (unfilled.case_ref, unfilled.agency) == ("C1", POLICE)
    assert unfilled.reason == "There is no peer auditor from Police."
    assert unfilled.breach_counts == {"WRONG_AGENCY": 1}


def test_a_place_every_candidate_has_a_conflict_on_is_reported_with_the_rules() -> None:
    auditors = [
        _peer(1, CS, "Team A"),
        _peer(2, CS, "Team B", manages_teams=frozenset({"Team A"})),
        _peer(3, CS, "Team C", active=False),
    ]
    plan = auto_assign([_case("C1", "Team A")], auditors, mode=RoundMode.PEER)
    (unfilled,) = plan.unfilled
    assert unfilled.reason.startswith("Every active peer auditor from Children's Services has a conflict of interest")
    assert "Auditor 1: Peer from the case's team" in unfilled.reason
    assert "Auditor 2: Peer manages the case's team" in unfilled.reason
    assert unfilled.breach_counts == {"INACTIVE": 1, "PEER_SAME_TEAM": 1, "PEER_TEAM_MANAGER": 1}


def test_places_beyond_the_load_limit_are_reported_not_overloaded() -> None:
    cases = [_case(f"C{n}") for n in range(1, 6)]
    plan = auto_assign(cases, [_auditor(1), _auditor(2)], mode=RoundMode.INDEPENDENT, options=RoundOptions(max_load=2))
    assert plan.loads == {1: 2, 2: 2}
    (unfilled,) = plan.unfilled
    assert unfilled.case_ref == "C5"
    assert "already has the round's limit of 2 cases" in unfilled.reason
    assert unfilled.breach_counts == {"LOAD_LIMIT": 2}


def test_a_peer_round_case_with_no_agencies_is_reported() -> None:
    plan = auto_assign([_case("C1", agencies=())], [_peer(1, CS, "Team B")], mode=RoundMode.PEER)
    assert "No agencies are recorded" in plan.unfilled[0].reason


def test_existing_assignments_keep_their_places_and_count_towards_load() -> None:
    cases = [_case(f"C{n}") for n in range(1, 5)]
    existing = [PlannedAssignment("C1", 1, None), PlannedAssignment("C2", 1, None)]
    plan = auto_assign(cases, [_auditor(1), _auditor(2)], mode=RoundMode.INDEPENDENT, existing=existing)
    assert {(a.case_ref, a.auditor_id) for a in plan.assignments} == {("C3", 2), ("C4", 2)}
    assert plan.loads == {1: 2, 2: 2}


def test_repeated_auditor_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="auditor id"):
        auto_assign([_case("C1")], [_auditor(1), _auditor(1)], mode=RoundMode.INDEPENDENT)


def _best_possible(
    places: list[tuple[CaseInfo, Slot]], auditors: list[AuditorInfo], options: RoundOptions
) -> tuple[int, int]:
    """Exhaustive search: the most places that can be filled, and the lowest maximum load that achieves it."""
    choices = [
        [None] + [a.id for a in auditors if not check(case, a, slot=slot, options=options, current_load=0)]
        for case, slot in places
    ]
    best = (0, 0)
    for combo in product(*choices):
        loads = Counter(auditor_id for auditor_id in combo if auditor_id is not None)
        if options.max_load is not None and any(count > options.max_load for count in loads.values()):
            continue
        score = (sum(loads.values()), -max(loads.values(), default=0))
        best = max(best, score)
    return best[0], -best[1]


def test_automatic_assignment_fills_the_most_places_with_the_lowest_maximum_load() -> None:
    rng = random.Random(11)
    for _ in range(150):
        auditors = [
            _peer(n, rng.choice((CS, HEALTH)), rng.choice(("T1", "T2", "T3")), active=rng.random() > 0.1)
            for n in range(1, rng.randint(2, 5))
        ]
        cases = [
            _case(
                f"C{n}",
                rng.choice(("T1", "T2", "T3")),
                tuple(rng.sample((CS, HEALTH), rng.randint(1, 2))),
                allocated_worker=rng.choice(("Auditor 1", "Auditor 2", "")),
            )
            for n in range(rng.randint(1, 4))
        ]
        options = RoundOptions(max_load=rng.choice((None, 1, 2)))
        places = [(case, slot) for case in cases for slot in slots_for(case, RoundMode.PEER, options)]
        if len(places) > 7:
            continue
        plan = auto_assign(cases, auditors, mode=RoundMode.PEER, options=options)
        assert (len(plan.assignments), plan.max_load) == _best_possible(places, auditors, options)
        assert len(plan.assignments) + len(plan.unfilled) == len(places)
        _assert_no_rule_broken(plan, cases, auditors, RoundMode.PEER, options)
