"""Agency audits: opening, saving a section (never silently overwriting), submitting, and the round's progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.telling import joint_discussion_ready
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AgencyAudit, Assignment, AuditRound, Case, SampledCase
from auditapp.models.org import Agency
from auditapp.models.types import utcnow
from auditapp.tools import (
    AuditTool,
    FieldError,
    Proposal,
    Section,
    clean_answers,
    compute_proposals,
    section_status,
    validate_all,
    validate_section,
)
from auditapp.vocabulary import AuditState, SectionStatus

EDITABLE = frozenset({AuditState.NOT_STARTED, AuditState.IN_PROGRESS, AuditState.RETURNED})


class ConflictError(DomainError):
    """Someone saved the audit after this form was loaded: nothing was overwritten."""

    def __init__(self, *, current: dict[str, str], typed: dict[str, str], changed: list[str], version: int) -> None:
        super().__init__("This audit was changed by someone else after you opened it")
        self.current, self.typed, self.changed, self.version = current, typed, changed, version


def tool_for(audit_round: AuditRound) -> AuditTool:
    """The tool version the round pinned (shipped in the package or loaded by an admin)."""
    from auditapp.domain.tool_versions import get_tool

    return get_tool(key=audit_round.tool_key, version=audit_round.tool_version)


def agency_kind_for(assignment: Assignment) -> str | None:
    """The kind of agency whose file ``assignment`` audits: that of the agency named by its ``agency_name``
    (matched whatever its case), else that of the auditor's own agency, else None (unknown: the audit is then
    asked only the questions for every agency)."""
    if assignment.agency_name:
        kind = db.session.scalar(
            select(Agency.kind).where(func.lower(Agency.name) == assignment.agency_name.strip().lower())
        )
        if kind is not None:
            return str(kind)
    agency = assignment.auditor.agency if assignment.auditor else None
    return str(agency.kind) if agency is not None else None


def tool_for_audit(audit: AgencyAudit) -> AuditTool:
    """The round's pinned tool as this agency audit sees it: narrowed to the questions asked of its agency's kind
    (:meth:`AuditTool.for_agency`). Remembered for the rest of the session, like :func:`tool_for`."""
    assignment = audit.assignment
    tool = tool_for(assignment.sampled_case.round)
    if not tool.has_agency_sections:
        return tool  # nothing to narrow (and no agency to look up)
    kind = agency_kind_for(assignment)
    found: dict[tuple[str, int, str | None], AuditTool] = db.session.info.setdefault("auditapp_agency_tools", {})
    if (tool.key, tool.version, kind) not in found:
        found[(tool.key, tool.version, kind)] = tool.for_agency(kind)
    return found[(tool.key, tool.version, kind)]


def case_dates(case: Case) -> dict[str, date | None]:
    """The case's imported dates under the names the tools' computed questions use.

    Only the dates some import provides are here: a date field left out (an initial or core assessment date, the
    first core group) makes a computed question "cannot be computed", where a date here but blank for this case
    is "not recorded for this case" (tools/computed.py).
    """
    return {
        "referral_date": case.referral_date,
        "assessment_start_date": case.assessment_start_date,
        "assessment_completed_date": case.assessment_completed_date,
        # The Annex A and CIN census column "strategy discussion initiating section 47 enquiry start date" is
        # imported as the section 47 start: the strategy discussion that began the enquiry.
        "strategy_discussion_date": case.s47_start_date,
        "initial_child_protection_conference_date": case.icpc_date,
        "cp_plan_start_date": case.cp_plan_start_date,
        "cp_plan_end_date": case.cp_plan_end_date,
        "case_closed_date": case.closure_date,
    }


def proposals_for(audit: AgencyAudit) -> dict[str, Proposal]:
    sampled = audit.assignment.sampled_case
    as_at = sampled.round.drawn_at.date() if sampled.round.drawn_at else utcnow().date()
    return compute_proposals(tool=tool_for_audit(audit), case_dates=case_dates(sampled.case), as_at=as_at)


def _record_view(assignment: Assignment, audit: AgencyAudit) -> None:
    # Before its first save the audit has no row: the event then names the assignment it will belong to.
    if audit.id is None:
        record_event(
            "audit_viewed",
            object_type="assignment",
            object_id=assignment.id,
            details={"case_ref": assignment.sampled_case.case.case_ref, "started": False},
        )
    else:
        record_event(
            "audit_viewed",
            object_type="agency_audit",
            object_id=audit.id,
            details={"case_ref": assignment.sampled_case.case.case_ref},
        )


def view_audit(assignment: Assignment) -> AgencyAudit:
    """The agency audit for ``assignment``, to show; every view is an audit event. Writes no audit row.

    Before the first save there is no row: the audit returned is then a blank one, not in the session, that the
    first :func:`save_section` (or :func:`submit_audit`) stores. So opening a page (a GET) never creates data.
    """
    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
    if audit is None:
        audit = AgencyAudit(assignment_id=assignment.id, state=AuditState.NOT_STARTED, answers={}, version=0)
        # Reachable as audit.assignment, but without the backref: assignment.audit stays None until it is saved.
        set_committed_value(audit, "assignment", assignment)
    _record_view(assignment, audit)
    return audit


def open_audit(assignment: Assignment) -> AgencyAudit:
    """The agency audit for ``assignment``, created if it has no row yet (for the demo data and tests; the web
    shows audits with :func:`view_audit`, which never creates one). Every opening is an audit event."""
    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
    if audit is None:
        audit = AgencyAudit(assignment=assignment, state=AuditState.NOT_STARTED, answers={})
        db.session.add(audit)
        db.session.flush()
    _record_view(assignment, audit)
    return audit


def _store_if_new(audit: AgencyAudit, typed: dict[str, str], keys: set[str]) -> None:
    """Give a blank audit from :func:`view_audit` its row (its first save). Raises ConflictError when another
    request stored the row first (two first saves at once): that one's answers are kept."""
    if not inspect(audit).transient:
        return
    assignment = audit.assignment
    try:
        with db.session.begin_nested():
            db.session.add(audit)
            assignment.audit = audit
            db.session.flush()
    except IntegrityError:  # the unique assignment_id: someone else's first save won
        winner = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
        raise _conflict(winner, typed, keys) from None


