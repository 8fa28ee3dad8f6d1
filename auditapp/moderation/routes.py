"""The QA coordinator's side of audits: moderation and acknowledging safeguarding concerns."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from auditapp.domain import audits as audit_domain
from auditapp.domain.concerns import acknowledge, view_concern
from auditapp.domain.errors import DomainError
from auditapp.domain.moderation import (
    DECISIONS,
    blind_pending,
    blinded_sections,
    moderate,
    record_blind_grade,
)
from auditapp.forms import add_domain_error, render_form
from auditapp.models import AgencyAudit, Role, SafeguardingConcern
from auditapp.moderation.forms import AcknowledgeForm, BlindGradeForm, ModerationForm
from auditapp.security.access import register_loader, requires_role

bp = Blueprint("moderation", __name__)
register_loader("audit_id", AgencyAudit)
register_loader("concern_id", SafeguardingConcern)
coordinator = requires_role(Role.QA_COORDINATOR)


@bp.route("/audits/<int:audit_id>", methods=["GET", "POST"])
@coordinator
def moderate_audit(audit: AgencyAudit):
    audit_round = audit.assignment.sampled_case.round
    if blind_pending(audit):
        return _blind_grade(audit)
    tool = audit_domain.tool_for_audit(audit)  # the questions this audit's agency was asked
    form = ModerationForm()
    form.use_scale(tool.grade_scale)
    if form.validate_on_submit():
        comment, grade = form.chosen()  # only the chosen decision's fields: the others may hold stale text
        try:
            moderate(audit, decision=form.decision.data, comment=comment, grade=grade)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Moderation decision saved for case {audit.assignment.sampled_case.case.case_ref}", "success")
            # Back to where the moderator came from: the queue on the home page, or the round page.
            if request.args.get("from") == "home":
                return redirect(url_for("main.home"))
            return redirect(url_for("rounds.show", round_id=audit_round.id))
    audit_domain.record_view(audit)
    return render_template(
        "moderation/moderate.html",
        form=form,
        audit=audit,
        tool=tool,
        sections=audit_domain.answers_by_section(audit, tool),
        decisions=DECISIONS,
        grade_labels=dict(tool.grade_scale.options),
        grades={c.value: c.label for c in form.grade.choices},
        from_home=request.args.get("from") == "home",
        case=audit.assignment.sampled_case.case,
        audit_round=audit_round,
    )  # 200: moderate() checks before writing; the view is kept


def _blind_grade(audit: AgencyAudit):
    """A blind-moderated round: the moderator gives their own grade first; the auditor's grade and grade-bearing
    answers are left out of the page until it is saved."""
    tool = audit_domain.tool_for_audit(audit)
    form = BlindGradeForm()
    form.use_scale(tool.grade_scale)
    audit_round = audit.assignment.sampled_case.round
    if form.validate_on_submit():
        try:
            record_blind_grade(audit, grade=form.blind_grade.data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Your grade is saved. The auditor's grade and answers are now shown.", "success")
            again = url_for("moderation.moderate_audit", audit_id=audit.id)
            return redirect(again + "?from=home" if request.args.get("from") == "home" else again)
    audit_domain.record_view(audit)
    return render_template(
        "moderation/moderate.html",
        form=form,
        blind=True,
        audit=audit,
        tool=tool,
        sections=blinded_sections(audit_domain.answers_by_section(audit, tool), tool),
        decisions=DECISIONS,
        grade_labels=dict(tool.grade_scale.options),
        grades={},
        from_home=request.args.get("from") == "home",
        case=audit.assignment.sampled_case.case,
        audit_round=audit_round,
    )  # 200 as for the decision: the view is kept


@bp.route("/concerns/<int:concern_id>", methods=["GET", "POST"])
@coordinator
def concern(concern: SafeguardingConcern):
    form = AcknowledgeForm()
    if form.validate_on_submit():
        try:
            acknowledge(concern, action_taken=form.action_taken.data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Concern acknowledged and the action recorded")
            return redirect(url_for("main.home"))
    # A refused form is a 400 like every other; the page it re-shows was already audited when it was opened.
    return render_form("moderation/acknowledge.html", form, concern=view_concern(concern))
