"""Recording refused requests in the audit trail: a 401, 403 or 404 on something protected, a refused CSRF token,
a lock-out or a rate limit. The record is written even though the answer is an error (see ``record_refusal``)."""

from __future__ import annotations

from flask import request

from auditapp.domain.audit_trail import record_refusal


def refused(action: str, code: int, **details: object) -> None:
    view_args = {k: str(v)[:40] for k, v in (request.view_args or {}).items()}
    record_refusal(
        action,
        object_type="request",
        details={
            "status": code,
            "method": request.method,
            "endpoint": request.endpoint,
            "path": request.path[:300],
            "view_args": view_args,
            **details,
        },
    )
