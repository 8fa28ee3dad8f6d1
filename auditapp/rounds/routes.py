"""Audit rounds for the QA coordinator: create, see guidance, draw, replace, assign."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auditapp.domain import assignments as assignment_domain
from auditapp.domain import cases as case_domain
from auditapp.domain import org, round_views
from auditapp.domain import round_overview as overview
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import RoundSettings, create_round, list_rounds
from auditapp.domain.sampling import draw_sample, replace_case
from auditapp.domain.tool_versions import DEFAULT_TOOL_KEY, newest_agency_tools
from auditapp.forms import add_domain_error, choices, int_or_none, render_form
from auditapp.models import STRATIFY_FIELDS, Assignment, AuditRound, SampledCase
from auditapp.rounds.blueprint import bp, coordinator, coordinator_in_round
from auditapp.rounds.forms import (
    AutoAssignForm,
    DrawForm,
    ManualAssignForm,
    RemoveAssignmentForm,
    ReplaceForm,
    RoundForm,
)
from auditapp.sampling.certificate import certificate_json
from auditapp.vocabulary import AuditorType


@bp.route("/")
@coordinator
def index():
    return render_template("rounds/index.html", rounds=list_rounds())


@bp.route("/new", methods=["GET", "POST"])
@coordinator
def new():
    form = RoundForm()
    options = case_domain.filter_options()
    form.localities.choices = choices((v, v) for v in options["locality"])
    form.teams.choices = choices((v, v) for v in options["team"])
    agencies = [a.name for a in org.list_agencies(active_only=True)]
    form.agencies.choices = choices((a, a) for a in agencies)
    form.lead_agency.choices = choices(((a, a) for a in agencies), blank="The first chosen agency")
    form.tool_key.choices = choices(
        (key, f"{t.title} (version {t.version})") for key, t in newest_agency_tools().items()
    )
    form.tool_key.data = form.tool_key.data or DEFAULT_TOOL_KEY
    if form.validate_on_submit():
        settings = RoundSettings(
            name=form.name.data,
            theme=form.theme.data,
            mode=form.mode.data,
            statuses=form.statuses.data or [],
            localities=form.localities.data or [],
            teams=form.teams.data or [],
            open_from=form.open_from.data,
            open_to=form.open_to.data,
            sample_size=form.sample_size.data,
            stratify_by=form.stratify_by.data,
            min_per_stratum=form.min_per_stratum.data,
            exclude_audited_within_months=form.exclude_audited_within_months.data,
            peers_not_from_case_locality=form.peers_not_from_case_locality.data,
            max_load=form.max_load.data,
            agencies=form.agencies.data or [],
            lead_agency=form.lead_agency.data or None,
            due_date=form.due_date.data,
            named_exclusions=form.named_exclusions(),
            tool_key=form.tool_key.data or DEFAULT_TOOL_KEY,
        )
        try:
            audit_round = create_round(settings, created_by_id=current_user.id)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Round '{audit_round.name}' created")
            return redirect(url_for("rounds.show", round_id=audit_round.id))
    return render_form("rounds/new.html", form)


@bp.route("/<int:round_id>")
@coordinator
def show(round: AuditRound):
    from auditapp.domain.audits import round_progress
    from auditapp.domain.moderation import moderation_agreement
    from auditapp.models.types import utcnow

    progress = {p.sampled.id: p for p in round_progress(round)}
    round_views.view_round(round)
    return render_template(
        "rounds/show.html",
        round=round,
        rows=overview.sample_rows(round),
        guidance=overview.guidance(round) if round.drawn_at is None else None,  # a full population scan
        progress=progress,
        agreement=moderation_agreement(round),
        today=utcnow().date(),
        replaced=overview.replaced_rows(round),
        locked=overview.is_locked(round),
        rules=overview.rules(),
        draw_form=DrawForm(),
        auto_form=AutoAssignForm(),
        remove_form=RemoveAssignmentForm(),
        stratify_label=STRATIFY_FIELDS.get(round.stratify_by, round.stratify_by),
    )


@bp.route("/<int:round_id>/draw", methods=["POST"])
@coordinator
def draw(round: AuditRound):
    form = DrawForm()
    if form.validate_on_submit():
        try:
            certificate = draw_sample(round, seed=form.seed.data or None)
        except DomainError as error:
            flash(f"The sample was not drawn: {error.message}")
        else:
            flash(f"Sample of {len(certificate['sample'])} drawn from {certificate['population_size']} eligible cases")
    return redirect(url_for("rounds.show", round_id=round.id))


@bp.route("/<int:round_id>/certificate.json")
@coordinator
def certificate(round: AuditRound):
    try:
        body = certificate_json(round_views.download_certificate(round))
    except DomainError:
        abort(404)
    name = f"sampling-certificate-round-{round.id}.json"
    return Response(body, mimetype="application/json", headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/<int:round_id>/sample/<int:sampled_id>/replace", methods=["GET", "POST"])
@coordinator_in_round
def replace(round: AuditRound, sampled: SampledCase):
    form = ReplaceForm()
    incoming = overview.proposed_replacement(round, sampled.case.case_ref) if not sampled.replaced else None
    if form.validate_on_submit():
        try:
            new_ref = replace_case(round, case_ref=sampled.case.case_ref, reason=form.reason.data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Case {sampled.case.case_ref} replaced by {new_ref}")
            return redirect(url_for("rounds.show", round_id=round.id))
    return render_form("rounds/replace.html", form, round=round, sampled=sampled, incoming=incoming)


@bp.route("/<int:round_id>/assign", methods=["POST"])
@coordinator
def assign_auto(round: AuditRound):
    if AutoAssignForm().validate_on_submit():
        try:
            plan = assignment_domain.assign_automatically(round)
        except DomainError as error:
            flash(error.message)
        else:
            unfilled = "; ".join(
                f"{u.case_ref} ({u.agency or AuditorType.INDEPENDENT}): {u.reason}" for u in plan.unfilled
            )
            flash(
                f"Auditors assigned. Most cases for one auditor: {plan.max_load}."
                + (f" Places not filled: {unfilled}" if unfilled else "")
            )
    return redirect(url_for("rounds.show", round_id=round.id))


def _manual_choices(form: ManualAssignForm, audit_round: AuditRound) -> None:
    form.auditor_id.choices = choices(
        ((u.id, assignment_domain.auditor_label(u)) for u in assignment_domain.active_auditors()),
        blank="Select an auditor",
    )
    agencies = audit_round.agencies or [a.name for a in org.list_agencies(active_only=True)]
    form.agency.choices = choices(((a, a) for a in agencies), blank="Independent (no agency place)")


@bp.route("/<int:round_id>/sample/<int:sampled_id>/assign", methods=["GET", "POST"])
@coordinator_in_round
def assign_manual(round: AuditRound, sampled: SampledCase):
    form = ManualAssignForm()
    _manual_choices(form, round)
    breaches = []
    if form.validate_on_submit():
        auditor_id = int_or_none(form.auditor_id.data)
        try:
            breaches = assignment_domain.check_manual(
                round, sampled, auditor_id=auditor_id, agency=form.agency.data or None, lead=form.lead.data
            ).breaches
            assignment_domain.assign_manually(
                round,
                sampled,
                auditor_id=auditor_id,
                agency=form.agency.data or None,
                lead=form.lead.data,
                justification=form.justification.data,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Auditor assigned to case {sampled.case.case_ref}")
            return redirect(url_for("rounds.show", round_id=round.id))
    return render_form(
        "rounds/assign.html", form, round=round, sampled=sampled, breaches=breaches, rules=overview.rules()
    )


@bp.route("/<int:round_id>/assignments/<int:assignment_id>/remove", methods=["POST"])
@coordinator_in_round
def remove_assignment(round: AuditRound, assignment: Assignment):
    if RemoveAssignmentForm().validate_on_submit():
        assignment_domain.unassign(assignment, reason=request.form.get("reason") or "")
        flash("Assignment removed")
    return redirect(url_for("rounds.show", round_id=round.id))


@bp.route("/<int:round_id>/export.<fmt>")
@coordinator
def export(round: AuditRound, fmt: str):
    from auditapp.domain.answers_export import FORMATS, export_round

    if fmt not in FORMATS:
        abort(404)
    mimetypes = {
        "csv": "text/csv",
        "json": "application/json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    return Response(
        export_round(round, fmt=fmt),
        mimetype=mimetypes[fmt],
        headers={"Content-Disposition": f"attachment; filename=round-{round.id}-answers.{fmt}"},
    )
