"""Refused requests: what the request was, for the domain to record in the audit trail (``domain.refusals``)."""

from __future__ import annotations

from flask import request

from auditapp.domain.refusals import record_refused_request


def refused(action: str, code: int, **details: object) -> None:
    record_refused_request(
        action,
        status=code,
        method=request.method,
        endpoint=request.endpoint,
        path=request.path,
        view_args=request.view_args or {},
        **details,
    )
