"""Admin: partnership priorities and learning from reviews (issue 15). The admin adds, changes and retires them;
the QA coordinator reads the list (they link items to rounds and findings on those pages).

On the admin blueprint (``admin.routes.bp``); registered in ``app._register_blueprints``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from auditapp.admin.learning_forms import LearningItemForm, RetireForm
from auditapp.admin.routes import admin_only, bp
from auditapp.domain import learning
from auditapp.domain.errors import DomainError
from auditapp.forms import add_domain_error, render_form
from auditapp.models import LearningItem, Role
from auditapp.security.access import register_loader, requires_role

register_loader("learning_item_id", LearningItem)


@bp.route("/learning")
@requires_role(Role.ADMIN, Role.QA_COORDINATOR)
def learning_items():
    return render_template("admin/learning.html", items=learning.list_items())


@bp.route("/learning/new", methods=["GET", "POST"], defaults={"learning_item_id": None}, endpoint="learning_new")
@bp.route("/learning/<int:learning_item_id>", methods=["GET", "POST"])
@admin_only
def learning_edit(learning_item: LearningItem | None):
    if request.method == "GET" and learning_item is not None:
        form = LearningItemForm(obj=learning_item)
    else:
        form = LearningItemForm()
    if form.validate_on_submit():
        try:
            saved = learning.save_item(
                learning_item,
                kind=form.kind.data or "",
                title=form.title.data or "",
                description=form.description.data or "",
                source=form.source.data,
                active=bool(form.active.data) if learning_item is not None else True,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"'{saved.title}' saved", "success")
            return redirect(url_for("admin.learning_items"))
    return render_form("admin/learning_form.html", form, item=learning_item)


@bp.route("/learning/<int:learning_item_id>/retire", methods=["GET", "POST"])
@admin_only
def learning_retire(learning_item: LearningItem):
    """A confirmation page; the POST retires the item (its links stay)."""
    form = RetireForm()
    if form.validate_on_submit():
        try:
            learning.retire_item(learning_item)
        except DomainError as error:
            flash(error.message)
        else:
            flash(f"'{learning_item.title}' retired: it is no longer offered for new rounds and findings", "success")
        return redirect(url_for("admin.learning_items"))
    return render_form("admin/learning_retire.html", form, item=learning_item)
