"""Issue 17 (returns): the routes of this part and who may use them, merged into tests/test_access.py's table (same
notation as tests/access_rows_actions.py). The fixture's auditor is made quality lead of the agency the table's
``agency_id`` names (org.health): any role may be a quality lead; other auditors, the board and action owners
are not, so they get 403. The admin is not a quality lead either."""

from __future__ import annotations

RULE = {
    "anonymous": "login",
    "admin": "forbidden",
    "qa_coordinator": "ok",
    "auditor": "ok",
    "board_member": "forbidden",
    "action_owner": "forbidden",
}

ROWS: dict[str, set[str] | dict[str, str]] = {
    "programme.returns": RULE,
    "programme.return_form": RULE,
    "programme.returns_upload": RULE,
    "programme.returns_template": RULE,
}


def extra_objects(org, users) -> dict:
    """Makes the auditor quality lead of org.health (the table's ``agency_id``); the quarter: the last one."""
    from auditapp.domain import org as org_domain
    from auditapp.domain.quarters import Quarter, uk_date
    from auditapp.models.types import utcnow

    health = org.health
    org_domain.save_agency(
        agency=health,
        name=health.name,
        kind=health.kind,
        active=health.active,
        safeguarding_lead_id=health.safeguarding_lead_id,
        password_sign_in=health.password_sign_in,
        quality_lead_id=users["auditor"].id,
    )
    return {"quarter_key": Quarter.of(uk_date(utcnow())).previous().key}