def section_states(audit: AgencyAudit, tool: AuditTool, proposals: dict[str, Proposal]) -> dict[str, SectionStatus]:
    return {
        s.id: section_status(tool=tool, section_id=s.id, answers=audit.answers, computed=proposals)
        for s in tool.sections
    }


def incomplete_sections(
    audit: AgencyAudit,
    tool: AuditTool,
    proposals: dict[str, Proposal],
    *,
    states: dict[str, SectionStatus] | None = None,
) -> list[Section]:
    """The sections of the audit that are not complete yet, in tool order (empty: the audit can be submitted).
    ``states``: the :func:`section_states` already worked out for the same audit, tool and proposals."""
    states = states if states is not None else section_states(audit, tool, proposals)
    return [s for s in tool.sections if states[s.id] not in (SectionStatus.COMPLETED, SectionStatus.NOT_NEEDED)]


def _section_keys(tool: AuditTool, section_id: str) -> set[str]:
    section = tool.section(section_id)
    keys = {section.evidence_key}
    for question in section.questions:
        keys |= {question.id, f"{question.id}__override_reason"}
    return keys


def save_section(
    audit: AgencyAudit,
    *,
    section_id: str,
    values: dict[str, str],
    loaded_version: int,
) -> list[FieldError]:
    """Save one section's answers. Returns the section's remaining problems (saving never needs them fixed).

    Raises ConflictError when the audit changed since ``loaded_version`` (checked here and again by the
    database's version column, so two simultaneous saves cannot both win), DomainError when it is read-only.
    """
    if audit.state not in EDITABLE:
        raise DomainError("This audit has been submitted and can no longer be changed")
    tool = tool_for_audit(audit)
    keys = _section_keys(tool, section_id)
    typed = {k: v for k, v in values.items() if k in keys}
    if audit.version != loaded_version:
        raise _conflict(audit, typed, keys)
    _store_if_new(audit, typed, keys)
    merged = {k: v for k, v in audit.answers.items() if k not in keys} | typed
    cleaned = clean_answers(tool=tool, answers=merged)
    changed = sorted(k for k in set(cleaned) | set(audit.answers) if cleaned.get(k) != audit.answers.get(k))
    try:
        # The change is made and flushed inside a savepoint: when the database's version check fails, only the
        # savepoint is undone and the session stays usable (begin_nested flushes earlier changes first).
        with db.session.begin_nested():
            audit.answers = cleaned
            audit.state = AuditState.IN_PROGRESS if audit.state == AuditState.NOT_STARTED else audit.state
            audit.updated_at, audit.updated_by_id = utcnow(), current_actor().user_id
            db.session.flush()
    except StaleDataError:
        # Another save won: read its answers for the conflict page (the 409 response discards the rest).
        db.session.refresh(audit)
        raise _conflict(audit, typed, keys) from None
    record_event(
        "audit_saved",
        object_type="agency_audit",
        object_id=audit.id,
        details={"section": section_id, "changed": changed, "version": audit.version},
    )
    return validate_section(tool=tool, section_id=section_id, answers=cleaned, computed=proposals_for(audit))


def _conflict(audit: AgencyAudit | None, typed: dict[str, str], keys: set[str]) -> ConflictError:
    current = {k: v for k, v in (audit.answers if audit else {}).items() if k in keys}
    changed = sorted(k for k in keys if current.get(k) != typed.get(k) and (current.get(k) or typed.get(k)))
    return ConflictError(current=current, typed=typed, changed=changed, version=audit.version if audit else 0)


