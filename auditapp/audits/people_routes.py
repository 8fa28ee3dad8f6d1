"""The people around the child (issue 15): the conversations with the allocated worker and the team manager, the
family's views, and the feedback letter to the worker and manager after the joint discussion.

On the audits blueprint (``audits.routes.bp``); imported in ``app._register_blueprints``. Each page is about one
sampled case: its lead auditor and the QA coordinators may use it; another auditor gets a 404 (as for another
auditor's audit), other roles a 403.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auditapp.audits.people_forms import ConversationForm, FamilyForm, LetterForm, RemoveForm
from auditapp.audits.routes import _is_my_lead, bp
from auditapp.domain import feedback_letter as letter_domain
from auditapp.domain import people_around as people_domain
from auditapp.domain.errors import DomainError
from auditapp.forms import add_domain_error, render_form
from auditapp.models import Role, SampledCase
from auditapp.models.people_around import ConversationKind
from auditapp.models.types import utcnow
from auditapp.reports import documents as _documents  # noqa: F401 - registers the letter, made in the worker
from auditapp.reports.document_jobs import request_document
from auditapp.security.access import requires_role


def _lead_or_qa(user: Any, sampled: SampledCase, **_objects: Any) -> bool:
    """A QA coordinator, or the case's current lead auditor."""
    if user.role == Role.QA_COORDINATOR:
        return True
    return any(_is_my_lead(user, assignment) for assignment in sampled.assignments)


people_access = requires_role(Role.AUDITOR, Role.QA_COORDINATOR, check=_lead_or_qa)


def _back(sampled: SampledCase) -> tuple[str, str]:
    """Where the back link goes: the lead auditor's task list, or the round page for a QA coordinator."""
    if current_user.role == Role.QA_COORDINATOR:
        return url_for("rounds.show", round_id=sampled.round_id), "Back to the round"
    lead = next(a for a in sampled.assignments if _is_my_lead(current_user, a))
    return url_for("audits.task_list", assignment_id=lead.id), "Back to the audit"


def _page(sampled: SampledCase, **context: Any) -> dict[str, Any]:
    back_url, back_text = _back(sampled)
    return {"sampled": sampled, "case": sampled.case, "back_url": back_url, "back_text": back_text, **context}


@bp.route("/cases/<int:sampled_id>/people")
@people_access
def people(sampled: SampledCase):
    """The people around the child: what the worker, the manager and the family said."""
    talks = people_domain.view_people(sampled)
    joint = letter_domain.completed_joint(sampled)
    return render_template(
        "audits/people.html",
        **_page(sampled, talks=talks, kinds=list(ConversationKind), joint_complete=bool(joint)),
    )


_LABELS = {
    ConversationKind.WORKER: ("The allocated worker", "Name of the allocated worker", "For example, social worker"),
    ConversationKind.MANAGER: ("The team manager", "Name of the team manager", "For example, team manager"),
}


def _conversation(sampled: SampledCase, kind: ConversationKind) -> Any:
    existing = people_domain.view_people(sampled).get(kind.value)
    words = people_domain.words_of(existing)
    form_class = FamilyForm if kind == ConversationKind.FAMILY else ConversationForm
    form = form_class(data=asdict(words) if words else None)
    if kind != ConversationKind.FAMILY:
        title, form.name.label.text, form.role.description = _LABELS[kind]
    else:
        title = "The family's views"
    if form.validate_on_submit():
        try:
            _, changed = people_domain.save_conversation(
                sampled, kind=kind.value, words=_words(form), today=utcnow().date()
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"{title} saved" if changed else "Nothing was changed", "success")
            return redirect(url_for("audits.people", sampled_id=sampled.id))
    return render_form(
        "audits/people_conversation.html",
        form,
        **_page(sampled, kind=kind, title=title, existing=existing, max_text=people_domain.MAX_TEXT),
    )


