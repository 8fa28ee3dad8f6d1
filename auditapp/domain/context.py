"""Who is acting, from where: set by the web layer per request and by the CLI per command.

The domain layer reads it to write audit events without knowing about Flask's request.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ActorContext:
    user_id: int | None = None
    email: str | None = None
    role: str | None = None
    ip_address: str | None = None
    request_id: str | None = None
    channel: str = "web"


_current: ContextVar[ActorContext | None] = ContextVar("auditapp_actor", default=None)


def current_actor() -> ActorContext:
    """The acting context, or an anonymous one when none was set."""
    return _current.get() or ActorContext(channel="system")


def set_actor(ctx: ActorContext | None) -> None:
    _current.set(ctx)


@contextlib.contextmanager
def acting_as(ctx: ActorContext) -> Iterator[ActorContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def cli_actor(email: str | None = None) -> ActorContext:
    """The context of a command-line operator (the OS user is the accountable person)."""
    import getpass

    try:
        os_user = getpass.getuser()
    except Exception:
        os_user = "unknown"
    return ActorContext(email=email or f"cli:{os_user}", role="cli", request_id=str(uuid.uuid4()), channel="cli")


def worker_actor() -> ActorContext:
    """The context of the worker's own work (sending a message, the sweep): no person, the worker itself."""
    return ActorContext(email="worker", role="worker", request_id=f"worker-{uuid.uuid4()}", channel="worker")