def submit_audit(audit: AgencyAudit, *, loaded_version: int) -> list[FieldError]:
    """Submit when every rule of the tool is met; otherwise return every problem and change nothing."""
    if audit.state not in EDITABLE:
        raise DomainError("This audit has already been submitted")
    if audit.version != loaded_version:
        raise _conflict(audit, {}, set(audit.answers))
    tool = tool_for_audit(audit)
    errors = validate_all(tool=tool, answers=audit.answers, computed=proposals_for(audit))
    if errors:
        return errors
    _store_if_new(audit, {}, set(audit.answers))
    audit.state, audit.submitted_at = AuditState.SUBMITTED, utcnow()
    db.session.flush()
    record_event(
        "audit_submitted",
        object_type="agency_audit",
        object_id=audit.id,
        details={"overall_grade": audit.answers.get("overall_grade")},
    )
    joint_discussion_ready(audit.assignment.sampled_case)  # issue 16: the lead auditor, once the last is in
    return []


@dataclass
class CaseProgress:
    sampled: SampledCase
    audits: list[tuple[Assignment, AgencyAudit | None]]
    joint_done: bool

    @property
    def state(self) -> str:
        states = [a.state if a else AuditState.NOT_STARTED for _, a in self.audits]
        states = [s for s in states if s != AuditState.WITHDRAWN]  # closed, never counted
        if not states:
            return "No auditors"
        if self.joint_done:
            return "Joint discussion done"
        for state in (AuditState.RETURNED, AuditState.IN_PROGRESS):
            if state in states:
                return state.label
        if all(s == AuditState.MODERATED for s in states):
            return AuditState.MODERATED.label
        if all(s in (AuditState.SUBMITTED, AuditState.MODERATED) for s in states):
            return AuditState.SUBMITTED.label
        started = any(s != AuditState.NOT_STARTED for s in states)
        return (AuditState.IN_PROGRESS if started else AuditState.NOT_STARTED).label

    def overdue(self, today: date) -> list[Assignment]:
        return [
            a
            for a, audit in self.audits
            if a.due_date and a.due_date < today and (audit is None or audit.state in EDITABLE)
        ]


def round_progress(audit_round: AuditRound) -> list[CaseProgress]:
    """Each current sampled case's state and its audits, for the round page."""
    from auditapp.models import JointDiscussion

    audits = {
        a.assignment_id: a
        for a in db.session.scalars(
            select(AgencyAudit).join(Assignment).join(SampledCase).where(SampledCase.round_id == audit_round.id)
        )
    }
    joint = {
        j.sampled_case_id
        for j in db.session.scalars(
            select(JointDiscussion)
            .join(SampledCase)
            .where(SampledCase.round_id == audit_round.id, JointDiscussion.completed_at.is_not(None))
        )
    }
    return [
        CaseProgress(s, [(a, audits.get(a.id)) for a in s.assignments], s.id in joint)
        for s in audit_round.sampled
        if not s.replaced
    ]


def _answer_label(question_type: str, options: tuple[tuple[str, str], ...], value: str) -> str:
    """The words shown for a stored answer: an option's label, a real date as "15 January 2024", else as typed."""
    if options:
        return dict(options).get(value, value)
    if question_type == "date" and value:
        try:
            return f"{date.fromisoformat(value):%-d %B %Y}"
        except ValueError:
            return value
    return value


def answers_summary(audit: AgencyAudit, tool: AuditTool) -> list[dict[str, Any]]:
    """Rows for check-your-answers: each visible question with its answer label."""
    from auditapp.tools import visible_questions

    rows = []
    for question in visible_questions(tool=tool, answers=audit.answers):
        value = audit.answers.get(question.id, "")
        label = _answer_label(question.type, question.options, value)
        rows.append({"section": question.section_id, "question": question, "value": value, "label": label})
    return rows


@dataclass
class SectionAnswers:
    """One section's answers as the moderator reads them: the questions shown, then the section's evidence."""

    section: Section
    rows: list[dict[str, Any]]
    evidence: str | None


def answers_by_section(audit: AgencyAudit, tool: AuditTool) -> list[SectionAnswers]:
    """The audit's answers grouped by section, in the tool's order, each with its evidence box."""
    rows = answers_summary(audit, tool)
    return [
        SectionAnswers(s, [r for r in rows if r["section"] == s.id], audit.answers.get(s.evidence_key))
        for s in tool.sections
    ]


def record_view(audit: AgencyAudit) -> None:
    """Someone other than the auditor (the moderator) looked at the audit: an audit event."""
    record_event(
        "audit_viewed",
        object_type="agency_audit",
        object_id=audit.id,
        details={"case_ref": audit.assignment.sampled_case.case.case_ref},
    )
