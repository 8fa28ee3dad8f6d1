"""The cases blueprint and its access rule, shared by the modules that add its pages (``routes`` and
``mapping_routes``, each registered in ``app._register_blueprints``)."""

from __future__ import annotations

from flask import Blueprint

from auditapp.models import Case, Role
from auditapp.security.access import register_loader, requires_role

bp = Blueprint("cases", __name__)
coordinator = requires_role(Role.QA_COORDINATOR)
register_loader("case_id", Case)