def _words(form: Any) -> people_domain.ConversationWords:
    """The conversation as typed (the family's form has the two extra fields)."""
    family = isinstance(form, FamilyForm)
    return people_domain.ConversationWords(
        name=form.name.data or "",
        role="" if family else form.role.data or "",
        held_on=form.held_on.data,
        method=form.method.data or "",
        said=form.said.data or "",
        sought=form.sought.data or "" if family else "",
        not_sought_reason=form.not_sought_reason.data or "" if family else "",
    )


@bp.route("/cases/<int:sampled_id>/people/worker", methods=["GET", "POST"])
@people_access
def people_worker(sampled: SampledCase):
    return _conversation(sampled, ConversationKind.WORKER)


@bp.route("/cases/<int:sampled_id>/people/manager", methods=["GET", "POST"])
@people_access
def people_manager(sampled: SampledCase):
    return _conversation(sampled, ConversationKind.MANAGER)


@bp.route("/cases/<int:sampled_id>/people/family", methods=["GET", "POST"])
@people_access
def people_family(sampled: SampledCase):
    return _conversation(sampled, ConversationKind.FAMILY)


@bp.route("/cases/<int:sampled_id>/people/remove", methods=["GET", "POST"])
@people_access
def people_remove(sampled: SampledCase):
    """Are you sure? Then remove one conversation (the kind in the query or the form)."""
    kind_text = request.values.get("kind", "")
    talks = people_domain.view_people(sampled)
    if kind_text not in set(ConversationKind) or kind_text not in talks:
        return redirect(url_for("audits.people", sampled_id=sampled.id))  # nothing (left) to remove
    kind, form = ConversationKind(kind_text), RemoveForm()
    if form.validate_on_submit():
        people_domain.remove_conversation(sampled, kind=kind.value)
        flash(f"{kind.label} removed", "success")
        return redirect(url_for("audits.people", sampled_id=sampled.id))
    return render_form("audits/people_remove.html", form, **_page(sampled, kind=kind))


@bp.route("/cases/<int:sampled_id>/feedback-letter", methods=["GET", "POST"])
@people_access
def feedback_letter(sampled: SampledCase):
    """The strengths and learning for the letter to the allocated worker and team manager."""
    joint = letter_domain.completed_joint(sampled)
    words = letter_domain.letter_words(sampled, joint)
    form = LetterForm(data=asdict(words))
    if joint is not None and form.validate_on_submit():
        try:
            changed = letter_domain.save_letter(
                sampled,
                letter_domain.LetterWords(
                    worker_name=form.worker_name.data or "",
                    manager_name=form.manager_name.data or "",
                    strengths=form.strengths.data or "",
                    learning=form.learning.data or "",
                ),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Feedback letter saved" if changed else "Nothing was changed", "success")
            return redirect(url_for("audits.feedback_letter", sampled_id=sampled.id))
    ready = joint is not None and bool(joint.letter_strengths and joint.letter_learning and joint.letter_worker_name)
    return render_form(
        "audits/people_letter.html",
        form,
        **_page(sampled, joint=joint, ready=ready, max_text=people_domain.MAX_TEXT),
    )


@bp.route("/cases/<int:sampled_id>/feedback-letter.pdf", methods=["POST"])
@people_access
def feedback_letter_pdf(sampled: SampledCase):
    """Ask the worker for the feedback letter as a tagged PDF (its download is audited); the job's page offers it.
    Before it can be made, back to the letter page."""
    try:
        letter_domain.letter_for_download(
            sampled, partnership=current_app.config["PARTNERSHIP_NAME"], today=utcnow().date()
        )
    except DomainError as error:
        flash(error.message)
        return redirect(url_for("audits.feedback_letter", sampled_id=sampled.id))
    job = request_document(
        "feedback_letter",
        payload={"sampled_id": sampled.id},
        user_id=current_user.id,
        title="Feedback letter to the worker and manager",
    )
    return redirect(url_for("main.job_status", job_id=job.id))
