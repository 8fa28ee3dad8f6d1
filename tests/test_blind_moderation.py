"""Blind moderation (issue 14): the moderator records their own grade before seeing the auditor's, and agreement
is computed over those blind pairs only, with a cluster-bootstrap interval and a small-number warning."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from auditapp import stats
from auditapp.domain import audits as audit_domain
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.errors import DomainError
from auditapp.domain.moderation import (
    change_blind_moderation,
    moderate,
    moderation_agreement,
    moderation_setting_refusal,
    record_blind_grade,
)
from auditapp.extensions import db
from auditapp.models import AgencyAudit, AuditEvent, AuditRound
from tests.conftest import post_form, soup
from tests.factories import complete_answers, make_round


def _submitted(assignment, grade: str) -> AgencyAudit:
    with acting_as(ActorContext(user_id=assignment.auditor_id, email="x", role="auditor")):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), overall_grade=grade)
        db.session.flush()
        assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    return audit


def _audits(audit_round, grades: list[str]) -> list[AgencyAudit]:
    assignments = [a for s in audit_round.sampled for a in s.assignments]
    return [_submitted(a, g) for a, g in zip(assignments, grades, strict=False)]


@pytest.fixture
def blind_round(org, users):
    return make_round("Blind round", cases=8, size=4, blind_moderation=True)


def test_the_auditors_grade_is_not_in_the_page_until_the_blind_grade_is_saved(client_for, blind_round):
    (audit,) = _audits(blind_round, ["inadequate"])
    audit_id = audit.id
    coordinator = client_for("qa_coordinator")
    url = f"/moderation/audits/{audit.id}"
    before = coordinator.get(url)
    html = before.get_data(as_text=True)
    assert before.status_code == 200
    page = soup(before)
    assert "Inadequate" in html  # offered as a choice of the moderator's own grade...
    assert page.select("input[name=blind_grade]") and not page.select("input[name=decision]")
    # ...but nowhere as an answer: no grade row, no overall grade question, no checked grade
    answers = " ".join(dd.get_text() for dd in page.select(".govuk-summary-list__value"))
    assert "Inadequate" not in answers and "overall grade" not in page.select_one("main").get_text().lower().replace(
        "your own overall grade", ""
    )
    assert "moderated blind" in html
    # a decision cannot be forced through before the blind grade
    refused = post_form(coordinator, url, {"decision": "agreed"})
    assert refused.status_code == 200 and soup(refused).select_one(".govuk-error-summary")
    audit = db.session.get(AgencyAudit, audit_id)
    assert audit.state == "submitted" and audit.blind_grade is None

    saved = post_form(coordinator, url, {"blind_grade": "good"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(url)
    after = coordinator.get(url)
    page = soup(after)
    assert "success" in after.get_data(as_text=True)
    answers = " ".join(dd.get_text() for dd in page.select(".govuk-summary-list__value"))
    assert "Inadequate" in answers and page.select("input[name=decision]")
    inset = " ".join(i.get_text() for i in page.select(".govuk-inset-text"))
    assert "Your own grade, recorded before you saw the auditor's: good" in inset and "inadequate" in inset
    audit = db.session.get(AgencyAudit, audit_id)
    assert (audit.blind_grade, audit.blind_auditor_grade) == ("good", "inadequate")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "blind_grade_recorded"))
    assert event is not None and event.object_id == str(audit.id)
    assert post_form(coordinator, url, {"decision": "agreed"}).status_code == 302
    audit = db.session.get(AgencyAudit, audit_id)
    assert audit.state == "moderated"


@pytest.mark.parametrize(
    "value", ["", "excellent", "x" * 10_000, "<script>alert(1)</script>", "gut ✓ \u202e", "0", "-1"]
)
def test_a_hostile_blind_grade_is_refused_in_words(client_for, blind_round, value):
    (audit,) = _audits(blind_round, ["good"])
    audit_id = audit.id
    coordinator = client_for("qa_coordinator")
    response = post_form(coordinator, f"/moderation/audits/{audit.id}", {"blind_grade": value})
    assert response.status_code == 200
    summary = soup(response).select_one(".govuk-error-summary")
    assert summary and "Select your own grade" in summary.get_text()
    assert "<script>alert" not in response.get_data(as_text=True)
    audit = db.session.get(AgencyAudit, audit_id)
    assert audit.blind_grade is None


def test_a_round_not_moderated_blind_shows_everything_at_once(client_for, org, users):
    audit_round = make_round(cases=8, size=4)
    (audit,) = _audits(audit_round, ["inadequate"])
    page = soup(client_for("qa_coordinator").get(f"/moderation/audits/{audit.id}"))
    assert page.select("input[name=decision]") and not page.select("input[name=blind_grade]")
    assert "Inadequate" in " ".join(dd.get_text() for dd in page.select(".govuk-summary-list__value"))


def test_the_blind_grade_is_recorded_once_and_only_in_a_blind_round(actor, org, users, blind_round):
    (audit,) = _audits(blind_round, ["good"])
    with pytest.raises(DomainError, match="own grade before"):
        moderate(audit, decision="agreed")
    with pytest.raises(DomainError, match="Select your own grade"):
        record_blind_grade(audit, grade="excellent")
    record_blind_grade(audit, grade="requires_improvement")
    with pytest.raises(DomainError, match="already been recorded"):
        record_blind_grade(audit, grade="good")
    other = make_round("Open round", cases=0, size=4)
    (plain,) = _audits(other, ["good"])
    with pytest.raises(DomainError, match="not moderated blind"):
        record_blind_grade(plain, grade="good")


def test_the_round_form_sets_blind_moderation(client_for, org):
    coordinator = client_for("qa_coordinator")
    page = soup(coordinator.get("/rounds/new"))
    assert page.select_one("input[name=blind_moderation]")
    response = post_form(
        coordinator,
        "/rounds/new",
        {
            "name": "Blind from the form",
            "mode": "independent",
            "blind_moderation": "y",
            "sample_size": "4",
            "stratify_by": "none",
            "exclude_audited_within_months": "12",
        },
    )
    assert response.status_code == 302, soup(response).select_one(".govuk-error-summary")
    created = db.session.scalar(select(AuditRound).where(AuditRound.name == "Blind from the form"))
    assert created is not None and created.blind_moderation is True


def test_agreement_counts_blind_pairs_only_and_returned_audits(actor, org, users, blind_round):
    audits = _audits(blind_round, ["good", "good", "requires_improvement", "inadequate"])
    for audit, mine in zip(audits, ["good", "requires_improvement", "requires_improvement", "inadequate"], strict=True):
        record_blind_grade(audit, grade=mine)
    moderate(audits[0], decision="agreed")
    moderate(audits[1], decision="returned", comment="Add the evidence for the plan")  # still a pair
    moderate(audits[2], decision="regraded", grade="good", comment="Better than it looks")  # the blind grade counts
    # audits[3] not yet decided: its blind pair counts too
    agreement = moderation_agreement(blind_round)
    # Pairs (auditor, blind): good/good, good/RI, RI/RI, inadequate/inadequate: kappa 0.8 (see test_audits), 3 of 4.
    assert (agreement.n, agreement.agreed, agreement.children) == (4, 3, 4)
    assert agreement.kappa == pytest.approx(0.8) and agreement.small_n is True
    assert agreement.kappa_interval is not None
    low, high = agreement.kappa_interval
    assert -1 <= low <= agreement.kappa <= high <= 1
    assert moderation_agreement(blind_round) == agreement  # a fixed seed: the same interval every time


def test_a_round_not_moderated_blind_has_no_pairs(actor, org, users):
    audit_round = make_round(cases=8, size=4)
    (audit,) = _audits(audit_round, ["good"])
    moderate(audit, decision="agreed")  # "agree" copies the auditor's grade: not an independent check
    agreement = moderation_agreement(audit_round)
    assert agreement.n == 0 and agreement.kappa is None and agreement.kappa_interval is None


def test_bootstrap_resamples_children_and_is_reproducible():
    grades = stats.OFSTED_GRADES
    generator = random.Random(1)
    pairs = []
    for child in range(20):
        auditor = generator.randrange(4)
        for _agency in range(2):
            moderator = min(3, max(0, auditor + generator.choice([-1, 0, 0, 1])))
            pairs.append((child, grades[auditor], grades[moderator]))
    result = stats.blind_grade_agreement(pairs)
    assert result.n == 40 and result.children == 20 and result.small_n is False
    assert result.kappa_interval == stats.blind_grade_agreement(pairs).kappa_interval
    low, high = result.kappa_interval
    assert low < result.kappa < high

    # An independent computation: the same resampling of children, written out here.
    clusters: dict[int, list[tuple[str, str]]] = {}
    for child, a, b in pairs:
        clusters.setdefault(child, []).append((a, b))
    values = list(clusters.values())
    rng = random.Random(stats.BOOTSTRAP_SEED)
    kappas = []
    for _ in range(stats.BOOTSTRAP_RESAMPLES):
        drawn = [p for _ in values for p in values[rng.randrange(len(values))]]
        k, _ = stats.quadratic_weighted_kappa(first=[p[0] for p in drawn], second=[p[1] for p in drawn])
        if k is not None:
            kappas.append(k)
    kappas.sort()
    m = len(kappas) - 1
    assert low == pytest.approx(kappas[round(0.025 * m)], abs=0.02)
    assert high == pytest.approx(kappas[round(0.975 * m)], abs=0.02)


def test_two_pairs_carry_a_warning_and_no_false_certainty():
    result = stats.blind_grade_agreement([(1, "good", "good"), (2, "inadequate", "inadequate")])
    assert result.kappa == pytest.approx(1.0) and result.small_n is True
    one_child = stats.blind_grade_agreement([(1, "good", "good"), (1, "inadequate", "inadequate")])
    assert one_child.kappa_interval is None and one_child.interval_reason
    same = stats.blind_grade_agreement([(1, "good", "good"), (2, "good", "good")])
    assert same.kappa is None and same.kappa_interval is None and same.interval_reason
    empty = stats.blind_grade_agreement([])
    assert empty.n == 0 and empty.children == 0 and empty.small_n is True


def test_the_round_page_shows_the_setting_and_the_blind_agreement_with_its_warning(client_for, blind_round):
    audits = _audits(blind_round, ["good", "inadequate"])
    with acting_as(ActorContext(user_id=None, email="qa", role="qa_coordinator")):
        record_blind_grade(audits[0], grade="good")
        record_blind_grade(audits[1], grade="requires_improvement")
    page = soup(client_for("qa_coordinator").get(f"/rounds/{blind_round.id}"))
    text = " ".join(page.get_text().split())
    assert "Blind: the moderator gives their own grade before seeing the auditor's" in text
    assert "matched the auditor's overall grade in 1 of 2 audits (50%), of 2 children" in text
    assert "quadratic weights" in text and "With fewer than 10 pairs of grades this is only indicative." in text
    assert "blind_grade" not in text and "requires_improvement" not in text  # words, not codes


def test_blind_moderation_can_be_chosen_after_the_draw_until_moderation_begins(client_for, org, users):
    audit_round = make_round("Chosen later", cases=8, size=4)
    round_id = audit_round.id
    (audit,) = _audits(audit_round, ["good"])
    coordinator = client_for("qa_coordinator")
    page = soup(coordinator.get(f"/rounds/{round_id}"))
    link = page.select_one(f"a[href='/rounds/{round_id}/moderation']")
    assert link and "Change how the round’s audits are moderated" in link.get_text()
    form = soup(coordinator.get(f"/rounds/{round_id}/moderation"))
    assert form.select_one("input[name=blind_moderation][value=open][checked]")
    saved = post_form(coordinator, f"/rounds/{round_id}/moderation", {"blind_moderation": "blind"})
    assert saved.status_code == 302
    assert db.session.get(AuditRound, round_id).blind_moderation is True
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round_moderation_changed"))
    assert event is not None and event.object_id == str(round_id)
    assert event.details["blind_moderation"] == [False, True]
    # the submitted audit now waits for the moderator's own grade before the auditor's is shown
    moderation = soup(coordinator.get(f"/moderation/audits/{audit.id}"))
    assert moderation.select("input[name=blind_grade]") and not moderation.select("input[name=decision]")


def test_a_change_of_moderation_after_it_began_is_refused_even_when_posted(client_for, org, users, blind_round):
    round_id = blind_round.id
    first, _second = _audits(blind_round, ["good", "inadequate"])
    with acting_as(ActorContext(user_id=None, email="qa", role="qa_coordinator")):
        record_blind_grade(first, grade="good")
    coordinator = client_for("qa_coordinator")
    page = soup(coordinator.get(f"/rounds/{round_id}"))
    assert not page.select_one(f"a[href='/rounds/{round_id}/moderation']")
    reason = page.select_one("#moderation-setting").get_text()
    assert "Moderation has begun (1 audit has already been moderated or graded blind)" in reason
    refused = post_form(
        coordinator, f"/rounds/{round_id}/moderation", {"blind_moderation": "open"}, token_from=f"/rounds/{round_id}"
    )
    assert refused.status_code == 302  # back to the round page, with the reason
    followed = soup(coordinator.get(refused.headers["Location"]))
    assert "whether it is blind can no longer change" in followed.get_text()
    assert db.session.get(AuditRound, round_id).blind_moderation is True
    with pytest.raises(DomainError, match="Moderation has begun"):
        change_blind_moderation(db.session.get(AuditRound, round_id), blind=False)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round_moderation_changed")) is None


def test_a_returned_audit_also_closes_the_moderation_setting(actor, org, users):
    audit_round = make_round("Returned first", cases=8, size=4)
    (audit,) = _audits(audit_round, ["good"])
    assert moderation_setting_refusal(audit_round) is None
    moderate(audit, decision="returned", comment="Add the evidence")
    assert "1 audit has already been moderated" in (moderation_setting_refusal(audit_round) or "")
    with pytest.raises(DomainError, match="can no longer change"):
        change_blind_moderation(audit_round, blind=True)


def test_the_edit_page_before_the_draw_sets_blind_moderation(client_for, org):
    coordinator = client_for("qa_coordinator")
    fields = {"mode": "independent", "sample_size": "4", "stratify_by": "none", "exclude_audited_within_months": "12"}
    created = post_form(coordinator, "/rounds/new", {"name": "Edited to blind", **fields})
    assert created.status_code == 302
    audit_round = db.session.scalar(select(AuditRound).where(AuditRound.name == "Edited to blind"))
    round_id = audit_round.id
    assert audit_round.blind_moderation is False
    edit = f"/rounds/{round_id}/edit"
    assert soup(coordinator.get(edit)).select_one("input[name=blind_moderation]")
    saved = post_form(coordinator, edit, {"name": "Edited to blind", "blind_moderation": "y", **fields})
    assert saved.status_code == 302
    assert db.session.get(AuditRound, round_id).blind_moderation is True
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "round_edited", AuditEvent.object_id == str(round_id))
    )
    assert event is not None and event.details["changed"]["blind_moderation"] == [False, True]
    unticked = post_form(coordinator, edit, {"name": "Edited to blind", **fields})
    assert unticked.status_code == 302 and db.session.get(AuditRound, round_id).blind_moderation is False
