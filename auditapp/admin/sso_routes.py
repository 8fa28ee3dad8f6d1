"""Admin: approving a user created at their first sign-in through their organisation (issue 16, single sign-on).

Such a user is inactive, an action owner, waiting (``pending_approval``); the users page shows them with an
"Approve" button, which activates the account. On the admin blueprint; registered in ``app._register_blueprints``.
"""

from __future__ import annotations

from flask import flash, redirect, url_for

from auditapp.admin.forms import ConfirmForm
from auditapp.admin.routes import admin_only, bp
from auditapp.domain import sso as sso_domain
from auditapp.models import User


@bp.route("/users/<int:user_id>/approve", methods=["POST"])
@admin_only
def user_approve(user: User):
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The form had expired: press Approve again")
        return redirect(url_for("admin.users")), 400
    if sso_domain.approve(user):
        flash(f"{user.email} approved: they can now sign in as an {user.role.label.lower()}")
    else:
        flash(f"{user.email} was not waiting for approval")
    return redirect(url_for("admin.users"))
