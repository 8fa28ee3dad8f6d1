"""Retention: remove what the partnership no longer needs to keep, on the periods set in the configuration.

- **Closed cases never sampled** are deleted from the population ``closed_case_months`` after their closure date
  (the case stays in the agency's own system; the population is only a sampling frame).
- **Rounds** are anonymised ``round_years`` after their last published report (or after the draw, if never
  published): each sampled case loses its case reference (replaced by ``ANON-<id>``), date of birth and worker
  name, unless a round still within its period sampled it too; every free-text answer, evidence box, moderation
  comment, concern description and exclusion reason is replaced by a note; the sampling certificate (which lists
  the whole eligible population) is removed. Structured answers (yes/no, grades, numbers) stay, so trends and the
  published report (already pseudonymised) still stand. Findings and actions follow the new case references.
- **Uploads waiting for confirmation** are deleted after ``pending_upload_hours``; **finished background jobs**
  after ``job_days``.

The audit trail is never changed by retention: it is append-only and hash-chained (see docs/operations.md).
Everything here flushes only; one ``retention_applied`` event records what was done, in the same transaction.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from auditapp.domain.moderation import joint_tool
from auditapp.domain.tool_versions import get_tool
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import (
    AgencyAudit,
    Assignment,
    AuditRound,
    Case,
    Finding,
    Job,
    JointDiscussion,
    PendingUpload,
    PublishedReport,
    SafeguardingConcern,
    SampledCase,
)
from auditapp.models.types import utcnow
from auditapp.tools.model import ENUMERATED_TYPES, NUMBER
from auditapp.vocabulary import JobStatus

REMOVED = "[Removed under the retention policy]"
ANONYMOUS_PREFIX = "ANON-"


@dataclass(frozen=True)
class RetentionPolicy:
    closed_case_months: int = 24
    round_years: int = 3
    pending_upload_hours: int = 24
    job_days: int = 90

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetentionPolicy:
        return cls(
            **{
                name: int(config[f"RETENTION_{name.upper()}"])
                for name in cls.__dataclass_fields__
                if f"RETENTION_{name.upper()}" in config
            }
        )


@dataclass
class RetentionPlan:
    as_of: datetime
    policy: RetentionPolicy
    closed_cases: list[int] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    cases_to_anonymise: list[int] = field(default_factory=list)
    pending_uploads: list[int] = field(default_factory=list)
    jobs: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.closed_cases or self.rounds or self.pending_uploads or self.jobs)

    def summary(self) -> dict[str, int]:
        return {
            "closed cases deleted": len(self.closed_cases),
            "rounds anonymised": len(self.rounds),
            "sampled cases anonymised": len(self.cases_to_anonymise),
            "pending uploads deleted": len(self.pending_uploads),
            "finished jobs deleted": len(self.jobs),
        }


def _months_before(moment: date, months: int) -> date:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    return date(year, month + 1, min(moment.day, calendar.monthrange(year, month + 1)[1]))


def _round_ends() -> dict[int, datetime]:
    """When each drawn round's period starts: its last published report, else its draw (undrawn rounds hold none)."""
    published = dict(
        db.session.execute(
            select(PublishedReport.round_id, func.max(PublishedReport.published_at)).group_by(PublishedReport.round_id)
        ).all()
    )
    ends: dict[int, datetime] = {}
    for round_id, drawn_at in db.session.execute(
        select(AuditRound.id, AuditRound.drawn_at).where(AuditRound.drawn_at.is_not(None))
    ):
        assert drawn_at is not None, "the query selects drawn rounds only"
        end: datetime = published.get(round_id) or drawn_at
        ends[round_id] = end if end.tzinfo else end.replace(tzinfo=UTC)  # SQLite's max() returns a naive value
    return ends


def plan_retention(policy: RetentionPolicy, *, now: datetime | None = None) -> RetentionPlan:
    """What retention would remove or anonymise at ``now`` (default: the current time). Reads only."""
    now = now or utcnow()
    plan = RetentionPlan(as_of=now, policy=policy)
    sampled_case_ids = select(SampledCase.case_id)
    plan.closed_cases = list(
        db.session.scalars(
            select(Case.id)
            .where(
                Case.status == "closed",
                Case.closure_date < _months_before(now.date(), policy.closed_case_months),
                Case.id.not_in(sampled_case_ids),
            )
            .order_by(Case.id)
        )
    )
    round_cutoff = datetime.combine(_months_before(now.date(), 12 * policy.round_years), now.timetz())
    already = set(db.session.scalars(select(AuditRound.id).where(AuditRound.anonymised_at.is_not(None))))
    expired = {rid for rid, end in _round_ends().items() if end < round_cutoff}
    plan.rounds = sorted(expired - already)
    live_cases = set(db.session.scalars(select(SampledCase.case_id).where(SampledCase.round_id.not_in(expired))))
    expired_cases = set(db.session.scalars(select(SampledCase.case_id).where(SampledCase.round_id.in_(plan.rounds))))
    plan.cases_to_anonymise = sorted(expired_cases - live_cases)
    plan.pending_uploads = list(
        db.session.scalars(
            select(PendingUpload.id).where(
                PendingUpload.created_at < now - timedelta(hours=policy.pending_upload_hours)
            )
        )
    )
    plan.jobs = list(
        db.session.scalars(
            select(Job.id).where(
                Job.status.in_([JobStatus.DONE, JobStatus.FAILED]),
                Job.created_at < now - timedelta(days=policy.job_days),
            )
        )
    )
    return plan


