"""Audit rounds for the QA coordinator: create, see guidance, draw, replace, assign."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from auditapp.domain import cases as case_domain
from auditapp.domain import learning, org, round_views
from auditapp.domain import round_overview as overview
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import RoundSettings, list_rounds
from auditapp.domain.sampling import draw_witnessed, freeze_population
from auditapp.domain.stratum_warning import blank_stratum_warning
from auditapp.domain.tool_versions import DEFAULT_TOOL_KEY
from auditapp.forms import add_domain_error, choices, render_form
from auditapp.models import STRATIFY_FIELDS, AuditRound
from auditapp.rounds.blueprint import bp, coordinator
from auditapp.rounds.forms import (
    AutoAssignForm,
    DrawForm,
    FreezeForm,
    RemoveAssignmentForm,
    RoundForm,
    settings_fields,
    tool_choices,
)
from auditapp.sampling.certificate import certificate_json


@bp.route("/")
@coordinator
def index():
    from auditapp.models.types import utcnow

    rounds = list_rounds()
    return render_template(
        "rounds/index.html", rounds=rounds, progress=overview.progress_by_round(rounds, today=utcnow().date())
    )


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
    form.tool_key.choices = choices(tool_choices().items())
    form.tool_key.data = form.tool_key.data or DEFAULT_TOOL_KEY
    form.learning_items.choices = learning.choice_pairs(learning.choosable_items())
    if form.validate_on_submit():
        settings = RoundSettings(**settings_fields(form), tool_key=form.tool_key.data or DEFAULT_TOOL_KEY)
        try:
            audit_round = learning.create_round_linked(settings, created_by_id=current_user.id)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Round '{audit_round.name}' created")
            return redirect(url_for("rounds.show", round_id=audit_round.id))
    return render_form("rounds/new.html", form)


@bp.route("/<int:round_id>")
@coordinator
def show(round: AuditRound):
    return _show(round)


def _show(round: AuditRound, draw_form: DrawForm | None = None):
    """The round page; with a failed ``draw_form`` its errors are shown and the answer is 400."""
    from auditapp.domain.audits import round_progress, tool_for
    from auditapp.domain.moderation import moderation_agreement, moderation_queue, moderation_setting_refusal
    from auditapp.models.types import utcnow

    today = utcnow().date()
    cases = round_progress(round)
    progress = {p.sampled.id: p for p in cases}
    counts = overview.progress(cases, today=today)
    round_views.view_round(round)
    page = render_template(
        "rounds/show.html",
        form=draw_form,
        freeze_form=FreezeForm(),
        round=round,
        counts=counts,
        next_step=overview.next_step(round, counts),
        waiting=moderation_queue(today=today, round_id=round.id),
        rows=overview.sample_rows(round),
        guidance=(guidance := overview.guidance(round) if round.drawn_at is None else None),  # a population scan
        draw_warning=blank_stratum_warning(guidance.population, round.stratify_by) if guidance else None,
        progress=progress,
        agreement=moderation_agreement(round),
        moderation_refusal=moderation_setting_refusal(round),
        today=today,
        replaced=overview.replaced_rows(round),
        locked=overview.is_locked(round),
        rules=overview.rules(),
        draw_form=draw_form or DrawForm(formdata=None),
        auto_form=AutoAssignForm(),
        remove_form=RemoveAssignmentForm(),
        stratify_label=STRATIFY_FIELDS.get(round.stratify_by, round.stratify_by),
        tool_title=tool_for(round).title,
        round_learning=learning.items_for_round(round),
        reaudit_of=learning.reaudit_origin(round),
    )
    return (page, 400) if draw_form is not None else page


@bp.route("/<int:round_id>/freeze", methods=["POST"])
@coordinator
def freeze(round: AuditRound):
    if FreezeForm().validate_on_submit():
        try:
            freeze_population(round)
        except DomainError as error:
            flash(f"The population was not frozen: {error.message}")
        else:
            flash("Population frozen: show its fingerprint to the witness before the draw", "success")
    return redirect(url_for("rounds.show", round_id=round.id, _anchor="draw"))


@bp.route("/<int:round_id>/draw", methods=["POST"])
@coordinator
def draw(round: AuditRound):
    form = DrawForm()
    if form.validate_on_submit():
        try:
            certificate = draw_witnessed(
                round,
                witness_name=form.witness_name.data or "",
                witness_role=form.witness_role.data or "",
                witness_value=form.witness_value.data or "",
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(
                f"Sample of {len(certificate['sample'])} drawn from {certificate['population_size']} eligible cases",
                "success",
            )
            return redirect(url_for("rounds.show", round_id=round.id))
    return _show(round, draw_form=form)


@bp.route("/<int:round_id>/certificate.json")
@coordinator
def certificate(round: AuditRound):
    try:
        body = certificate_json(round_views.download_certificate(round))
    except DomainError:
        abort(404)
    name = f"sampling-certificate-round-{round.id}.json"
    return Response(body, mimetype="application/json", headers={"Content-Disposition": f"attachment; filename={name}"})


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
