"""The rounds blueprint, its object loaders and its access rules, shared by the modules that add its pages
(``routes``, and further ``*_routes`` modules, each registered in ``app._register_blueprints``)."""

from __future__ import annotations

from flask import Blueprint

from auditapp.models import Assignment, AuditRound, Role, SampledCase
from auditapp.security.access import register_loader, requires_role

bp = Blueprint("rounds", __name__)
register_loader("round_id", AuditRound)
register_loader("sampled_id", SampledCase)
register_loader("assignment_id", Assignment)


def _same_round(_user, round: AuditRound, **objects) -> bool:
    """Objects in the URL must belong to the round in the URL (else 404)."""
    sampled, assignment = objects.get("sampled"), objects.get("assignment")
    return (sampled is None or sampled.round_id == round.id) and (
        assignment is None or assignment.sampled_case.round_id == round.id
    )


coordinator = requires_role(Role.QA_COORDINATOR)
coordinator_in_round = requires_role(Role.QA_COORDINATOR, check=_same_round)
