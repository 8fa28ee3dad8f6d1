"""Column helpers shared by the models."""

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

#: Another clock, set only by :func:`clock_set_to` (the demo's earlier round plays out on its own dates).
_clock: ContextVar[Callable[[], datetime] | None] = ContextVar("auditapp_clock", default=None)


def utcnow() -> datetime:
    """Now, in UTC: the one clock every domain module, trail row and column default reads."""
    other = _clock.get()
    return other() if other is not None else datetime.now(UTC)


@contextmanager
def clock_set_to(clock: Callable[[], datetime]) -> Iterator[None]:
    """Within the block, :func:`utcnow` answers ``clock()``: for the demo only, never for a request."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(enum_class: type[enum.Enum], length: int = 20) -> Enum:
    """Store an enum by its value ("social_care"), not its Python name, as a VARCHAR with a CHECK-free column."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
