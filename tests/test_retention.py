"""Retention with a frozen clock: nothing goes early, the right things go on time, once, and it is recorded."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from auditapp.domain import retention
from auditapp.domain.retention import REMOVED, RetentionPolicy, apply_retention, plan_retention
from auditapp.extensions import db
from auditapp.models import AuditEvent, Case, Finding, Job, JointDiscussion, PendingUpload, SafeguardingConcern
from auditapp.reports.report_data import build_report
from tests.factories import make_cases, make_round
from tests.test_report import AS_OF, PARTNERSHIP, completed  # noqa: F401 - the fixture is used by name

POLICY = RetentionPolicy(closed_case_months=24, round_years=3, pending_upload_hours=24, job_days=90)


def _frozen(audit_round, **offset: int) -> datetime:
    """A moment measured from the round's draw (it has no published report, so its period runs from the draw)."""
    return audit_round.drawn_at + timedelta(**offset)


def test_a_round_is_kept_until_its_period_ends(completed):  # noqa: F811
    assert plan_retention(POLICY, now=_frozen(completed, days=365 * 3 - 1)).rounds == []


def test_a_round_past_its_period_loses_identifiers_and_free_text_but_keeps_grades(completed, users):  # noqa: F811
    refs = [s.case.case_ref for s in completed.sampled]
    concern = SafeguardingConcern(
        sampled_case_id=completed.sampled[1].id,
        raised_by_id=users["auditor"].id,
        description="Sibling at risk, see Wendy",
        action_taken="Referred to MASH",
    )
    db.session.add(concern)
    db.session.flush()
    now = _frozen(completed, days=365 * 3 + 2)
    plan = apply_retention(plan_retention(POLICY, now=now))

    assert plan.rounds == [completed.id] and len(plan.cases_to_anonymise) == 4
    for sampled in completed.sampled:
        case = sampled.case
        assert (case.case_ref, case.date_of_birth, case.worker) == (f"ANON-{case.id}", None, None)
    audits = [a.audit for s in completed.sampled for a in s.assignments if a.audit]
    answers = {key: value for audit in audits for key, value in audit.answers.items()}
    assert {"good", "inadequate"} <= {a.answers["overall_grade"] for a in audits}
    assert {a.answers["child_seen_alone"] for a in audits} == {"yes", "no"}
    assert answers["seen_alone_rationale"] == REMOVED
    assert all(value == REMOVED for key, value in answers.items() if key.startswith("evidence__") and value)
    assert any(a.moderation_comment == REMOVED for a in audits)
    joint = db.session.scalar(select(JointDiscussion).where(JointDiscussion.sampled_case_id == completed.sampled[0].id))
    assert joint.answers == {"jd_overall_grade": "good", "jd_so_what": REMOVED}
    assert (concern.description, concern.action_taken) == (REMOVED, REMOVED)

    certificate = json.loads(completed.certificate)
    assert certificate["population"] == [] and certificate["population_size"] == 8
    assert not set(refs) & set(json.dumps(certificate).split('"'))
    assert completed.anonymised_at == now

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention_applied")).one()
    assert event.details["anonymised_round_ids"] == [completed.id]
    assert event.details["sampled cases anonymised"] == 4

    finding = db.session.scalars(select(Finding).where(Finding.round_id == completed.id)).one()
    assert finding.case_refs == [f"ANON-{completed.sampled[2].case_id}", f"ANON-{completed.sampled[0].case_id}"]
    assert finding.evidence == f"See ANON-{completed.sampled[2].case_id}."

    report = build_report(completed, as_of=AS_OF, partnership=PARTNERSHIP)
    assert report.method.population_size == 8
    assert plan_retention(POLICY, now=now + timedelta(days=400)).empty  # applied once


def test_a_case_still_in_a_later_round_keeps_its_reference(completed):  # noqa: F811
    later = make_round("Later round", cases=0, size=4, exclude_audited_within_months=0)
    later.drawn_at = completed.drawn_at + timedelta(days=365 * 5)
    shared = {s.case_id for s in later.sampled} & {s.case_id for s in completed.sampled}
    assert shared
    plan = apply_retention(plan_retention(POLICY, now=_frozen(completed, days=365 * 3 + 2)))
    assert plan.rounds == [completed.id]
    for sampled in completed.sampled:
        assert sampled.case.case_ref.startswith("ANON-") == (sampled.case_id not in shared)
    audits = [a.audit for s in completed.sampled for a in s.assignments if a.audit]
    assert all(a.answers.get("seen_alone_rationale") in (None, "", REMOVED) for a in audits)


