"""The people around the child (issue 15): the lead auditor's conversations with the allocated worker and the
team manager, the family's views, the joint discussion's panel record and the side-by-side answers.

These records hold the child's information: every change and every view is an audit-trail event, written in the
same flush as the change. The feedback letter is in :mod:`auditapp.domain.feedback_letter`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from auditapp.domain import audits as audit_domain
from auditapp.domain import moderation
from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import without_nul
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AgencyAudit, Assignment, JointDiscussion, SampledCase
from auditapp.models.people_around import CaseConversation, ConversationKind, ConversationMethod
from auditapp.models.types import utcnow
from auditapp.tools import AuditTool, FieldError, Question, clean_answers, validate_all
from auditapp.vocabulary import AuditState

MAX_NAME = 200
MAX_TEXT = 5000
MAX_ATTENDEES = 30

#: Who each kind of conversation is with, in the words of the error messages.
_WHO = {
    ConversationKind.WORKER: "the allocated worker",
    ConversationKind.MANAGER: "the team manager",
    ConversationKind.FAMILY: "the family",
}


def tidy(text: str | None) -> str:
    """``text`` without NUL characters (PostgreSQL refuses them) and outer spaces; Windows line ends made plain."""
    return without_nul(text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass(frozen=True)
class ConversationWords:
    """What the form gives for one conversation (not yet checked). ``sought`` ("yes"/"no") and
    ``not_sought_reason`` are for the family only; for the family ``name`` is who gave their views."""

    name: str = ""
    role: str = ""
    held_on: date | None = None
    method: str = ""
    said: str = ""
    sought: str = ""
    not_sought_reason: str = ""


def conversation_kind(kind: str) -> ConversationKind:
    """``kind`` as a ConversationKind; raises DomainError for anything else."""
    try:
        return ConversationKind(kind)
    except ValueError:
        raise DomainError("There is no such conversation") from None


def conversations_for(sampled: SampledCase) -> dict[str, CaseConversation]:
    """The case's recorded conversations by kind (no view event: see :func:`view_people`)."""
    rows = db.session.scalars(select(CaseConversation).where(CaseConversation.sampled_case_id == sampled.id))
    return {row.kind: row for row in rows}


def view_people(sampled: SampledCase) -> dict[str, CaseConversation]:
    """The case's conversations by kind, to show; the view is an audit-trail event (they hold the child's
    information)."""
    record_event(
        "people_around_viewed",
        object_type="case",
        object_id=sampled.case_id,
        details={"case_ref": sampled.case.case_ref, "round_id": sampled.round_id},
    )
    return conversations_for(sampled)


def words_of(conversation: CaseConversation | None) -> ConversationWords | None:
    """A recorded conversation's words, to prefill its form."""
    if conversation is None:
        return None
    sought = "" if conversation.sought is None else ("yes" if conversation.sought else "no")
    return ConversationWords(
        name=conversation.name or "",
        role=conversation.role or "",
        held_on=conversation.held_on,
        method=conversation.method or "",
        said=conversation.said or "",
        sought=sought,
        not_sought_reason=conversation.not_sought_reason or "",
    )


def _too_long(text: str, longest: int, what: str, field: str) -> None:
    if len(text) > longest:
        raise DomainError(f"{what} must be {longest:,} characters or less", field=field)


def _check_held(kind: ConversationKind, words: ConversationWords, *, today: date) -> None:
    """The parts every held conversation needs: who, when, how and what was said."""
    who = _WHO[kind]
    if not words.name:
        missing = (
            "Enter who gave the family's views, for example mother"
            if kind == ConversationKind.FAMILY
            else (f"Enter the name of {who}")
        )
        raise DomainError(missing, field="name")
    _too_long(words.name, MAX_NAME, "The name", "name")
    _too_long(words.role, MAX_NAME, "The role", "role")
    if words.held_on is None:
        raise DomainError(f"Enter the date you spoke to {who}", field="held_on")
    if words.held_on > today:
        raise DomainError(f"The date you spoke to {who} must be today or in the past", field="held_on")
    if words.method not in set(ConversationMethod):
        raise DomainError(f"Select how you spoke to {who}", field="method")
    if not words.said:
        raise DomainError(f"Enter what {who} said", field="said")
    _too_long(words.said, MAX_TEXT, "What they said", "said")


