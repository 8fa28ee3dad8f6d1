"""The demo's population is one a practitioner would believe, and the demo's auditors can answer any tool.

Checked on ``demo_population()`` directly (no database), so these run in well under a second.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from auditapp.demo.cases import AS_AT, WORKER_TEAMS, demo_population
from auditapp.demo.facts import AGENCIES, LOCALITIES, TEAM_PATTERNS, USERS
from auditapp.importers import CaseRecord
from auditapp.models import AgencyKind
from auditapp.tools import load_tool, validate_all, visible_questions

POPULATION = demo_population()
OPEN = [r for r in POPULATION if r.status != "closed"]


def _age(record: CaseRecord) -> float:
    assert record.date_of_birth is not None
    return (AS_AT - record.date_of_birth).days / 365.25


def test_the_population_is_about_five_hundred_children_and_the_same_every_time() -> None:
    assert 480 <= len(POPULATION) <= 600
    assert demo_population() == POPULATION
    assert len({r.case_ref for r in POPULATION}) == len(POPULATION)


def test_few_open_child_protection_plans_have_lasted_two_years() -> None:
    plans = [r for r in POPULATION if r.status == "cp"]
    assert all(r.cp_plan_start_date and not r.cp_plan_end_date for r in plans)
    long = [r for r in plans if r.cp_plan_start_date and AS_AT - r.cp_plan_start_date >= timedelta(days=730)]
    assert 0.05 <= len(long) / len(plans) < 0.20  # the Haringey review called 19% serious; aim 10-15%


def test_each_worker_holds_16_to_25_open_cases() -> None:
    loads = Counter(r.worker for r in OPEN)
    assert None not in loads
    assert all(16 <= n <= 25 for n in loads.values()), loads


def test_every_worker_is_in_one_team_and_every_team_in_one_locality() -> None:
    teams: dict[str | None, set[tuple[str | None, str | None]]] = {}
    for r in POPULATION:
        teams.setdefault(r.worker, set()).add((r.team, r.locality))
    assert all(len(places) == 1 for places in teams.values())
    assert {w: next(iter(p)) for w, p in teams.items()} == WORKER_TEAMS  # the mapping the population agrees with
    localities: dict[str | None, set[str | None]] = {}
    for r in POPULATION:
        localities.setdefault(r.team, set()).add(r.locality)
    assert all(len(places) == 1 for places in localities.values())
    # the teams are the demo partnership's own, so the import links each case to its team and locality
    demo_teams = {pattern.format(loc=loc) for pattern, _ in TEAM_PATTERNS for loc in LOCALITIES}
    assert {r.team for r in POPULATION} <= demo_teams
    assert {r.locality for r in POPULATION} == set(LOCALITIES)


def test_ages_fit_the_status() -> None:
    leavers = [_age(r) for r in POPULATION if r.status == "care_leaver"]
    looked_after = [_age(r) for r in POPULATION if r.status == "looked_after"]
    plans = [_age(r) for r in POPULATION if r.status == "cp"]
    assert leavers and all(16 <= a < 26 for a in leavers)
    assert looked_after and all(0 <= a < 18 for a in looked_after)
    assert all(0 <= a < 18 for a in plans)
    assert sum(a < 10 for a in plans) / len(plans) > 0.6  # plans are mostly for younger children
    assert all(r.date_of_birth and r.referral_date and r.referral_date >= r.date_of_birth for r in POPULATION)


def test_children_under_two_are_observed_not_seen_alone() -> None:
    babies = [r for r in POPULATION if r.date_of_birth and (AS_AT - r.date_of_birth).days < 2 * 365]
    assert babies and all(not r.seen_alone for r in babies)
    older = [r for r in OPEN if r not in babies]
    assert 0.5 < sum(bool(r.seen_alone) for r in older) / len(older) < 0.95


def test_gender_is_about_half_and_half_and_unknown_only_for_babies() -> None:
    genders = Counter(r.gender for r in POPULATION)
    for gender in ("male", "female"):
        assert 0.46 <= genders[gender] / len(POPULATION) <= 0.52, genders
    assert 0.005 <= genders["unknown"] / len(POPULATION) <= 0.025, genders
    assert all(_age(r) < 1 for r in POPULATION if r.gender == "unknown")


def test_neglect_and_emotional_abuse_are_the_commonest_categories() -> None:
    categories = Counter(r.category_of_abuse for r in POPULATION if r.status == "cp")
    total = sum(categories.values())
    assert [c for c, _ in categories.most_common(2)] == ["neglect", "emotional"]
    assert 0.40 <= categories["neglect"] / total <= 0.60
    assert 0.25 <= categories["emotional"] / total <= 0.45
    assert categories["physical"] / total < 0.15 and categories["sexual"] / total < 0.10


def test_the_dates_are_in_order_and_not_after_the_as_at_date() -> None:
    for r in POPULATION:
        dates = [d for d in r if isinstance(d, date)]
        assert all(d <= AS_AT for d in dates), r.case_ref
        if r.s47_start_date:
            assert r.referral_date and r.referral_date <= r.s47_start_date <= (r.icpc_date or AS_AT)
        if r.cp_plan_end_date:
            assert r.cp_plan_start_date and r.cp_plan_start_date <= r.cp_plan_end_date
        if r.closure_date:
            assert r.referral_date and r.referral_date <= r.closure_date
            assert r.last_seen_date and r.last_seen_date <= r.closure_date


def test_the_partnership_has_the_agencies_a_practitioner_expects_with_peer_auditors() -> None:
    kinds = Counter(kind for _, kind in AGENCIES)
    assert kinds[AgencyKind.HEALTH] == 3 and kinds[AgencyKind.PROBATION] == kinds[AgencyKind.HOUSING] == 1
    names = [name for name, _ in AGENCIES]
    assert "Northshire Integrated Care Board and GP practices" in names
    assert "Northshire Hospitals NHS Foundation Trust" in names and "Probation Service, Northshire" in names
    peers = Counter(agency for _, _, _, auditor_type, agency, _ in USERS if auditor_type is not None)
    assert all(peers[index] >= 1 for index in range(len(AGENCIES)))
    assert all(TEAM_PATTERNS[t[1]][1] == agency for *_, agency, t in USERS if t)  # a peer's team is their agency's


# A made-up tool with a routing question (the child protection section is shown only for a child on a plan), an
# agency section (police only) and every answer type, so the demo's answering does not depend on any shipped tool.
ROUTED_TOOL = {
    "schema_version": 1,
    "key": "routed_demo_test",
    "version": 1,
    "title": "Routed test tool",
    "kind": "agency_audit",
    "sections": [
        {
            "id": "the_child",
            "title": "The child",
            "questions": [
                {
                    "id": "cp_involvement",
                    "text": "What child protection involvement was there?",
                    "type": "choice",
                    "required": True,
                    "options": [
                        {"value": "current_plan", "label": "On a plan"},
                        {"value": "none", "label": "None"},
                    ],
                },
                {
                    "id": "plan_reviewed",
                    "text": "Was the plan reviewed on time?",
                    "type": "yes_no_na",
                    "required": True,
                    "show_when": {"question": "cp_involvement", "in": ["current_plan"]},
                },
                {
                    "id": "no_plan_reason",
                    "text": "Why was there no plan?",
                    "type": "text",
                    "required": True,
                    "show_when": {"question": "cp_involvement", "in": ["none"]},
                },
                {"id": "last_visit", "text": "When was the last visit?", "type": "date", "required": True},
                {
                    "id": "visits",
                    "text": "How many visits?",
                    "type": "number",
                    "required": True,
                    "min": 0,
                    "max": 50,
                    "integer": True,
                },
                {"id": "overall_grade", "text": "Overall grade", "type": "grade", "required": True},
            ],
        },
        {
            "id": "custody",
            "title": "Custody",
            "agencies": ["police"],
            "questions": [
                {
                    "id": "custody_checked",
                    "text": "Were custody records checked?",
                    "type": "yes_no_na",
                    "required": True,
                }
            ],
        },
    ],
}


def _audit(*, status: str, agency: str, lead: bool) -> SimpleNamespace:
    dob = AS_AT - timedelta(days=6 * 365)
    case = SimpleNamespace(
        status=status,
        date_of_birth=dob,
        referral_date=AS_AT - timedelta(days=200),
        cp_plan_start_date=AS_AT - timedelta(days=150) if status == "cp" else None,
        previous_cp_plans=0,
    )
    sampled = SimpleNamespace(case=case)
    return SimpleNamespace(assignment=SimpleNamespace(sampled_case=sampled, lead=lead, agency_name=agency))


@pytest.mark.parametrize("status", ["cp", "cin"])
@pytest.mark.parametrize("agency_index", [0, 2])  # social care (lead) and police
def test_the_demos_answers_fit_any_tool_routing_first_and_hidden_questions_unanswered(
    monkeypatch: pytest.MonkeyPatch, status: str, agency_index: int
) -> None:
    import auditapp.domain.audits as domain
    from auditapp.demo.answers import _agency_answers

    monkeypatch.setattr(domain, "proposals_for", lambda audit: {})  # the made-up tool computes nothing
    name, kind = AGENCIES[agency_index]
    tool = load_tool(ROUTED_TOOL).for_agency(kind.value)
    for grade in ("outstanding", "good", "requires_improvement", "inadequate"):
        audit = _audit(status=status, agency=name, lead=agency_index == 0)
        answers = _agency_answers(tool, audit, 0, grade, random.Random(grade))  # type: ignore[arg-type]
        assert answers["cp_involvement"] == ("current_plan" if status == "cp" else "none")  # from the case's facts
        shown = {q.id for q in visible_questions(tool=tool, answers=answers)}
        assert {k for k in answers if not k.startswith("evidence__")} == shown  # hidden questions never answered
        assert validate_all(tool=tool, answers=answers, computed={}) == []
        assert ("custody_checked" in answers) == (kind == AgencyKind.POLICE)
        assert answers["overall_grade"] == grade
        assert all(answers[s.evidence_key] for s in tool.sections)
        assert 0 <= int(answers["visits"]) <= 50 and date.fromisoformat(answers["last_visit"]) <= AS_AT


def test_on_the_2026_tool_children_under_two_are_observed_and_every_agency_can_submit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import auditapp.domain.audits as domain
    from auditapp.demo.answers import _agency_answers
    from auditapp.tools import builtin_tool

    tool = builtin_tool(key="multi_agency_case_file_audit", version=3)
    monkeypatch.setattr(domain, "proposals_for", lambda audit: {})
    for name, kind in AGENCIES[:4]:
        for months, communication in ((8, "pre_verbal"), (100, "verbal")):
            audit = _audit(status="cp", agency=name, lead=kind == AgencyKind.SOCIAL_CARE)
            audit.assignment.sampled_case.case.date_of_birth = AS_AT - timedelta(days=months * 30)
            narrowed = tool.for_agency(kind.value)
            answers = _agency_answers(narrowed, audit, 0, "good", random.Random(months))  # type: ignore[arg-type]
            assert answers["child_communication"] == communication
            assert ("child_seen_alone" in answers) == (communication == "verbal")
            assert answers.get("child_observed") == (None if communication == "verbal" else "yes")
            assert validate_all(tool=narrowed, answers=answers, computed={}) == []
