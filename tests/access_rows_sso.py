"""Issue 16 (sso): the routes of this part and who may use them, merged into tests/test_access.py's table (same
notation: a set of roles allowed, or a dict with an answer for every role)."""

from __future__ import annotations

SIGNED_IN = {"admin", "qa_coordinator", "auditor", "board_member", "action_owner"}
EVERYONE = ["anonymous", *sorted(SIGNED_IN)]

ROWS: dict[str, set[str] | dict[str, str]] = {
    # The access test's app has no identity provider configured: every provider name is unknown, for everyone
    # (the sign-in through real providers is tests/test_sso.py's).
    "auth.sso_start": {role: "status 404" for role in EVERYONE},
    "auth.sso_callback": {role: "status 404" for role in EVERYONE},
    "auth.confirm_identity": SIGNED_IN,  # confirm who you are before publishing or changing roles
    "admin.user_approve": {"admin"},  # approving a user created at their first sign-in
}


def extra_objects(org, users) -> dict:
    """The URL arguments this part's routes need (name -> id), made for the access test: a provider's name."""
    return {"name": "no-such-provider"}