def check_conversation(kind: ConversationKind, words: ConversationWords, *, today: date) -> ConversationWords:
    """The words tidied and checked; for a family whose views were not sought, only the reason is kept. Raises
    DomainError naming the field at fault."""
    words = ConversationWords(
        name=tidy(words.name),
        role=tidy(words.role),
        held_on=words.held_on,
        method=tidy(words.method),
        said=tidy(words.said),
        sought=tidy(words.sought),
        not_sought_reason=tidy(words.not_sought_reason),
    )
    if kind != ConversationKind.FAMILY:
        _check_held(kind, replace(words, sought="", not_sought_reason=""), today=today)
        return replace(words, sought="", not_sought_reason="")
    if words.sought not in ("yes", "no"):
        raise DomainError("Select whether the family's views were sought", field="sought")
    if words.sought == "no":
        if not words.not_sought_reason:
            raise DomainError("Enter why the family's views were not sought", field="not_sought_reason")
        _too_long(words.not_sought_reason, MAX_TEXT, "Why their views were not sought", "not_sought_reason")
        return ConversationWords(sought="no", not_sought_reason=words.not_sought_reason)
    _check_held(kind, words, today=today)
    return replace(words, not_sought_reason="")


def _apply(row: CaseConversation, words: ConversationWords) -> list[str]:
    """Write ``words`` onto ``row``; returns the names of the fields that changed."""
    values = {
        "name": words.name or None,
        "role": words.role or None,
        "held_on": words.held_on,
        "method": words.method or None,
        "said": words.said or None,
        "sought": None if not words.sought else words.sought == "yes",
        "not_sought_reason": words.not_sought_reason or None,
    }
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


def save_conversation(
    sampled: SampledCase, *, kind: str, words: ConversationWords, today: date
) -> tuple[CaseConversation, list[str]]:
    """Record or change the case's conversation of ``kind`` (worker, manager or family). Returns it and the fields
    that changed (none: nothing is recorded). Raises DomainError naming the field at fault. Audited
    ("case_conversation_saved", with the kind and the fields changed; the words are in the record only)."""
    which = conversation_kind(kind)
    words = check_conversation(which, words, today=today)
    row = conversations_for(sampled).get(which.value)
    created = row is None
    if row is None:
        row = CaseConversation(sampled_case_id=sampled.id, kind=which.value)
        db.session.add(row)
    changed = _apply(row, words)
    if not changed and not created:
        return row, []
    row.recorded_by_id, row.recorded_at = current_actor().user_id, utcnow()
    db.session.flush()
    record_event(
        "case_conversation_saved",
        object_type="case",
        object_id=sampled.case_id,
        details={"case_ref": sampled.case.case_ref, "kind": which.value, "new": created, "changed": changed},
    )
    return row, changed


def remove_conversation(sampled: SampledCase, *, kind: str) -> bool:
    """Remove the case's conversation of ``kind``; returns whether there was one. Audited
    ("case_conversation_removed")."""
    which = conversation_kind(kind)
    row = conversations_for(sampled).get(which.value)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    record_event(
        "case_conversation_removed",
        object_type="case",
        object_id=sampled.case_id,
        details={"case_ref": sampled.case.case_ref, "kind": which.value},
    )
    return True


# --- The panel record of the joint discussion --------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    name: str
    role: str
    agency: str

    @property
    def line(self) -> str:
        return f"{self.name}, {self.role}, {self.agency}"


@dataclass(frozen=True)
class PanelWords:
    """The panel record as typed: the date in three parts, the attendees one a line ("Name, role, agency")."""

    day: str = ""
    month: str = ""
    year: str = ""
    attendees: str = ""
    disagreements: str = ""


def panel_words(joint: JointDiscussion | None) -> PanelWords:
    """A recorded panel's words, to prefill the joint discussion page."""
    if joint is None:
        return PanelWords()
    when = joint.panel_date
    return PanelWords(
        day=str(when.day) if when else "",
        month=str(when.month) if when else "",
        year=str(when.year) if when else "",
        attendees="\n".join(a.line for a in attendees_of(joint)),
        disagreements=joint.disagreements or "",
    )


def attendees_of(joint: JointDiscussion | None) -> list[Attendee]:
    """Who attended the panel, as recorded."""
    rows = (joint.attendees if joint else None) or []
    return [Attendee(r.get("name", ""), r.get("role", ""), r.get("agency", "")) for r in rows]


