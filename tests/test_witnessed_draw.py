"""A draw nobody can steer (issue 14): freeze the population, then draw witnessed by a second named person."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import RoundSettings, create_round
from auditapp.domain.sampling import certificate_of, draw_witnessed, freeze_population
from auditapp.extensions import db
from auditapp.models import AuditEvent, AuditRound
from auditapp.sampling import verify as verify_module
from auditapp.sampling.verify import derive_seed, verify_certificate
from tests.conftest import post_form, soup
from tests.factories import make_cases

WITNESS = {"witness_name": "Wren Able", "witness_role": "Independent scrutineer", "witness_value": "harbour 57"}


def _round(size: int = 4) -> AuditRound:
    make_cases(12)
    return create_round(
        RoundSettings(name="Witnessed", sample_size=size, stratify_by="status", min_per_stratum=False),
        created_by_id=None,
    )


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_round_page_offers_only_the_freeze_first_and_no_seed(client_for, org):
    audit_round = _round()
    page = soup(client_for("qa_coordinator").get(f"/rounds/{audit_round.id}"))
    assert page.select_one(f"form[action='/rounds/{audit_round.id}/freeze'] button")
    assert not page.select(f"form[action='/rounds/{audit_round.id}/draw']")
    assert not page.select("input[name='seed']")


def test_freezing_then_drawing_on_the_web_gives_a_verified_v2_certificate(client_for, org, tmp_path: Path):
    audit_round = _round()
    client = client_for("qa_coordinator")
    page = f"/rounds/{audit_round.id}"
    frozen = post_form(client, f"{page}/freeze", {}, token_from=page)
    assert frozen.status_code == 302
    fingerprint = db.session.get(AuditRound, audit_round.id).frozen_population_sha256
    assert fingerprint and _events("population_frozen")[-1].details["population_sha256"] == fingerprint
    shown = soup(client.get(page))
    assert fingerprint in shown.get_text() and "coordinator" in shown.get_text().lower()
    assert "success" in str(shown.select_one(".govuk-notification-banner--success"))
    form = shown.select_one(f"form[action='{page}/draw']")
    assert {i["name"] for i in form.select("input")} >= {"witness_name", "witness_role", "witness_value"}
    assert not form.select("input[name='seed']")
    for name in ("witness_name", "witness_role", "witness_value"):
        assert shown.select_one(f"label[for='{name}']")  # each field labelled

    drawn = post_form(client, f"{page}/draw", {**WITNESS, "seed": "chosen"}, token_from=page)  # a seed is ignored
    assert drawn.status_code == 302
    cert = json.loads(client.get(f"{page}/certificate.json").get_data(as_text=True))
    assert cert["version"] == 2 and cert["seed"] != "chosen"
    assert cert["seed"] == derive_seed(cert["server_random"], "harbour 57", fingerprint)
    assert len(cert["server_random"]) == 64 and cert["population_sha256"] == fingerprint
    assert cert["server_random_source"] == "server"  # drawn at the draw: only the demo loader fixes it
    assert cert["witnessed_by"] == {"name": "Wren Able", "role": "Independent scrutineer"}
    assert cert["frozen_by"] == "coordinator@example.org" and len(cert["draw_attempts"]) == 1
    assert verify_certificate(cert) == []
    after = soup(client.get(page)).get_text()
    assert "witnessed by Wren Able (Independent scrutineer)" in after and fingerprint in after
    event = _events("sample_drawn")[-1]
    assert event.details["algorithm"] == "hashrank-v2" and event.details["witness_name"] == "Wren Able"
    # The downloaded certificate checks with the verifier file alone, outside the project.
    script, path = tmp_path / "verify.py", tmp_path / "certificate.json"
    shutil.copyfile(verify_module.__file__, script)
    path.write_text(json.dumps(cert), encoding="utf-8")
    python3 = shutil.which("python3") or "python3"
    result = subprocess.run([python3, "-S", "-I", str(script), str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert result.stdout == "VERIFIED\n"


def test_a_draw_before_the_freeze_is_refused(actor, org):
    audit_round = _round()
    with pytest.raises(DomainError, match="Freeze the population"):
        draw_witnessed(audit_round, **WITNESS)
    assert audit_round.drawn_at is None


def test_a_population_changed_since_the_freeze_is_refused(actor, org):
    audit_round = _round()
    freeze_population(audit_round)
    make_cases(14)  # two more cases join the eligible population
    with pytest.raises(DomainError, match="changed since it was frozen"):
        draw_witnessed(audit_round, **WITNESS)
    freeze_population(audit_round)
    assert verify_certificate(draw_witnessed(audit_round, **WITNESS)) == []


def test_a_round_is_drawn_once_and_cannot_be_frozen_again(actor, org):
    audit_round = _round()
    freeze_population(audit_round)
    seed = draw_witnessed(audit_round, **WITNESS)["seed"]
    with pytest.raises(DomainError, match="already been drawn"):
        draw_witnessed(audit_round, **{**WITNESS, "witness_value": "other"})
    with pytest.raises(DomainError, match="already been drawn"):
        freeze_population(audit_round)
    assert certificate_of(audit_round)["seed"] == seed and len(_events("sample_drawn")) == 1


def test_two_draws_with_the_same_witness_value_differ_because_of_the_server_value(actor, org):
    make_cases(12)
    seeds = []
    for name in ("A", "B"):
        audit_round = create_round(RoundSettings(name=name, sample_size=3), created_by_id=None)
        freeze_population(audit_round)
        seeds.append(draw_witnessed(audit_round, **WITNESS)["seed"])
        db.session.flush()
    assert seeds[0] != seeds[1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**WITNESS, "witness_name": ""}, "Enter the witness's full name"),
        ({**WITNESS, "witness_role": "  "}, "Enter the witness's role"),
        ({**WITNESS, "witness_value": ""}, "Enter the witness value"),
        ({**WITNESS, "witness_value": "x" * 5000}, "200 characters or fewer"),
        ({**WITNESS, "witness_name": "n" * 500}, "name must be 120 characters or fewer"),
        ({**WITNESS, "witness_role": "r" * 500}, "role must be 120 characters or fewer"),
        ({**WITNESS, "witness_value": "line\nbreak"}, "must be on one line"),
    ],
)
def test_hostile_or_missing_witness_details_answer_400_with_the_error_summary(client_for, org, data, message):
    audit_round = _round()
    client = client_for("qa_coordinator")
    page = f"/rounds/{audit_round.id}"
    post_form(client, f"{page}/freeze", {}, token_from=page)
    response = post_form(client, f"{page}/draw", data, token_from=page)
    assert response.status_code == 400
    html = soup(response)
    summary = html.select_one(".govuk-error-summary")
    assert summary and message.lower() in summary.get_text().lower()
    assert db.session.get(AuditRound, audit_round.id).drawn_at is None


def test_unicode_and_markup_from_the_witness_are_kept_and_escaped(client_for, org):
    audit_round = _round()
    client = client_for("qa_coordinator")
    page = f"/rounds/{audit_round.id}"
    post_form(client, f"{page}/freeze", {}, token_from=page)
    hostile = {"witness_name": "<script>alert(1)</script> Zoë", "witness_role": "Chair ☂", "witness_value": "ünï <b>"}
    assert post_form(client, f"{page}/draw", hostile, token_from=page).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    cert = certificate_of(db.session.get(AuditRound, audit_round.id))
    assert cert["witness_value"] == "ünï <b>" and verify_certificate(cert) == []


def test_the_cli_has_no_seed_and_draws_only_after_a_freeze(app, org, users):
    make_cases(10)
    runner = app.test_cli_runner()
    created = runner.invoke(args=["rounds", "create", "--name", "CLI witnessed", "--size", "3"])
    round_id = created.output.strip().splitlines()[-1]
    witness = ["--witness-name", "Wren Able", "--witness-role", "Scrutineer", "--witness-value", "v"]
    seeded = runner.invoke(args=["sample", "draw", round_id, "--seed", "x", *witness])
    assert seeded.exit_code != 0 and "No such option" in seeded.output
    early = runner.invoke(args=["sample", "draw", round_id, *witness])
    assert early.exit_code != 0 and "Freeze the population" in early.output
    frozen = runner.invoke(args=["sample", "freeze", round_id])
    assert frozen.exit_code == 0 and "fingerprint" in frozen.output
    drawn = runner.invoke(args=["sample", "draw", round_id, *witness])
    assert drawn.exit_code == 0 and "hashrank-v2" in drawn.output, drawn.output
    assert len(drawn.output.strip().splitlines()) == 4


def test_freezing_a_cancelled_or_unknown_round_is_refused(client_for, org):
    client = client_for("qa_coordinator")
    assert post_form(client, "/rounds/999999/freeze", {}, token_from="/home").status_code == 404
