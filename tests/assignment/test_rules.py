"""Conflict-of-interest rules: each one named, explained, and applied only where it should be."""

from __future__ import annotations

from dataclasses import replace

from auditapp.assignment.rules import (
    RULES,
    RULES_BY_CODE,
    AuditorInfo,
    AuditorType,
    CaseInfo,
    RoundOptions,
    Slot,
    check,
)

CASE = CaseInfo(
    case_ref="C001",
    team="Assessment Team 1",
    team_manager="Mo Manager",
    locality="North",
    allocated_worker="Sam Worker",
    agencies_involved=frozenset({"Children's Services", "Health"}),
)
PEER = AuditorInfo(
    id=1,
    name="Pat Peer",
    email="pat.peer@example.gov.uk",
    agency="Children's Services",
    auditor_type=AuditorType.PEER,
    team="Family Support South",
    locality="South",
)
INDEPENDENT = AuditorInfo(
    id=2,
    name="Ida Independent",
    email="ida@example.org",
    agency=None,
    auditor_type=AuditorType.INDEPENDENT,
    team="Assessment Team 1",
    locality="North",
)
PEER_SLOT = Slot("C001", "Children's Services", AuditorType.PEER)
INDEPENDENT_SLOT = Slot("C001", None, AuditorType.INDEPENDENT)
NO_OPTIONS = RoundOptions()


def _codes(
    auditor: AuditorInfo,
    *,
    slot: Slot = PEER_SLOT,
    options: RoundOptions = NO_OPTIONS,
    load: int = 0,
    case: CaseInfo = CASE,
    on_case: frozenset[int] = frozenset(),
) -> list[str]:
    return [
        b.code for b in check(case, auditor, slot=slot, options=options, current_load=load, already_on_case=on_case)
    ]


def test_every_rule_has_a_stable_code_a_title_and_an_explanation() -> None:
    assert len(RULES_BY_CODE) == len(RULES) == 9
    for rule in RULES:
        assert rule.code.isupper() and rule.title and rule.explanation.endswith(".")


def test_a_peer_with_no_conflict_may_audit_the_case() -> None:
    assert check(CASE, PEER, slot=PEER_SLOT, options=NO_OPTIONS, current_load=0) == []


def test_nobody_audits_a_case_they_are_the_allocated_worker_for() -> None:
    worker = replace(PEER, name="Sam Worker")
    assert _codes(worker) == ["ALLOCATED_WORKER"]
    independent_worker = replace(INDEPENDENT, name="Sam Worker")
    assert _codes(independent_worker, slot=INDEPENDENT_SLOT) == ["ALLOCATED_WORKER"]


def test_the_allocated_worker_is_matched_by_email_and_ignoring_case_and_spaces() -> None:
    case = replace(CASE, allocated_worker="  PAT.PEER@example.gov.uk ")
    assert _codes(PEER, case=case) == ["ALLOCATED_WORKER"]
    case = replace(CASE, allocated_worker="pat   peer")
    assert _codes(PEER, case=case) == ["ALLOCATED_WORKER"]


def test_a_peer_never_audits_a_case_held_by_their_own_team() -> None:
    same_team = replace(PEER, team="assessment team 1")
    breaches = check(CASE, same_team, slot=PEER_SLOT, options=NO_OPTIONS, current_load=0)
    assert [b.code for b in breaches] == ["PEER_SAME_TEAM"]
    assert "Assessment Team 1" in breaches[0].detail


def test_an_independent_auditor_from_the_same_team_name_is_not_a_peer_conflict() -> None:
    assert _codes(INDEPENDENT, slot=INDEPENDENT_SLOT) == []


def test_a_peer_never_audits_a_case_held_by_a_team_they_manage() -> None:
    manager = replace(PEER, manages_teams=frozenset({"Assessment Team 1"}))
    assert _codes(manager) == ["PEER_TEAM_MANAGER"]
    named_manager = replace(PEER, name="Mo Manager")
    assert _codes(named_manager) == ["PEER_TEAM_MANAGER"]


def test_a_peer_from_the_case_locality_is_refused_only_when_the_round_asks() -> None:
    local = replace(PEER, locality="north")
    assert _codes(local) == []
    assert _codes(local, options=RoundOptions(peers_not_from_case_locality=True)) == ["PEER_SAME_LOCALITY"]
    assert _codes(INDEPENDENT, slot=INDEPENDENT_SLOT, options=RoundOptions(peers_not_from_case_locality=True)) == []


def test_an_inactive_auditor_cannot_be_given_a_case() -> None:
    assert _codes(replace(PEER, active=False)) == ["INACTIVE"]


def test_the_auditor_must_be_from_the_agency_of_the_place() -> None:
    health_slot = Slot("C001", "Health", AuditorType.PEER)
    breaches = check(CASE, PEER, slot=health_slot, options=NO_OPTIONS, current_load=0)
    assert [b.code for b in breaches] == ["WRONG_AGENCY"]
    assert "for an auditor from Health" in breaches[0].detail


def test_the_auditor_must_be_the_kind_the_place_needs() -> None:
    assert _codes(PEER, slot=INDEPENDENT_SLOT) == ["WRONG_AUDITOR_TYPE"]
    assert _codes(INDEPENDENT, slot=Slot("C001", None, AuditorType.PEER)) == ["WRONG_AUDITOR_TYPE"]
    assert _codes(INDEPENDENT, slot=Slot("C001", None, None)) == []


def test_the_round_load_limit_counts_cases_already_held() -> None:
    limited = RoundOptions(max_load=3)
    assert _codes(PEER, options=limited, load=2) == []
    assert _codes(PEER, options=limited, load=3) == ["LOAD_LIMIT"]
    assert _codes(PEER, load=50) == []


def test_one_auditor_fills_one_place_on_a_case() -> None:
    assert _codes(PEER, on_case=frozenset({1})) == ["ALREADY_ON_CASE"]


def test_every_broken_rule_is_listed_in_rule_order() -> None:
    everything = replace(
        PEER,
        name="Sam Worker",
        team="Assessment Team 1",
        manages_teams=frozenset({"Assessment Team 1"}),
        locality="North",
        active=False,
        agency="Police",
    )
    codes = _codes(
        everything, options=RoundOptions(peers_not_from_case_locality=True, max_load=1), load=1, on_case=frozenset({1})
    )
    assert codes == [rule.code for rule in RULES if rule.code != "WRONG_AUDITOR_TYPE"]
