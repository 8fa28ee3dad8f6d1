"""auditapp: multi-agency case-file audits for a safeguarding children partnership.

This package's ``__init__`` imports nothing, so that the standard-library-only parts (the sampling
verifier: ``python -m auditapp.sampling.verify``) run without Flask. ``create_app`` is loaded on first use.
"""

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from auditapp.app import create_app

        return create_app
    raise AttributeError(name)
