"""Refused requests in the audit trail: a 401, 403 or 404 on something protected, a refused CSRF token, a lock-out
or a rate limit. The web layer says what was refused; this records it, and keeps it even though the request's
answer is an error (see ``trail.events.record_refusal``)."""

from __future__ import annotations

from collections.abc import Mapping

from auditapp.domain.trail.events import record_refusal


def record_refused_request(
    action: str,
    *,
    status: int,
    method: str,
    endpoint: str | None,
    path: str,
    view_args: Mapping[str, object],
    **details: object,
) -> None:
    record_refusal(
        action,
        object_type="request",
        details={
            "status": status,
            "method": method,
            "endpoint": endpoint,
            "path": path[:300],
            "view_args": {k: str(v)[:40] for k, v in view_args.items()},
            **details,
        },
    )
