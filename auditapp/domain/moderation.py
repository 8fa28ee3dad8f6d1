"""Moderation of submitted audits, the agreement statistics, and the lead auditor's joint discussion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select

from auditapp.domain.audits import SectionAnswers
from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.telling import audit_returned
from auditapp.domain.telling import joint_ready as joint_ready  # the joint discussion opens (kept here for views)
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AgencyAudit, Assignment, AuditRound, JointDiscussion, Role, SampledCase, User
from auditapp.models.types import utcnow
from auditapp.stats import BlindAgreement, blind_grade_agreement
from auditapp.tools import AuditTool, FieldError, builtin_tool, clean_answers, validate_all
from auditapp.tools.model import GRADE, GRADE_OPTIONS
from auditapp.vocabulary import AuditState, ModerationDecision

DECISIONS = {decision: decision.label for decision in ModerationDecision}
GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
GRADE_LABELS = dict(GRADE_OPTIONS)


def moderate(audit: AgencyAudit, *, decision: str, comment: str | None = None, grade: str | None = None) -> None:
    """Record the moderator's decision on a submitted audit.

    RETURNED needs a comment and makes the audit editable again; REGRADED needs the new grade and the reason;
    AGREED keeps the auditor's grade. Raises DomainError naming the field at fault.
    """
    comment = (comment or "").strip() or None
    if audit.state not in (AuditState.SUBMITTED, AuditState.MODERATED):
        raise DomainError("Only a submitted audit can be moderated", field="decision")
    if blind_pending(audit):
        raise DomainError("Record your own grade before you decide", field="decision")
    if decision not in DECISIONS:
        raise DomainError("Select your decision", field="decision")
    if decision == ModerationDecision.RETURNED and not comment:
        raise DomainError("Enter a comment saying what the auditor needs to change", field="comment")
    if decision == ModerationDecision.REGRADED:
        if grade not in GRADES:
            raise DomainError("Select the moderated grade", field="grade")
        if not comment:
            raise DomainError("Enter the reason for the new grade", field="reason")
    audit.moderation_decision, audit.moderation_comment = decision, comment
    audit.moderated_grade = (
        grade
        if decision == ModerationDecision.REGRADED
        else (audit.answers.get("overall_grade") if decision == ModerationDecision.AGREED else None)
    )
    audit.moderated_by_id, audit.moderated_at = current_actor().user_id, utcnow()
    audit.state = AuditState.RETURNED if decision == ModerationDecision.RETURNED else AuditState.MODERATED
    if decision == ModerationDecision.RETURNED:
        audit.submitted_at = None
    db.session.flush()
    if decision == ModerationDecision.RETURNED:
        audit_returned(audit)  # issue 16: its auditor is told
    record_event(
        "audit_moderated",
        object_type="agency_audit",
        object_id=audit.id,
        details={
            "decision": decision,
            "comment": comment,
            "auditor_grade": audit.answers.get("overall_grade"),
            "moderated_grade": audit.moderated_grade,
        },
    )


@dataclass(frozen=True)
class Waiting:
    """A submitted audit waiting for the moderator, as the coordinator's home page lists it."""

    audit: AgencyAudit
    round_name: str
    case_ref: str
    agency: str | None
    auditor: str
    submitted_at: datetime | None
    days_waiting: int


def moderation_queue(*, today: date, round_id: int | None = None) -> list[Waiting]:
    """Audits submitted and not yet moderated, the longest waiting first (withdrawn audits, replaced cases and
    cancelled rounds are left out), in every round or in ``round_id``'s. ``today`` gives the days waiting."""
    query = (
        select(AgencyAudit)
        .join(Assignment, AgencyAudit.assignment_id == Assignment.id)
        .join(SampledCase, Assignment.sampled_case_id == SampledCase.id)
        .join(AuditRound, SampledCase.round_id == AuditRound.id)
        .where(
            AgencyAudit.state == AuditState.SUBMITTED,
            SampledCase.replaced.is_(False),
            AuditRound.cancelled_at.is_(None),
        )
        .order_by(AgencyAudit.submitted_at, AgencyAudit.id)
    )
    if round_id is not None:
        query = query.where(SampledCase.round_id == round_id)
    waiting = []
    for audit in db.session.scalars(query):
        assignment = audit.assignment
        submitted = audit.submitted_at
        waiting.append(
            Waiting(
                audit=audit,
                round_name=assignment.sampled_case.round.name,
                case_ref=assignment.sampled_case.case.case_ref,
                agency=assignment.agency_name,
                auditor=assignment.auditor.name,
                submitted_at=submitted,
                days_waiting=max(0, (today - submitted.date()).days) if submitted else 0,
            )
        )
    return waiting


def concern_recipients() -> list[str]:
    """The names of the active QA coordinators: the people who see a safeguarding concern when it is raised."""
    query = select(User.name).where(User.role == Role.QA_COORDINATOR, User.active.is_(True)).order_by(User.name)
    return list(db.session.scalars(query))


def blind_pending(audit: AgencyAudit) -> bool:
    """True while the moderator of a blind-moderated round has still to record their own grade for ``audit``:
    until then the auditor's overall grade and grade-bearing answers are hidden from them."""
    round_ = audit.assignment.sampled_case.round
    return bool(round_.blind_moderation) and audit.blind_grade is None and audit.state == AuditState.SUBMITTED


