"""Audit rounds with the database: creating, drawing, certificates, exclusions, replacements, assignment."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from auditapp.domain.assignments import assign_automatically, assign_manually, check_manual
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import RoundSettings, create_round
from auditapp.domain.sampling import certificate_of, draw_sample, replace_case
from auditapp.extensions import db
from auditapp.models import Assignment, AuditEvent, AuditorType, AuditRound, Role
from auditapp.sampling.verify import verify_certificate
from tests.conftest import post_form, soup
from tests.factories import make_cases, make_round, make_user


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_coordinator_creates_a_round_on_the_web(client_for, org):
    make_cases(10)
    client = client_for("qa_coordinator")
    response = post_form(
        client,
        "/rounds/new",
        {
            "name": "Neglect autumn",
            "theme": "neglect",
            "mode": "independent",
            "statuses": ["cp", "cin"],
            "tool_key": "multi_agency_case_file_audit_ni59_ni60",
            "exclude_audited_within_months": "12",
            "sample_size": "6",
            "stratify_by": "locality",
            "exclusions": "T00002, under serious case review\nT00003, file with the court",
            "open_from": ["1", "1", "2024"],
            "open_to": ["", "", ""],
            "due_date": ["", "", ""],
        },
    )
    assert response.status_code == 302
    audit_round = db.session.scalar(select(AuditRound).where(AuditRound.name == "Neglect autumn"))
    assert audit_round.population_filter["statuses"] == ["cin", "cp"]
    assert (audit_round.tool_key, audit_round.tool_version) == ("multi_agency_case_file_audit_ni59_ni60", 2)
    assert audit_round.population_filter["open_from"] == "2024-01-01"
    assert {(e.case_ref, e.reason) for e in audit_round.exclusions} == {
        ("T00002", "under serious case review"),
        ("T00003", "file with the court"),
    }
    page = soup(client.get(response.headers["Location"])).get_text()
    assert "Sample-size guidance" in page and "qualitative" in page
    assert events("round_created")


def test_round_form_errors_are_named(client_for, org):
    response = post_form(
        client_for("qa_coordinator"),
        "/rounds/new",
        {
            "name": "",
            "mode": "multi-agency",
            "sample_size": "0",
            "exclude_audited_within_months": "12",
            "open_from": ["31", "2", "2024"],
            "stratify_by": "none",
        },
    )
    assert response.status_code == 400
    summary = soup(response).select_one(".govuk-error-summary").get_text()
    assert "Enter a name for the round" in summary
    assert "Sample size must be between 1 and 500" in summary
    assert "must be a real date" in summary


def test_drawing_on_the_web_gives_a_certificate_that_verifies_and_cannot_be_redrawn(client_for, org):
    make_cases(12)
    audit_round = create_round(
        RoundSettings(name="R", sample_size=4, stratify_by="status", min_per_stratum=False), created_by_id=None
    )
    client = client_for("qa_coordinator")
    page = f"/rounds/{audit_round.id}"
    assert post_form(client, f"{page}/freeze", {}, token_from=page).status_code == 302
    witnessed = {"witness_name": "Wren Able", "witness_role": "Independent scrutineer", "witness_value": "w1"}
    assert post_form(client, f"{page}/draw", witnessed, token_from=page).status_code == 302
    certificate = json.loads(client.get(f"/rounds/{audit_round.id}/certificate.json").get_data(as_text=True))
    assert certificate["algorithm"] == "hashrank" and certificate["version"] == 2
    assert len(certificate["sample"]) == 4 and verify_certificate(certificate) == []
    assert certificate["drawn_by"] == "coordinator@example.org"
    seed = certificate["seed"]
    again = post_form(client, f"{page}/draw", {**witnessed, "witness_value": "w2"}, token_from=page)
    assert again.status_code == 400 and "already been drawn" in soup(again).get_text()
    assert certificate_of(db.session.get(AuditRound, audit_round.id))["seed"] == seed


def test_named_and_recently_sampled_cases_are_never_drawn(actor, org):
    make_cases(12)
    first = create_round(RoundSettings(name="First", sample_size=5), created_by_id=None)
    draw_sample(first, seed="a")
    first_sample = set(certificate_of(first)["sample"])
    second = create_round(
        RoundSettings(name="Second", sample_size=6, named_exclusions=[("T00001", "under review")]), created_by_id=None
    )
    certificate = draw_sample(second, seed="b")
    excluded = {e["case_ref"]: e["reason"] for e in certificate["exclusions"]}
    assert excluded["T00001"] == "under review" or "T00001" in first_sample
    assert first_sample <= set(excluded)
    assert not (set(certificate["sample"]) & set(excluded))
    assert certificate["population_size"] == 12 - len(excluded)


def test_the_same_seed_and_population_give_the_same_sample(actor, org):
    make_cases(20)
    samples = []
    for name in ("A", "B"):
        audit_round = create_round(
            RoundSettings(name=name, sample_size=5, exclude_audited_within_months=0), created_by_id=None
        )
        samples.append(draw_sample(audit_round, seed="same")["sample"])
    assert samples[0] == samples[1]
    other = create_round(RoundSettings(name="C", sample_size=5, exclude_audited_within_months=0), created_by_id=None)
    assert draw_sample(other, seed="different")["sample"] != samples[0]


def test_a_replacement_comes_only_from_the_list_and_is_in_the_certificate(actor, org, users):
    audit_round = make_round(cases=10, size=3)
    certificate = certificate_of(audit_round)
    out = certificate["sample"][0]
    expected = certificate["replacement_lists"][certificate["strata"][0]["name"]][0]
    with pytest.raises(DomainError):
        replace_case(audit_round, case_ref="NOT-SAMPLED", reason="x")
    with pytest.raises(DomainError):
        replace_case(audit_round, case_ref=out, reason="  ")
    assigned_before = len(list(db.session.scalars(select(Assignment))))
    assert replace_case(audit_round, case_ref=out, reason="file unavailable") == expected
    updated = certificate_of(audit_round)
    assert updated["replacement_log"][0]["case_ref_out"] == out and updated["replacement_log"][0]["reason"]
    assert verify_certificate(updated) == []
    assert len(list(db.session.scalars(select(Assignment)))) == assigned_before - 1  # the case's auditor freed
    assert events("sample_case_replaced") and events("assignment_removed")


def test_the_verifier_detects_a_changed_seed_population_or_sample(app, actor, org, tmp_path):
    audit_round = make_round(cases=10, size=3)
    runner = app.test_cli_runner()
    path = tmp_path / "cert.json"
    assert runner.invoke(args=["sample", "certificate", str(audit_round.id), "-o", str(path)]).exit_code == 0
    assert runner.invoke(args=["sample", "verify", str(path)]).output.strip() == "VERIFIED"
    original = json.loads(path.read_text())
    for tamper in (
        lambda c: c.update(seed="other"),
        lambda c: c["population"].pop(),
        lambda c: c["sample"].reverse() or c["sample"].__setitem__(0, "T00099"),
    ):
        certificate = json.loads(json.dumps(original))
        tamper(certificate)
        path.write_text(json.dumps(certificate))
        result = runner.invoke(args=["sample", "verify", str(path)])
        assert result.exit_code == 1 and result.output.startswith("NOT VERIFIED: ")


def test_automatic_assignment_avoids_the_allocated_worker_and_balances_load(actor, org):
    make_cases(8, worker="Ada Auditor")
    ada = make_user("ada", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.social)
    ada.name = "Ada Auditor"
    others = [
        make_user(f"ind{i}", Role.AUDITOR, auditor_type=AuditorType.INDEPENDENT, agency=org.social) for i in range(3)
    ]
    audit_round = make_round("Balanced", cases=0, size=6, assign=False)
    plan = assign_automatically(audit_round)
    auditors = [a.auditor_id for s in audit_round.sampled for a in s.assignments]
    assert len(auditors) == 6 and ada.id not in auditors
    assert max(auditors.count(o.id) for o in others) == 2 and plan.max_load == 2
    again = assign_automatically(audit_round)  # nothing left to fill, nothing changes
    assert [a.auditor_id for s in audit_round.sampled for a in s.assignments] == auditors and again.unfilled == ()


def test_a_manual_assignment_that_breaks_a_rule_needs_a_justification(client_for, org, users):
    make_cases(4, worker="Auditor")  # the factory's independent auditor is named "Auditor"
    audit_round = make_round("Manual", cases=0, size=2, assign=False)
    sampled = audit_round.sampled[0]
    result = check_manual(audit_round, sampled, auditor_id=users["auditor"].id, agency=None)
    assert [b.code for b in result.breaches] == ["ALLOCATED_WORKER"]
    client = client_for("qa_coordinator")
    url = f"/rounds/{audit_round.id}/sample/{sampled.id}/assign"
    refused = post_form(client, url, {"auditor_id": str(users["auditor"].id), "agency": ""})
    assert refused.status_code == 400 and "Enter a justification" in soup(refused).get_text()
    assert not sampled.assignments
    done = post_form(
        client,
        url,
        {
            "auditor_id": str(users["auditor"].id),
            "agency": "",
            "justification": "Only auditor trained in this area; worker left in 2019",
        },
    )
    assert done.status_code == 302
    assignment = db.session.scalar(select(Assignment).where(Assignment.sampled_case_id == sampled.id))
    assert assignment.breaches == ["ALLOCATED_WORKER"] and assignment.justification.startswith("Only auditor")
    event = events("assignment_made")[-1]
    assert event.details["how"] == "manual" and event.details["breaches"] == ["ALLOCATED_WORKER"]


def test_a_peer_never_audits_a_case_of_a_team_they_manage(actor, org, users):
    from auditapp.domain.org import save_team

    make_cases(2)  # cases of team CP North
    peer = make_user("manager", Role.AUDITOR, auditor_type=AuditorType.PEER, agency=org.social, team=org.cp_south)
    save_team(team=org.cp_north, name="CP North", agency_id=org.social.id, locality_id=org.north.id, manager_id=peer.id)
    audit_round = make_round("Peer", cases=0, size=1, mode="peer", assign=False)
    codes = [
        b.code
        for b in check_manual(audit_round, audit_round.sampled[0], auditor_id=peer.id, agency=org.social.name).breaches
    ]
    assert "PEER_TEAM_MANAGER" in codes
    with pytest.raises(DomainError, match="justification"):
        assign_manually(audit_round, audit_round.sampled[0], auditor_id=peer.id, agency=org.social.name)


def test_auditors_see_their_assigned_cases_with_due_dates_and_nothing_else(client_for, org, users):
    make_round(cases=6, size=2)
    client = client_for("auditor")
    page = soup(client.get("/home")).get_text()
    assert page.count("Case T") == 2 and "Due " in page
    assert client.get("/cases/").status_code == 403
    assert "You have no audits assigned" in soup(client_for("peer").get("/home")).get_text()


def test_cli_creates_lists_draws_replaces_and_assigns(app, org, users):
    make_cases(10)
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "rounds",
            "create",
            "--name",
            "CLI round",
            "--status",
            "cp",
            "--status",
            "cin",
            "--exclude",
            "T00002=under review",
        ]
    )
    assert created.exit_code == 0, created.output
    round_id = created.output.strip().splitlines()[-1]
    listed = runner.invoke(args=["rounds", "list"]).output.splitlines()
    assert listed[0].split("\t")[:3] == [round_id, "CLI round", "Not sampled"]
    assert runner.invoke(args=["sample", "freeze", round_id]).exit_code == 0
    witness = ["--witness-name", "Wren Able", "--witness-role", "Scrutineer", "--witness-value", "x"]
    drawn = runner.invoke(args=["sample", "draw", round_id, "--size", "2", *witness])
    lines = drawn.output.strip().splitlines()
    assert drawn.exit_code == 0 and lines[0].startswith("Sample of 2") and len(lines) == 3
    replaced = runner.invoke(args=["sample", "replace", round_id, lines[1], "--reason", "file missing"])
    assert replaced.exit_code == 0 and "Replaced" in replaced.output
    assigned = runner.invoke(args=["assign", "auto", round_id])
    assert assigned.exit_code == 0 and "2 places filled" in assigned.output


def test_a_rounds_status_follows_its_work(actor, org, users):
    from auditapp.domain.audits import open_audit

    audit_round = create_round(RoundSettings(name="Status", sample_size=2), created_by_id=None)
    assert audit_round.status == "Not sampled"
    make_cases(4)
    draw_sample(audit_round, seed="s")
    assert audit_round.status == "Sampled"
    assign_automatically(audit_round)
    assert audit_round.status == "In progress"
    for sampled in audit_round.sampled:
        for assignment in sampled.assignments:
            open_audit(assignment).state = "moderated"
    db.session.flush()
    assert audit_round.status == "Audits moderated"


def test_a_replacement_that_has_left_the_population_is_refused_and_changes_nothing(actor, org, users):
    from auditapp.models import Case

    audit_round = make_round(cases=10, size=3)
    certificate = certificate_of(audit_round)
    out = certificate["sample"][0]
    incoming = certificate["replacement_lists"][certificate["strata"][0]["name"]][0]
    # Retention removed the next case on the list (closed and never sampled) after the draw.
    db.session.delete(db.session.scalar(select(Case).where(Case.case_ref == incoming)))
    db.session.flush()
    with pytest.raises(DomainError, match="no longer in the population"):
        replace_case(audit_round, case_ref=out, reason="file unavailable")
    assert certificate_of(audit_round) == certificate
    assert not any(s.replaced for s in audit_round.sampled) and not events("sample_case_replaced")


def test_a_number_field_says_whole_number_in_words_and_refuses_huge_values(client_for, org, users):
    coordinator = client_for("qa_coordinator")
    for value in ("twelve", "1.5", "99999999999999999999", "<b>3</b>"):
        response = post_form(coordinator, "/rounds/new", {"name": "Numbers", "sample_size": value})
        assert response.status_code == 400
        text = soup(response).get_text()
        assert "must be a whole number" in text and "Not a valid integer value" not in text