def apply_retention(plan: RetentionPlan) -> RetentionPlan:
    """Carry out ``plan`` (from ``plan_retention``) and record it; the caller commits."""
    if plan.empty:
        return plan
    if plan.closed_cases:
        db.session.execute(
            delete(Case).where(Case.id.in_(plan.closed_cases)), execution_options={"synchronize_session": False}
        )
    new_refs = {}
    for case in db.session.scalars(select(Case).where(Case.id.in_(plan.cases_to_anonymise))):
        new_refs[case.case_ref] = f"{ANONYMOUS_PREFIX}{case.id}"
        case.case_ref, case.date_of_birth, case.worker = new_refs[case.case_ref], None, None
    for audit_round in db.session.scalars(select(AuditRound).where(AuditRound.id.in_(plan.rounds))):
        _anonymise_round(audit_round, plan.as_of, new_refs)
    _rename_in_findings(new_refs)
    if plan.pending_uploads:
        for upload in db.session.scalars(select(PendingUpload).where(PendingUpload.id.in_(plan.pending_uploads))):
            db.session.delete(upload)
    if plan.jobs:
        db.session.execute(delete(Job).where(Job.id.in_(plan.jobs)), execution_options={"synchronize_session": False})
    record_event(
        "retention_applied",
        object_type="retention",
        details={
            "as_of": plan.as_of.isoformat(),
            "policy": asdict(plan.policy),
            **plan.summary(),
            "deleted_case_ids": plan.closed_cases,
            "anonymised_round_ids": plan.rounds,
            "anonymised_case_ids": plan.cases_to_anonymise,
        },
    )
    db.session.flush()
    return plan


def _anonymise_round(audit_round: AuditRound, now: datetime, new_refs: dict[str, str]) -> None:
    """Remove the round's free text, and the case references from its certificate."""
    tools = (get_tool(key=audit_round.tool_key, version=audit_round.tool_version), joint_tool())
    keep = {q.id for tool in tools for q in tool.questions if q.type in ENUMERATED_TYPES or q.type == NUMBER}
    sampled_ids = [s.id for s in audit_round.sampled]
    audits = db.session.scalars(select(AgencyAudit).join(Assignment).where(Assignment.sampled_case_id.in_(sampled_ids)))
    for audit in audits:
        audit.answers = _redacted(audit.answers, keep)
        if audit.moderation_comment:
            audit.moderation_comment = REMOVED
    for joint in db.session.scalars(select(JointDiscussion).where(JointDiscussion.sampled_case_id.in_(sampled_ids))):
        joint.answers = _redacted(joint.answers, keep)
    from auditapp.domain.people_around import redact_people_around  # the worker, manager and family's words

    redact_people_around(sampled_ids, removed=REMOVED)
    for concern in db.session.scalars(
        select(SafeguardingConcern).where(SafeguardingConcern.sampled_case_id.in_(sampled_ids))
    ):
        concern.description = REMOVED
        concern.action_taken = REMOVED if concern.action_taken else None
    for exclusion in audit_round.exclusions:
        exclusion.case_ref, exclusion.reason = "[removed]", REMOVED
    if audit_round.certificate:
        audit_round.certificate = json.dumps(_reduced_certificate(json.loads(audit_round.certificate), new_refs, now))
    audit_round.anonymised_at = now


def _reduced_certificate(certificate: dict[str, Any], new_refs: dict[str, str], now: datetime) -> dict[str, Any]:
    """The certificate without the eligible population, exclusions or replacement lists, and with the sample's
    references anonymised: the counts, seed and population fingerprint stay for the published method section."""

    def ref(case_ref: str) -> str:
        return new_refs.get(case_ref, case_ref)

    return {
        **certificate,
        "anonymised_at": now.isoformat(),
        "how_to_verify": "No longer verifiable: the eligible population was removed under the retention policy.",
        "population": [],
        "exclusions": [],
        "replacement_lists": {name: [] for name in certificate.get("replacement_lists", {})},
        "sample": [ref(r) for r in certificate.get("sample", [])],
        "current_sample": [ref(r) for r in certificate.get("current_sample", [])],
        "sample_by_stratum": {
            name: [ref(r) for r in refs] for name, refs in certificate.get("sample_by_stratum", {}).items()
        },
        "replacement_log": [
            {
                **entry,
                "case_ref_out": ref(entry.get("case_ref_out", "")),
                "case_ref_in": ref(entry.get("case_ref_in", "")),
                "reason": REMOVED,
            }
            for entry in certificate.get("replacement_log", [])
        ],
    }


def _rename_in_findings(new_refs: dict[str, str]) -> None:
    """Findings and actions name cases by reference: they follow the new references, in lists and in their text."""
    if not new_refs:
        return
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(new_refs, key=len, reverse=True))) + r")\b")

    def rename(text: str) -> str:  # called only on text that names a case
        return pattern.sub(lambda match: new_refs[match.group(1)], text)

    for finding in db.session.scalars(select(Finding)):
        if finding.case_refs and set(finding.case_refs) & new_refs.keys():
            finding.case_refs = [new_refs.get(ref, ref) for ref in finding.case_refs]
        for name in ("title", "evidence", "so_what", "recommendation"):
            if (value := getattr(finding, name)) and pattern.search(value):
                setattr(finding, name, rename(value))
        for action in finding.actions:
            if action.description and pattern.search(action.description):
                action.description = rename(action.description)


def _redacted(answers: dict[str, str], keep: Iterable[str]) -> dict[str, str]:
    keep = set(keep)
    return {key: value if key in keep or not value else REMOVED for key, value in (answers or {}).items()}
