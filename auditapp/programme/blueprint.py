"""The programme blueprint (mounted at /programme) and its access rules, shared by the modules that add its pages
(``routes``, ``return_routes``, ``schedule_routes``; each registered in ``app._register_blueprints``)."""

from __future__ import annotations

from flask import Blueprint

from auditapp.models import Role

bp = Blueprint("programme", __name__)

#: The dashboard and its exports: the QA coordinator and the Board.
COORDINATOR_AND_BOARD = (Role.QA_COORDINATOR, Role.BOARD_MEMBER)