def parse_attendees(text: str) -> tuple[list[Attendee], list[FieldError]]:
    """The attendees typed one a line as "Name, role, agency" (blank lines ignored; a role may hold commas: the
    first part is the name and the last the agency). Returns them and a problem per line at fault."""
    attendees, errors = [], []
    lines = [line.strip() for line in tidy(text).split("\n")]
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 3 or not all(parts):
            errors.append(
                FieldError(
                    "attendees",
                    f"Line {number} of who attended: enter the name, role and agency, separated "
                    "by commas, for example Sam Jones, Team manager, Children's social care",
                )
            )
            continue
        attendee = Attendee(parts[0], ", ".join(parts[1:-1]), parts[-1])
        if max(len(attendee.name), len(attendee.role), len(attendee.agency)) > MAX_NAME:
            errors.append(FieldError("attendees", f"Line {number} of who attended is too long"))
            continue
        attendees.append(attendee)
    if len(attendees) > MAX_ATTENDEES:
        errors.append(FieldError("attendees", f"Enter at most {MAX_ATTENDEES} people who attended"))
    return attendees, errors


def agencies_audited(sampled: SampledCase) -> list[str]:
    """The agencies whose audits of the case stand (a withdrawn audit holds no place), in the order audited."""
    names: list[str] = []
    for assignment in sampled.assignments:
        audit = assignment.audit
        if audit is not None and audit.state == AuditState.WITHDRAWN:
            continue
        if assignment.agency_name and assignment.agency_name not in names:
            names.append(assignment.agency_name)
    return names


def _panel_date(words: PanelWords, *, today: date) -> tuple[date | None, list[FieldError]]:
    parts = (words.day.strip(), words.month.strip(), words.year.strip())
    if not any(parts):
        return None, []
    try:
        when = date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None, [FieldError("panel_date", "The date the panel met must be a real date, for example 27 3 2026")]
    if when > today:
        return None, [FieldError("panel_date", "The date the panel met must be today or in the past")]
    return when, []


def panel_problems(
    sampled: SampledCase, words: PanelWords, *, complete: bool, today: date
) -> tuple[date | None, list[Attendee], list[FieldError]]:
    """The panel date and attendees read from ``words``, with every problem. Completing needs the date and at least
    one attendee from each agency audited."""
    when, errors = _panel_date(words, today=today)
    attendees, row_errors = parse_attendees(words.attendees)
    errors += row_errors
    if len(tidy(words.disagreements)) > MAX_TEXT:
        errors.append(FieldError("disagreements", f"The disagreements must be {MAX_TEXT:,} characters or less"))
    if complete and not errors:
        if when is None:
            errors.append(FieldError("panel_date", "Enter the date the panel met"))
        if not attendees:
            errors.append(FieldError("attendees", "Enter who attended the panel, one person a line"))
        else:
            present = {a.agency.casefold() for a in attendees}
            missing = [name for name in agencies_audited(sampled) if name.casefold() not in present]
            if missing:
                errors.append(
                    FieldError("attendees", f"Enter at least one person who attended from {' and '.join(missing)}")
                )
    return when, attendees, errors


def record_panel(
    sampled: SampledCase, *, answers: dict[str, str], panel: PanelWords, complete: bool, today: date
) -> list[FieldError]:
    """Save the joint discussion (:func:`moderation.record_joint`) with its panel record: the date the panel met,
    who attended and the disagreements. Completing (or changing a completed discussion) needs the date and an
    attendee from each agency audited. Returns every problem; nothing is written when there is one. Audited
    ("joint_discussion_saved" and "panel_record_saved")."""
    existing = moderation.joint_for(sampled)
    strict = complete or bool(existing and existing.completed_at)
    when, attendees, errors = panel_problems(sampled, panel, complete=strict, today=today)
    if errors:
        if complete:  # show the conclusions' problems too, in one go
            errors = moderation_errors(answers) + errors
        return errors
    errors = moderation.record_joint(sampled, answers=answers, complete=complete)
    if errors:
        return errors
    joint = moderation.joint_for(sampled)
    assert joint is not None  # record_joint has just written it
    _write_panel(sampled, joint, when=when, attendees=attendees, disagreements=panel.disagreements)
    return []


