"""The application factory."""

from __future__ import annotations

import os
import re
import uuid

from flask import Flask, Response, g, request, send_from_directory
from flask_login import current_user
from flask_wtf import CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from auditapp import unit_of_work
from auditapp.domain.context import ActorContext, set_actor
from auditapp.domain.passwords import configure_hasher
from auditapp.extensions import MIGRATIONS_DIRECTORY, db, make_sqlite_transactional
from auditapp.security import headers, input_limits, sessions, throttle
from auditapp.security.access import public

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
csrf = CSRFProtect()
_REQUEST_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def create_app(config: object | None = None, *, pages: bool = True) -> Flask:
    """Build the app. ``config`` is a config object; by default ``AUDITAPP_ENV`` chooses one (see config.py).

    ``pages=False`` (a command that serves no page, such as ``auditapp report pdf``): the feature blueprints are
    not registered, which saves importing their routes and forms at start-up; everything else is the same."""
    from config import get_config

    app = Flask(
        __name__,
        template_folder=os.path.join(ROOT, "templates"),
        instance_path=os.path.join(ROOT, "instance"),
    )
    app.config.from_object(config or get_config())
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(os.path.join(ROOT, "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    unit_of_work.install()
    db.init_app(app)
    with app.app_context():
        make_sqlite_transactional(db.engine)
    app.config.setdefault(MIGRATIONS_DIRECTORY, os.path.join(ROOT, "migrations"))  # loaded when used: commands
    configure_hasher(**app.config.get("ARGON2_PARAMETERS", {}))
    # First, so the actor context is fresh before any other hook writes (a refused CSRF token or rate limit
    # is recorded with the request's actor and id).
    _register_request_hooks(app)
    csrf.init_app(app)
    throttle.init_app(app)
    sessions.init_app(app)
    headers.init_app(app)

    import auditapp.models  # noqa: F401 - register every table with the metadata

    _register_assets(app)
    input_limits.init_app(app)  # bounded ids and a checked Host header, before any route is registered
    if pages:
        _register_blueprints(app)
    _register_template_globals(app)

    from auditapp import errors
    from auditapp.commands import register_commands

    errors.init_app(app)
    register_commands(app)
    return app


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _actor() -> None:
        # A proxy's request id is kept when it is a UUID (to follow a request through the logs); anything else a
        # client sends is replaced, so the trail never holds a value chosen by the client.
        supplied = request.headers.get("X-Request-ID", "")[:36].lower()
        g.request_id = supplied if _REQUEST_ID.match(supplied) else str(uuid.uuid4())
        user = current_user if current_user.is_authenticated else None
        set_actor(
            ActorContext(
                user_id=user.id if user else None,
                email=user.email if user else None,
                role=user.role.value if user else None,
                ip_address=request.remote_addr,
                request_id=g.request_id,
            )
        )

    @app.teardown_request
    def _forget_actor(_exc: BaseException | None) -> None:
        set_actor(None)  # threads are reused between requests: never leak one user's context into another's

    app.after_request(unit_of_work.finish_request)  # the one place a request commits or rolls back


def _register_assets(app: Flask) -> None:
    dist = app.config["GOVUK_FRONTEND_DIST"]

    @app.route("/assets/<path:filename>", endpoint="govuk_assets")
    @public
    def govuk_assets(filename: str) -> Response:
        return send_from_directory(os.path.join(dist, "assets"), filename)

    @app.route("/govuk/<path:filename>", endpoint="govuk_dist")
    @public
    def govuk_dist(filename: str) -> Response:
        return send_from_directory(dist, filename)


def _register_blueprints(app: Flask) -> None:
    from auditapp.admin import learning_routes as _learning_admin  # noqa: F401 - priorities and review learning
    from auditapp.admin import notification_routes as _delivery_log  # noqa: F401 - issue 16: the messages sent
    from auditapp.admin import sso_routes as _sso_approval  # noqa: F401 - issue 16: approving new SSO users
    from auditapp.admin import tool_routes as _tool_routes  # noqa: F401 - the audit tool pages, on admin
    from auditapp.admin.routes import bp as admin_bp
    from auditapp.audits import people_routes as _people_around  # noqa: F401 - conversations, feedback letter
    from auditapp.audits.routes import bp as audits_bp
    from auditapp.auth import account as _account  # noqa: F401 - the account pages, on the auth blueprint
    from auditapp.auth import notification_prefs as _notification_prefs  # noqa: F401 - issue 16: emails you get
    from auditapp.auth import routes as _sign_in  # noqa: F401 - sign-in and sign-out, on the auth blueprint
    from auditapp.auth import sso as sso_providers
    from auditapp.auth import sso_confirm as _sso_confirm  # noqa: F401 - issue 16: confirm who you are
    from auditapp.auth import sso_routes as _sso_sign_in  # noqa: F401 - issue 16: single sign-on
    from auditapp.auth.blueprint import bp as auth_bp
    from auditapp.cases import mapping_routes as _case_mapping  # noqa: F401 - the worker and team mapping
    from auditapp.cases.routes import bp as cases_bp
    from auditapp.findings import board_routes as _board_statement  # noqa: F401 - the statement for the Board
    from auditapp.findings import change_routes as _finding_changes  # noqa: F401 - editing, deleting findings
    from auditapp.findings import learning_routes as _learning_loop  # noqa: F401 - re-audit rounds, the briefing
    from auditapp.findings import owner_routes as _action_owners  # noqa: F401 - issue 16: your actions, exports
    from auditapp.findings.routes import bp as findings_bp
    from auditapp.main import job_files as _job_files  # noqa: F401 - issue 16: documents made in the worker
    from auditapp.main.routes import bp as main_bp
    from auditapp.moderation.routes import bp as moderation_bp
    from auditapp.programme import return_routes as _returns  # noqa: F401 - issue 17: single-agency returns
    from auditapp.programme import routes as _dashboard  # noqa: F401 - issue 17: the programme dashboard
    from auditapp.programme import schedule_routes as _schedule  # noqa: F401 - issue 17: the audit schedule
    from auditapp.programme.blueprint import bp as programme_bp
    from auditapp.reports.routes import bp as reports_bp
    from auditapp.rounds import lifecycle_routes as _round_changes  # noqa: F401 - editing and cancelling rounds
    from auditapp.rounds import people_routes as _round_people  # noqa: F401 - assigning and changing auditors
    from auditapp.rounds import routes as _rounds  # noqa: F401 - the round pages, on the rounds blueprint
    from auditapp.rounds.blueprint import bp as rounds_bp

    sso_providers.init_app(app)  # issue 16: OIDC_PROVIDERS, checked once at start
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(cases_bp, url_prefix="/cases")
    app.register_blueprint(rounds_bp, url_prefix="/rounds")
    app.register_blueprint(audits_bp, url_prefix="/audits")
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(findings_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(programme_bp, url_prefix="/programme")


def _register_template_globals(app: Flask) -> None:
    from auditapp.main.navigation import navigation_for
    from auditapp.models import STATUS_LABELS

    def radio_items(options: tuple[tuple[str, str], ...], value: str | None) -> list[dict]:
        return [{"value": v, "text": label, "checked": v == value} for v, label in options]

    app.jinja_env.globals["radio_items"] = radio_items
    # A case status code ("cp") in words ("Child protection plan"), wherever a page lists statuses.
    app.jinja_env.filters["status_label"] = lambda code: STATUS_LABELS.get(code, code)
    # Who did something, as recorded by email or "cli:<operator>": the command line is named as such.
    app.jinja_env.filters["person"] = lambda who: (
        f"the command line (operator {who[4:]})" if (who or "").startswith("cli:") else (who or "someone")
    )

    @app.context_processor
    def _globals() -> dict:
        return {
            "service_name": app.config["SERVICE_NAME"],
            "partnership_name": app.config["PARTNERSHIP_NAME"],
            "demo_mode": app.config.get("DEMO_MODE", False),
            "totp_required": app.config.get("TOTP_REQUIRED", False),
            "navigation": navigation_for(current_user, request.endpoint),
        }
