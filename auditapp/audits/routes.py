"""The auditor's audit: task list, a page per section, check your answers, submit; raising a concern; the lead
auditor's joint discussion."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from auditapp.audits.forms import ConcernForm, VersionedForm, section_values, who_is_told
from auditapp.domain import assignments as assignment_domain
from auditapp.domain import audits as audit_domain
from auditapp.domain import moderation
from auditapp.domain.concerns import raise_concern
from auditapp.domain.errors import DomainError
from auditapp.domain.mail import MailSettings
from auditapp.forms import add_domain_error, int_or_none
from auditapp.models import AgencyKind, Assignment, Role
from auditapp.security.access import register_loader, requires_role
from auditapp.tools import AuditTool, questions_to_ask, waiting_on

bp = Blueprint("audits", __name__)
register_loader("assignment_id", Assignment)


def _is_mine(user, assignment: Assignment, **_objects) -> bool:
    """An auditor reaches only their own current assignments: anything else is a 404 (a withdrawn audit too: it
    was handed on, or closed with its case or auditor changed)."""
    return (
        assignment.auditor_id == user.id
        and not assignment.sampled_case.replaced
        and not assignment_domain.is_withdrawn(assignment)
    )


def _is_my_lead(user, assignment: Assignment, **objects) -> bool:
    return _is_mine(user, assignment) and assignment.lead


own_audit = requires_role(Role.AUDITOR, check=_is_mine)
lead_only = requires_role(Role.AUDITOR, check=_is_my_lead)


def _context(assignment: Assignment) -> dict:
    audit = audit_domain.view_audit(assignment)  # no row until the first save: a GET writes only the view event
    tool = audit_domain.tool_for_audit(audit)  # only the questions asked of this audit's agency
    proposals = audit_domain.proposals_for(audit)
    states = audit_domain.section_states(audit, tool, proposals)  # once: every page shows them
    return {
        "assignment": assignment,
        "audit": audit,
        "tool": tool,
        "proposals": proposals,
        "case": assignment.sampled_case.case,
        "states": states,
        "incomplete": audit_domain.incomplete_sections(audit, tool, proposals, states=states),
        "editable": audit.state in audit_domain.EDITABLE,
        "asked_as": _asked_as(assignment, tool),
    }


def _asked_as(assignment: Assignment, tool: AuditTool) -> str | None:
    """Words for the task list when the tool asks some questions only of some agencies: whose questions these are."""
    if not audit_domain.tool_for(assignment.sampled_case.round).has_agency_sections:
        return None
    if tool.agency_kind is None:
        return "the questions for every agency (the kind of agency audited is not recorded)"
    return f"the questions for every agency and those for {AgencyKind(tool.agency_kind).label.lower()}"


def _loaded_version(form: VersionedForm) -> int:
    """The version the form was loaded at (0 for an audit not saved yet); -1, never matching, when missing."""
    version = int_or_none(form.version.data)
    return -1 if version is None else version


@bp.route("/<int:assignment_id>")
@own_audit
def task_list(assignment: Assignment):
    context = _context(assignment)
    context["joint_ready"] = assignment.lead and moderation.joint_ready(assignment.sampled_case)
    return render_template("audits/task_list.html", **context)


@bp.route("/<int:assignment_id>/section/<section_id>", methods=["GET", "POST"])
@own_audit
def section(assignment: Assignment, section_id: str):
    context = _context(assignment)
    tool, audit = context["tool"], context["audit"]
    try:
        page = tool.section(section_id)
    except KeyError:
        abort(404)
    form, errors = VersionedForm(), []
    answers = dict(audit.answers)
    if request.method == "POST" and form.validate_on_submit() and context["editable"]:
        typed = section_values(page, request.form)
        try:
            errors = audit_domain.save_section(
                audit, section_id=section_id, values=typed, loaded_version=_loaded_version(form)
            )
        except audit_domain.ConflictError as conflict:
            return render_template("audits/conflict.html", conflict=conflict, page=page, **context), 409
        answers = dict(audit.answers) | typed
        if request.form.get("action") == "later":
            flash("Your answers have been saved. You can come back to this audit at any time.", "success")
            return redirect(url_for("audits.task_list", assignment_id=assignment.id))
        if not errors:
            return redirect(url_for("audits.task_list", assignment_id=assignment.id))
    form.version.data = audit.version
    asked = questions_to_ask(tool=tool, section_id=section_id, answers=answers)  # routing answers settle some
    waiting = waiting_on(tool=tool, section_id=section_id, answers=answers)
    return render_template(
        "audits/section.html",
        form=form,
        page=page,
        asked=asked,
        waiting=waiting,
        answers=answers,
        errors=errors,
        **context,
    )


@bp.route("/<int:assignment_id>/check", methods=["GET", "POST"])
@own_audit
def check(assignment: Assignment):
    context = _context(assignment)
    audit, form, errors = context["audit"], VersionedForm(), []
    refused = False
    if request.method == "POST" and form.validate_on_submit() and context["editable"]:
        if context["incomplete"]:
            refused = True  # one clear message naming the sections, not every unanswered question
        else:
            try:
                errors = audit_domain.submit_audit(audit, loaded_version=_loaded_version(form))
            except audit_domain.ConflictError:
                flash("This audit changed since you opened it: check the answers again before you submit")
                return redirect(url_for("audits.check", assignment_id=assignment.id))
            if not errors:
                flash("Audit submitted. Thank you.", "success")
                return redirect(url_for("audits.task_list", assignment_id=assignment.id))
    form.version.data = audit.version
    rows = audit_domain.answers_summary(audit, context["tool"])
    # 200 even when refused: nothing was written, and the view of the audit must stay in the audit trail.
    return render_template("audits/check.html", form=form, rows=rows, errors=errors, refused=refused, **context)


@bp.route("/<int:assignment_id>/concern", methods=["GET", "POST"])
@own_audit
def concern(assignment: Assignment):
    form = ConcernForm()
    by_email = bool(MailSettings.from_config(current_app.config).server or current_app.config.get("NOTIFY_API_KEY"))
    who = who_is_told(moderation.concern_recipients(), by_email=by_email)  # issue 16: messages by Notify or mail
    if form.validate_on_submit():
        try:
            raise_concern(assignment.sampled_case, description=form.description.data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Your concern has been recorded. {who}. If a child is in immediate danger, call 999.", "success")
            return redirect(url_for("audits.task_list", assignment_id=assignment.id))
    return render_template(
        "audits/concern.html", form=form, assignment=assignment, case=assignment.sampled_case.case, who=who
    ), 400 if form.is_submitted() else 200


@bp.route("/<int:assignment_id>/joint", methods=["GET", "POST"])
@lead_only
def joint(assignment: Assignment):
    """The joint discussion as a panel record: the agencies' answers side by side (their differences marked), the
    conclusions agreed, the date the panel met, who attended and the disagreements (issue 15)."""
    from auditapp.domain import people_around  # the panel record's rules (issue 15)
    from auditapp.models.types import utcnow

    sampled = assignment.sampled_case
    if not moderation.joint_ready(sampled):
        flash("The joint discussion opens when every agency audit of this case has been submitted")
        return redirect(url_for("audits.task_list", assignment_id=assignment.id))
    tool, form, errors = moderation.joint_tool(), VersionedForm(), []
    existing = moderation.joint_for(sampled)
    answers = dict(existing.answers) if existing else {}
    panel = people_around.panel_words(existing)
    if request.method == "POST" and form.validate_on_submit():
        answers = {k: v for s in tool.sections for k, v in section_values(s, request.form).items()}
        panel = people_around.PanelWords(
            day=request.form.get("panel_date-day", ""),
            month=request.form.get("panel_date-month", ""),
            year=request.form.get("panel_date-year", ""),
            attendees=request.form.get("attendees", ""),
            disagreements=request.form.get("disagreements", ""),
        )
        complete = request.form.get("action") == "complete"
        errors = people_around.record_panel(
            sampled, answers=answers, panel=panel, complete=complete, today=utcnow().date()
        )
        if not errors:
            flash("Joint discussion completed" if complete else "Joint discussion saved")
            return redirect(url_for("audits.task_list", assignment_id=assignment.id))
    side_by_side = [(a, audit_domain.view_audit(a)) for a in sampled.assignments]
    agency_tool = audit_domain.tool_for(sampled.round)
    rows, differ = people_around.side_by_side(agency_tool, side_by_side)
    return render_template(
        "audits/joint.html",
        form=form,
        tool=tool,
        answers=answers,
        errors=errors,
        assignment=assignment,
        case=sampled.case,
        side_by_side=side_by_side,
        agency_tool=agency_tool,
        rows=rows,
        differ=differ,
        panel=panel,
        agencies=people_around.agencies_audited(sampled),
        max_text=people_around.MAX_TEXT,
    )  # 200: record_joint wrote nothing; keep the views logged