def save_panel(sampled: SampledCase, *, panel: PanelWords, today: date) -> list[FieldError]:
    """Record the panel of a joint discussion already saved, leaving its conclusions as they are (the demo data;
    the page uses :func:`record_panel`). A completed discussion needs the date and an attendee from each agency
    audited. Returns the problems; nothing is written when there is one. Audited ("panel_record_saved")."""
    joint = moderation.joint_for(sampled)
    if joint is None:
        raise DomainError("Record the joint discussion before its panel")
    when, attendees, errors = panel_problems(sampled, panel, complete=joint.completed_at is not None, today=today)
    if not errors:
        _write_panel(sampled, joint, when=when, attendees=attendees, disagreements=panel.disagreements)
    return errors


def _write_panel(
    sampled: SampledCase, joint: JointDiscussion, *, when: date | None, attendees: list[Attendee], disagreements: str
) -> None:
    joint.panel_date = when
    joint.attendees = [{"name": a.name, "role": a.role, "agency": a.agency} for a in attendees]
    joint.disagreements = tidy(disagreements) or None
    db.session.flush()
    record_event(
        "panel_record_saved",
        object_type="joint_discussion",
        object_id=joint.id,
        details={
            "case_ref": sampled.case.case_ref,
            "panel_date": when.isoformat() if when else None,
            "attendees": len(attendees),
            "disagreements": bool(joint.disagreements),
        },
    )


def moderation_errors(answers: dict[str, str]) -> list[FieldError]:
    """The problems completing the joint discussion with ``answers`` would have (nothing is written)."""
    tool = moderation.joint_tool()
    return validate_all(tool=tool, answers=clean_answers(tool=tool, answers=answers))


# --- The agencies' answers side by side --------------------------------------------------------------------

NOT_ASKED = "Not asked"


@dataclass(frozen=True)
class SideBySideRow:
    """One question across the agency audits: a cell per audit ("Not asked" when that audit was not asked it),
    and whether the agencies that answered it differ."""

    question: Question
    cells: list[str]
    differ: bool


def side_by_side(tool: AuditTool, audits: list[tuple[Assignment, AgencyAudit]]) -> tuple[list[SideBySideRow], int]:
    """The rows of the side-by-side table for ``tool`` (the round's whole tool) and the number of questions the
    agencies differ on. Answers are compared among the audits that were asked the question and answered it; a
    withdrawn audit is shown but not compared."""
    asked = [{q.id for q in audit_domain.tool_for_audit(audit).questions} for _, audit in audits]
    rows = []
    for question in tool.questions:
        cells, values = [], set()
        for (_, audit), ids in zip(audits, asked, strict=True):
            if question.id not in ids:
                cells.append(NOT_ASKED)
                continue
            value = audit.answers.get(question.id, "")
            cells.append(question.option_label(value) if value else "–")
            if value and audit.state != AuditState.WITHDRAWN:
                values.add(value.strip().casefold() if question.type == "text" else value)
        rows.append(SideBySideRow(question, cells, differ=len(values) > 1 and question.type != "text"))
    return rows, sum(row.differ for row in rows)


def redact_people_around(sampled_ids: list[int], *, removed: str) -> None:
    """Remove the free text of the people around these sampled cases under the retention policy: what the worker,
    manager and family said and who they are, the panel's attendees and disagreements, and the feedback letter's
    words (the panel date and the agreed grade stay). For ``retention._anonymise_round`` to call."""
    talks = db.session.scalars(select(CaseConversation).where(CaseConversation.sampled_case_id.in_(sampled_ids)))
    for talk in talks:
        talk.role = None
        talk.name = removed if talk.name else None
        talk.said = removed if talk.said else None
        talk.not_sought_reason = removed if talk.not_sought_reason else None
    joints = db.session.scalars(select(JointDiscussion).where(JointDiscussion.sampled_case_id.in_(sampled_ids)))
    for joint in joints:
        joint.attendees = [{"name": removed, "role": "", "agency": a.agency} for a in attendees_of(joint)]
        joint.disagreements = removed if joint.disagreements else None
        joint.letter_worker_name = joint.letter_manager_name = None
        joint.letter_strengths = removed if joint.letter_strengths else None
        joint.letter_learning = removed if joint.letter_learning else None
