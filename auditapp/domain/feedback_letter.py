"""The feedback letter to the allocated worker and team manager after the joint discussion (issue 15).

The letter is about one child and carries only that child's case reference: never the child's name, another
case's reference, the round's sample or any figure. Its words (strengths and learning, the recipients' names) are
stored on the joint discussion; the web layer renders the PDF from :class:`FeedbackLetter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from auditapp.domain import moderation
from auditapp.domain.errors import DomainError
from auditapp.domain.people_around import MAX_NAME, MAX_TEXT, conversations_for, tidy
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import JointDiscussion, SampledCase
from auditapp.models.people_around import ConversationKind
from auditapp.vocabulary import AuditState

GRADE_QUESTION = "jd_overall_grade"


@dataclass(frozen=True)
class LetterWords:
    worker_name: str = ""
    manager_name: str = ""
    strengths: str = ""
    learning: str = ""


@dataclass(frozen=True)
class FeedbackLetter:
    """Everything the letter shows, and nothing more."""

    partnership: str
    case_ref: str
    worker_name: str
    manager_name: str
    strengths: str
    learning: str
    grade_label: str | None
    grade_descriptor: str | None
    panel_date: date | None
    lead_name: str
    lead_agency: str | None
    dated: date


def completed_joint(sampled: SampledCase) -> JointDiscussion | None:
    """The case's joint discussion once it is complete (None before)."""
    joint = moderation.joint_for(sampled)
    return joint if joint is not None and joint.completed_at is not None else None


def letter_words(sampled: SampledCase, joint: JointDiscussion | None) -> LetterWords:
    """The letter's words as saved; until then the recipients' names from the worker and manager conversations."""
    talks = conversations_for(sampled)
    worker, manager = talks.get(ConversationKind.WORKER.value), talks.get(ConversationKind.MANAGER.value)
    return LetterWords(
        worker_name=(joint.letter_worker_name if joint else None) or (worker.name if worker else None) or "",
        manager_name=(joint.letter_manager_name if joint else None) or (manager.name if manager else None) or "",
        strengths=(joint.letter_strengths if joint else None) or "",
        learning=(joint.letter_learning if joint else None) or "",
    )


def _check(words: LetterWords) -> LetterWords:
    words = LetterWords(
        worker_name=tidy(words.worker_name),
        manager_name=tidy(words.manager_name),
        strengths=tidy(words.strengths),
        learning=tidy(words.learning),
    )
    if not words.worker_name:
        raise DomainError("Enter the name of the allocated worker", field="worker_name")
    for name, what in (("worker_name", "The allocated worker's name"), ("manager_name", "The team manager's name")):
        if len(getattr(words, name)) > MAX_NAME:
            raise DomainError(f"{what} must be {MAX_NAME} characters or less", field=name)
    if not words.strengths:
        raise DomainError("Enter the strengths of the work with the child", field="strengths")
    if not words.learning:
        raise DomainError("Enter the learning from the audit", field="learning")
    for name, what in (("strengths", "The strengths"), ("learning", "The learning")):
        if len(getattr(words, name)) > MAX_TEXT:
            raise DomainError(f"{what} must be {MAX_TEXT:,} characters or less", field=name)
    return words


def save_letter(sampled: SampledCase, words: LetterWords) -> list[str]:
    """Write the feedback letter's words; returns the parts changed. Only once the joint discussion is complete.
    Raises DomainError naming the field at fault. Audited ("feedback_letter_saved")."""
    joint = completed_joint(sampled)
    if joint is None:
        raise DomainError("The feedback letter can be written once the joint discussion is complete")
    words = _check(words)
    values = {
        "letter_worker_name": words.worker_name,
        "letter_manager_name": words.manager_name or None,
        "letter_strengths": words.strengths,
        "letter_learning": words.learning,
    }
    changed = [name.removeprefix("letter_") for name, value in values.items() if getattr(joint, name) != value]
    if not changed:
        return []
    for name, value in values.items():
        setattr(joint, name, value)
    db.session.flush()
    record_event(
        "feedback_letter_saved",
        object_type="joint_discussion",
        object_id=joint.id,
        details={"case_ref": sampled.case.case_ref, "changed": changed},
    )
    return changed


def _lead(sampled: SampledCase) -> tuple[str, str | None]:
    """The lead auditor's name and agency (the letter is signed by them)."""
    for assignment in sampled.assignments:
        withdrawn = assignment.audit is not None and assignment.audit.state == AuditState.WITHDRAWN
        if assignment.lead and not withdrawn:
            agency = assignment.auditor.agency.name if assignment.auditor.agency else assignment.agency_name
            return assignment.auditor.name, agency
    return "The lead auditor", None


def letter_for_download(sampled: SampledCase, *, partnership: str, today: date) -> FeedbackLetter:
    """The letter to render, for the complete joint discussion whose letter has been written. Raises DomainError
    before then. Made in the worker (``reports.documents``); its download records :func:`download_trail`."""
    joint = completed_joint(sampled)
    if joint is None:
        raise DomainError("The feedback letter can be written once the joint discussion is complete")
    if not (joint.letter_strengths and joint.letter_learning and joint.letter_worker_name):
        raise DomainError("Write the strengths and the learning before you download the letter")
    grade = joint.answers.get(GRADE_QUESTION)
    scale = moderation.joint_tool().grade_scale
    lead_name, lead_agency = _lead(sampled)
    letter = FeedbackLetter(
        partnership=partnership,
        case_ref=sampled.case.case_ref,
        worker_name=joint.letter_worker_name,
        manager_name=joint.letter_manager_name or "",
        strengths=joint.letter_strengths,
        learning=joint.letter_learning,
        grade_label=scale.label(grade) if grade else None,
        grade_descriptor=scale.descriptor(grade) if grade else None,
        panel_date=joint.panel_date,
        lead_name=lead_name,
        lead_agency=lead_agency,
        dated=today,
    )
    return letter


def download_trail(sampled: SampledCase) -> tuple[str, str, int | None, dict[str, Any]]:
    """The audit-trail event its download records (issue 16: when the file is fetched, not when it is made)."""
    joint = completed_joint(sampled)
    return (
        "feedback_letter_downloaded",
        "joint_discussion",
        joint.id if joint else None,
        {"case_ref": sampled.case.case_ref},
    )
