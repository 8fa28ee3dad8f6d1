"""Admin: users, agencies, localities and teams, and the audit trail (audit tools: ``tool_routes``)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from auditapp.admin.forms import (
    AgencyForm,
    ConfirmForm,
    LocalityForm,
    ResetTwoFactorForm,
    SetPasswordForm,
    TeamForm,
    UserForm,
)
from auditapp.domain import org
from auditapp.domain import users as user_domain
from auditapp.domain.assignments import open_assignments
from auditapp.domain.auth import reset_two_factor
from auditapp.domain.errors import DomainError
from auditapp.domain.trail.events import list_events
from auditapp.forms import add_domain_error, choices, int_or_none, page_number, render_form
from auditapp.models import Agency, AgencyKind, AuditorType, Locality, Role, Team, User
from auditapp.security import fresh
from auditapp.security.access import register_loader, requires_role

bp = Blueprint("admin", __name__)
admin_only = requires_role(Role.ADMIN)
for _arg, _model in (("user_id", User), ("agency_id", Agency), ("locality_id", Locality), ("team_id", Team)):
    register_loader(_arg, _model)


def _fill_user_choices(form: UserForm) -> None:
    form.agency_id.choices = choices(((a.id, a.name) for a in org.list_agencies()), blank="Not applicable")
    form.team_id.choices = choices(
        ((t.id, f"{t.name} ({t.agency.name})") for t in org.list_teams()), blank="Not applicable"
    )


@bp.route("/users")
@admin_only
def users():
    return render_template("admin/users.html", users=user_domain.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def user_new():
    form = UserForm()
    _fill_user_choices(form)
    if form.validate_on_submit():
        if form.role.data == Role.ADMIN.value and (stale := fresh.confirm_first()) is not None:  # issue 16
            return stale
        if not form.password.data:
            form.password.errors = ["Enter an initial password"]
        else:
            try:
                user = user_domain.create_user(
                    email=form.email.data,
                    name=form.name.data,
                    role=Role(form.role.data),
                    password=form.password.data,
                    auditor_type=AuditorType(form.auditor_type.data) if form.auditor_type.data else None,
                    agency_id=int_or_none(form.agency_id.data),
                    team_id=int_or_none(form.team_id.data),
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                if not form.active.data:
                    user_domain.set_active(user, active=False)
                flash(f"User {user.email} created")
                return redirect(url_for("admin.users"))
    return render_form("admin/user_form.html", form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def user_edit(user: User):
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    del form.password
    _fill_user_choices(form)
    if request.method == "GET":
        form.role.data = user.role.value
        form.auditor_type.data = user.auditor_type.value if user.auditor_type else None
        form.agency_id.data = str(user.agency_id or "")
        form.team_id.data = str(user.team_id or "")
    if form.validate_on_submit():
        if form.role.data != user.role.value and (stale := fresh.confirm_first()) is not None:  # issue 16
            return stale
        if user.id == current_user.id and (not form.active.data or form.role.data != Role.ADMIN.value):
            form.active.errors = ["You cannot deactivate yourself or remove your own admin role"]
        else:
            try:
                user_domain.update_user(
                    user,
                    name=form.name.data,
                    role=Role(form.role.data),
                    auditor_type=AuditorType(form.auditor_type.data) if form.auditor_type.data else None,
                    agency_id=int_or_none(form.agency_id.data),
                    team_id=int_or_none(form.team_id.data),
                    active=bool(form.active.data),
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                flash(f"User {user.email} updated")
                return redirect(url_for("admin.users"))
    return render_form("admin/user_form.html", form, user=user)


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@admin_only
def user_deactivate(user: User):
    form = ConfirmForm()
    if user.id == current_user.id:
        flash("You cannot deactivate your own account")
        return redirect(url_for("admin.users"))
    if form.validate_on_submit():
        user_domain.set_active(user, active=False)
        flash(f"User {user.email} deactivated: they have been signed out everywhere")
        return redirect(url_for("admin.users"))
    return render_form("admin/confirm_deactivate.html", form, user=user, open_work=open_assignments(user.id))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@admin_only
def user_set_password(user: User):
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user_domain.set_password_by_admin(user, new_password=form.password.data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(
                f"New password set for {user.email}: they have been signed out everywhere and must change it "
                "when they next sign in"
            )
            return redirect(url_for("admin.users"))
    return render_form("admin/user_set_password.html", form, user=user)


@bp.route("/users/<int:user_id>/reset-two-factor", methods=["GET", "POST"])
@admin_only
def user_reset_two_factor(user: User):
    form = ResetTwoFactorForm()
    if not user.totp_secret:
        flash(f"{user.email} has no two-factor authentication to reset")
        return redirect(url_for("admin.users"))
    if form.validate_on_submit():
        reset_two_factor(user, reason=form.reason.data)
        flash(
            f"Two-factor authentication reset for {user.email}: they have been signed out everywhere and will "
            "set up an authenticator app when they next sign in"
        )
        return redirect(url_for("admin.users"))
    return render_form("admin/user_reset_two_factor.html", form, user=user)


@bp.route("/agencies")
@admin_only
def agencies():
    return render_template("admin/agencies.html", agencies=org.list_agencies())


@bp.route("/agencies/new", methods=["GET", "POST"], defaults={"agency_id": None}, endpoint="agency_new")
@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@admin_only
def agency_edit(agency: Agency | None):
    form = AgencyForm(obj=agency) if request.method == "GET" and agency else AgencyForm()
    people = [(u.id, f"{u.name} ({u.email})") for u in user_domain.list_users() if u.active]
    form.safeguarding_lead_id.choices = choices(people, blank="None named")
    form.quality_lead_id.choices = choices(people, blank="None named")  # issue 17
    if request.method == "GET" and agency:
        form.kind.data = agency.kind.value
        form.safeguarding_lead_id.data = str(agency.safeguarding_lead_id or "")
        form.quality_lead_id.data = str(agency.quality_lead_id or "")
    if form.validate_on_submit():
        try:
            saved = org.save_agency(
                agency=agency,
                name=form.name.data,
                kind=AgencyKind(form.kind.data),
                active=bool(form.active.data),
                safeguarding_lead_id=int_or_none(form.safeguarding_lead_id.data),
                password_sign_in=bool(form.password_sign_in.data),
                quality_lead_id=int_or_none(form.quality_lead_id.data),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Agency {saved.name} saved")
            return redirect(url_for("admin.agencies"))
    return render_form("admin/agency_form.html", form, agency=agency)


@bp.route("/localities")
@admin_only
def localities():
    return render_template("admin/localities.html", localities=org.list_localities(), teams=org.list_teams())


@bp.route("/localities/new", methods=["GET", "POST"], defaults={"locality_id": None}, endpoint="locality_new")
@bp.route("/localities/<int:locality_id>", methods=["GET", "POST"])
@admin_only
def locality_edit(locality: Locality | None):
    form = LocalityForm(obj=locality) if request.method == "GET" and locality else LocalityForm()
    if form.validate_on_submit():
        try:
            saved = org.save_locality(locality=locality, name=form.name.data, active=bool(form.active.data))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Locality {saved.name} saved")
            return redirect(url_for("admin.localities"))
    return render_form("admin/locality_form.html", form, locality=locality)


@bp.route("/teams/new", methods=["GET", "POST"], defaults={"team_id": None}, endpoint="team_new")
@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@admin_only
def team_edit(team: Team | None):
    form = TeamForm(obj=team) if request.method == "GET" and team else TeamForm()
    form.agency_id.choices = choices(((a.id, a.name) for a in org.list_agencies()), blank="Select an agency")
    form.locality_id.choices = choices(((loc.id, loc.name) for loc in org.list_localities()), blank="None")
    form.manager_id.choices = choices(((u.id, f"{u.name} ({u.email})") for u in user_domain.list_users()), blank="None")
    if request.method == "GET" and team:
        form.agency_id.data, form.locality_id.data = str(team.agency_id), str(team.locality_id or "")
        form.manager_id.data = str(team.manager_id or "")
    if form.validate_on_submit():
        try:
            saved = org.save_team(
                team=team,
                name=form.name.data,
                agency_id=int(form.agency_id.data),
                locality_id=int_or_none(form.locality_id.data),
                manager_id=int_or_none(form.manager_id.data),
                active=bool(form.active.data),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Team {saved.name} saved")
            return redirect(url_for("admin.localities"))
    return render_form("admin/team_form.html", form, team=team)


@bp.route("/audit-trail")
@admin_only
def audit_trail():
    page, action = page_number(request.args.get("page")), request.args.get("action") or None
    events, total = list_events(page=page, per_page=50, action=action)
    last = max(1, -(-total // 50))
    if page > last:  # beyond the end (page_number keeps the offset a database integer): show the last page
        page = last
        events, total = list_events(page=page, per_page=50, action=action)
    from auditapp.domain.trail.describe import describe

    return render_template("admin/audit_trail.html", events=describe(events), total=total, page=page, per_page=50)


@bp.route("/audit-trail/verify")
@admin_only
def audit_trail_verify():
    """Recompute the hash chain now (the same check as ``auditapp audit-trail verify``); reads only."""
    from auditapp.domain.trail.chain import verify_trail

    return render_template("admin/audit_trail_verify.html", report=verify_trail())