def test_closed_cases_never_sampled_leave_the_population_after_the_period(actor):
    cases = make_cases(
        6,
        closure_date="2022-01-31",
        status="closed",
        referral_date="2021-01-15",
        assessment_completed_date="2021-02-20",
    )
    audit_round = make_round("Closed round", cases=0, size=2, assign=False)
    sampled = {s.case_id for s in audit_round.sampled}
    assert plan_retention(POLICY, now=datetime(2024, 1, 30, tzinfo=UTC)).closed_cases == []
    plan = apply_retention(plan_retention(POLICY, now=datetime(2024, 2, 1, tzinfo=UTC)))
    assert sorted(plan.closed_cases) == sorted(c.id for c in cases if c.id not in sampled)
    left = set(db.session.scalars(select(Case.id).where(Case.id.in_([c.id for c in cases]))))
    assert left == sampled


def test_open_cases_are_never_removed(actor):
    make_cases(3, status="cp")
    make_cases(
        2,
        start=50,
        status="cin",
        closure_date="2022-01-31",
        referral_date="2021-01-15",
        assessment_completed_date="2021-02-20",
    )  # a closure date, but the case is open again
    assert plan_retention(POLICY, now=datetime(2040, 1, 1, tzinfo=UTC)).closed_cases == []


def test_unconfirmed_uploads_and_finished_jobs_go_after_their_periods(actor, users):
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    coordinator = users["qa_coordinator"].id
    old_upload = PendingUpload(token="o" * 43, user_id=coordinator, created_at=now - timedelta(hours=25))
    new_upload = PendingUpload(token="n" * 43, user_id=coordinator, created_at=now - timedelta(hours=23))
    jobs = [
        Job(kind="case_import", status=status, user_id=coordinator, payload={}, created_at=now - timedelta(days=d))
        for status, d in (("done", 91), ("failed", 91), ("running", 91), ("done", 89))
    ]
    db.session.add_all([old_upload, new_upload, *jobs])
    db.session.flush()
    job_ids, upload_ids = [j.id for j in jobs], [old_upload.id, new_upload.id]
    plan = apply_retention(plan_retention(POLICY, now=now))
    assert plan.pending_uploads == upload_ids[:1]
    assert sorted(plan.jobs) == job_ids[:2]
    db.session.expire_all()
    assert [db.session.get(PendingUpload, i) is not None for i in upload_ids] == [False, True]
    assert [db.session.get(Job, i) is not None for i in job_ids] == [False, False, True, True]


def test_the_command_reads_the_policy_from_settings_and_a_dry_run_changes_nothing(app, actor, monkeypatch):
    cases = make_cases(
        2,
        closure_date="2019-06-30",
        status="closed",
        referral_date="2019-01-15",
        assessment_completed_date="2019-02-20",
    )
    monkeypatch.setattr(retention, "utcnow", lambda: datetime(2023, 1, 1, tzinfo=UTC))
    monkeypatch.setitem(app.config, "RETENTION_CLOSED_CASE_MONTHS", 36)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "closed cases never sampled 36 months after closure" in dry.output
    assert "Would remove or anonymise (as of 2023-01-01 00:00 UTC)" in dry.output
    assert "closed cases deleted: 2" in dry.output
    assert db.session.get(Case, cases[0].id) is not None
    applied = runner.invoke(args=["retention", "apply"])
    assert applied.exit_code == 0 and "Removed or anonymised" in applied.output
    db.session.expire_all()
    assert db.session.get(Case, cases[0].id) is None


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 15), 24, date(2022, 1, 15)),
        (date(2023, 5, 31), 3, date(2023, 2, 28)),
    ],
)
def test_months_are_counted_on_the_calendar(moment, months, expected):
    assert retention._months_before(moment, months) == expected


def test_the_round_page_says_the_round_was_anonymised(completed, client_for):  # noqa: F811
    apply_retention(plan_retention(POLICY, now=_frozen(completed, days=365 * 3 + 2)))
    page = client_for("qa_coordinator").get(f"/rounds/{completed.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "under the retention policy" in text and "Download the sampling certificate" not in text
    assert "ANON-" in text
