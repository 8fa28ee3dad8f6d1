"""Who may use each route: one decorator per rule.

Every view carries exactly one of these decorators (a test walks ``app.url_map`` and fails for any route missing
from the expected-access table or answering differently from it). Order of checks: signed-out users go to the
sign-in page; then every object named in the URL is loaded, so a missing object is a 404 before any 403; then the
rule itself (403 when broken, or 404 where revealing existence would leak, e.g. another auditor's audit).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, redirect, request, url_for
from flask_login import current_user

from auditapp.extensions import db
from auditapp.models import Role
from auditapp.security.refusals import refused

# URL argument name -> model class; blueprints register their own (e.g. "round_id": Round).
_LOADERS: dict[str, type] = {}

PUBLIC = "public"
SIGNED_IN = "signed_in"


def register_loader(arg_name: str, model: type) -> None:
    """Load ``model`` by primary key for every route with an ``<int:arg_name>`` argument."""
    _LOADERS[arg_name] = model


def _load_objects(kwargs: dict[str, Any]) -> dict[str, Any]:
    loaded = dict(kwargs)
    for name, value in kwargs.items():
        model = _LOADERS.get(name)
        if model is None:
            continue
        loaded.pop(name)
        if value is None:  # a "new" route sharing the view of the "edit" one
            loaded[name.removesuffix("_id")] = None
            continue
        obj = db.session.get(model, value)
        if obj is None:
            abort(404)
        loaded[name.removesuffix("_id")] = obj
    return loaded


def _to_sign_in() -> Any:
    if request.view_args:  # a signed-out attempt on a named object (an audit, a case, a user) is recorded
        refused("access_refused", 401)
    return redirect(url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None))


def public(view: Callable) -> Callable:
    """Anyone, signed in or not (sign-in page, assets, health check)."""
    view.access_rule = PUBLIC  # type: ignore[attr-defined]
    return view


def signed_in(view: Callable) -> Callable:
    """Any signed-in user, whatever the role."""

    @wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _to_sign_in()
        return view(**_load_objects(kwargs))

    wrapper.access_rule = SIGNED_IN  # type: ignore[attr-defined]
    return wrapper


def requires_role(*roles: Role, check: Callable[..., bool] | None = None) -> Callable[[Callable], Callable]:
    """Signed-in users with one of ``roles``; others get 403.

    ``check(user, **objects)``, when given, is a further rule on the loaded objects (for example "assigned to
    this case"); when it fails the answer is 404, so the object's existence is not revealed.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return _to_sign_in()
            objects = _load_objects(kwargs)
            if current_user.role not in roles:
                abort(403)
            if check is not None and not check(current_user, **objects):
                abort(404)
            return view(**objects)

        wrapper.access_rule = tuple(role.value for role in roles)  # type: ignore[attr-defined]
        return wrapper

    return decorator
