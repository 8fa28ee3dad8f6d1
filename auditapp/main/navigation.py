"""Navigation by role: what each kind of user sees in the service navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for

from auditapp.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[Role, ...]
    section: tuple[str, ...] = ()  # endpoint prefixes that highlight this item
    also: Callable[[Any], bool] | None = None  # issue 16: shown too to users of other roles for whom this is true


def _owns_actions(user: Any) -> bool:
    from auditapp.domain.action_progress import owns_actions

    return owns_actions(user)


def _is_quality_lead(user: Any) -> bool:
    from auditapp.programme.returns import is_quality_lead

    return is_quality_lead(user)


# Later blueprints add their entries here.
NAV_ITEMS: list[NavItem] = [
    NavItem("Home", "main.home", tuple(Role)),
    NavItem("Cases", "cases.index", (Role.QA_COORDINATOR,), ("cases.",)),
    NavItem("Audit rounds", "rounds.index", (Role.QA_COORDINATOR,), ("rounds.",)),
    NavItem("Action plan", "findings.action_plan", (Role.QA_COORDINATOR, Role.BOARD_MEMBER), ("findings.action",)),
    NavItem("Reports", "reports.published", (Role.QA_COORDINATOR, Role.BOARD_MEMBER), ("reports.",)),
    NavItem(
        "Programme",
        "programme.dashboard",
        (Role.QA_COORDINATOR, Role.BOARD_MEMBER),
        ("programme.dashboard", "programme.board_page"),
    ),
    NavItem("Users", "admin.users", (Role.ADMIN,), ("admin.user",)),
    NavItem("Agencies", "admin.agencies", (Role.ADMIN,), ("admin.agenc",)),
    NavItem("Localities and teams", "admin.localities", (Role.ADMIN,), ("admin.localit", "admin.team")),
    NavItem("Audit tools", "admin.tools", (Role.ADMIN,), ("admin.tool",)),
    NavItem("Priorities and learning", "admin.learning_items", (Role.ADMIN, Role.QA_COORDINATOR), ("admin.learning",)),
    NavItem("Audit trail", "admin.audit_trail", (Role.ADMIN,), ("admin.audit_trail",)),
    NavItem("Messages", "admin.notifications", (Role.ADMIN,), ("admin.notification",)),  # issue 16
    # Issue 16, actions: the action owner's list; anyone else who owns an action sees it too.
    NavItem("Your actions", "findings.my_actions", (Role.ACTION_OWNER,), ("findings.my_actions",), also=_owns_actions),
    NavItem(
        "Single-agency returns",
        "programme.returns",
        (Role.QA_COORDINATOR,),
        ("programme.return",),
        also=_is_quality_lead,
    ),
]


def navigation_for(user: Any, endpoint: str | None) -> list[dict[str, Any]]:
    """GOV.UK service-navigation items for ``user``; empty when signed out."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    endpoint = endpoint or ""
    return [
        {
            "text": item.label,
            "href": url_for(item.endpoint),
            "active": endpoint == item.endpoint or endpoint.startswith(item.section or ("\0",)),
        }
        for item in NAV_ITEMS
        if user.role in item.roles or (item.also is not None and item.also(user))
    ]