def record_blind_grade(audit: AgencyAudit, *, grade: str | None) -> None:
    """Record the moderator's own overall grade for ``audit`` before they see the auditor's, with the auditor's
    grade at that moment: together a blind pair for :func:`moderation_agreement`. Recorded once; audited.
    Raises DomainError naming the field at fault."""
    if not audit.assignment.sampled_case.round.blind_moderation:
        raise DomainError("This round is not moderated blind", field="grade")
    if audit.blind_grade is not None:
        raise DomainError("Your own grade for this audit has already been recorded", field="grade")
    if audit.state != AuditState.SUBMITTED:
        raise DomainError("Only a submitted audit can be moderated", field="grade")
    if grade not in GRADES:
        raise DomainError("Select your own grade", field="grade")
    audit.blind_grade, audit.blind_auditor_grade = grade, audit.answers.get("overall_grade")
    audit.blind_graded_by_id, audit.blind_graded_at = current_actor().user_id, utcnow()
    db.session.flush()
    record_event(
        "blind_grade_recorded",
        object_type="agency_audit",
        object_id=audit.id,
        details={"case_ref": audit.assignment.sampled_case.case.case_ref, "blind_grade": grade},
    )


def blinded_sections(sections: list[SectionAnswers], tool: AuditTool) -> list[SectionAnswers]:
    """``sections`` without what would show the auditor's grade: every grade answer, and the evidence of a section
    holding one (the auditor's reasons for their grade). What is hidden never reaches the page."""
    graded = {q.section_id for q in tool.questions if q.type == GRADE}
    return [
        SectionAnswers(
            part.section,
            [row for row in part.rows if row["question"].type != GRADE and row["question"].id != "overall_grade"],
            None if part.section.id in graded else part.evidence,
        )
        for part in sections
    ]


def moderation_agreement(audit_round: AuditRound, *, until: datetime | None = None) -> BlindAgreement:
    """Agreement between the moderator's blind grades and the auditors' grades, over the round's blind pairs only
    (a grade recorded before the moderator saw the auditor's; a returned audit's pair counts too), with a
    cluster-bootstrap interval for the quadratic-weighted kappa resampling children. Withdrawn audits and
    replaced cases are left out. A round not moderated blind has no pairs (n = 0).

    With ``until`` (a report as it stood), only the pairs whose blind grade was recorded by then: a pair is made
    whole at that moment (the auditor's grade is kept with it), so a later return or regrade does not change it."""
    query = (
        select(AgencyAudit)
        .join(Assignment)
        .join(SampledCase)
        .where(
            SampledCase.round_id == audit_round.id,
            SampledCase.replaced.is_(False),
            AgencyAudit.state != AuditState.WITHDRAWN,
            AgencyAudit.blind_grade.is_not(None),
            AgencyAudit.blind_auditor_grade.is_not(None),
        )
        .order_by(AgencyAudit.id)
    )
    if until is not None:
        query = query.where(AgencyAudit.blind_graded_at <= until)
    audits = db.session.scalars(query)
    pairs: list[tuple[object, str, str]] = [
        (a.assignment.sampled_case_id, a.blind_auditor_grade or "", a.blind_grade or "") for a in audits
    ]
    return blind_grade_agreement(pairs)


def moderation_setting_refusal(audit_round: AuditRound) -> str | None:
    """Why the round's moderation (blind or open) can no longer change, or None while it can: until an audit of
    the round has been moderated (returned included) or graded blind, so every pair is made one way."""
    if audit_round.cancelled_at is not None:
        return "The round was cancelled, so how its audits are moderated can no longer change"
    started = db.session.scalar(
        select(func.count(AgencyAudit.id))
        .join(Assignment)
        .join(SampledCase)
        .where(
            SampledCase.round_id == audit_round.id,
            or_(AgencyAudit.moderated_at.is_not(None), AgencyAudit.blind_graded_at.is_not(None)),
        )
    )
    if started:
        done = f"{started} audit{' has' if started == 1 else 's have'} already been moderated or graded blind"
        return f"Moderation has begun ({done}), so whether it is blind can no longer change"
    return None


def change_blind_moderation(audit_round: AuditRound, *, blind: bool) -> bool:
    """Make ``audit_round`` moderated blind (or openly), allowed until moderation begins. Returns whether anything
    changed. Raises DomainError (field "blind_moderation") once an audit is moderated or graded blind, or the round
    is cancelled. Audited ("round_moderation_changed")."""
    refusal = moderation_setting_refusal(audit_round)
    if refusal:
        raise DomainError(refusal, field="blind_moderation")
    if bool(audit_round.blind_moderation) == blind:
        return False
    before, audit_round.blind_moderation = bool(audit_round.blind_moderation), blind
    db.session.flush()
    record_event(
        "round_moderation_changed",
        object_type="round",
        object_id=audit_round.id,
        details={"name": audit_round.name, "blind_moderation": [before, blind]},
    )
    return True


def joint_tool() -> AuditTool:
    return builtin_tool(key="joint_discussion")


def joint_for(sampled: SampledCase) -> JointDiscussion | None:
    return db.session.scalar(select(JointDiscussion).where(JointDiscussion.sampled_case_id == sampled.id))


def record_joint(sampled: SampledCase, *, answers: dict[str, str], complete: bool) -> list[FieldError]:
    """Save the lead auditor's joint discussion; with ``complete`` every rule must be met. Returns problems."""
    if not joint_ready(sampled):
        raise DomainError("The joint discussion opens when every agency audit of the case is submitted")
    tool = joint_tool()
    cleaned = clean_answers(tool=tool, answers=answers)
    errors = validate_all(tool=tool, answers=cleaned) if complete else []
    if errors:
        return errors
    joint = joint_for(sampled) or JointDiscussion(sampled_case_id=sampled.id)
    joint.answers, joint.recorded_by_id = cleaned, current_actor().user_id
    joint.completed_at = utcnow() if complete else joint.completed_at
    db.session.add(joint)
    db.session.flush()
    record_event(
        "joint_discussion_saved",
        object_type="joint_discussion",
        object_id=joint.id,
        details={"case_ref": sampled.case.case_ref, "complete": complete},
    )
    return []
