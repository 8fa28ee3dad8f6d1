"""Form helpers shared by every blueprint."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields import SelectChoice

from auditapp.domain.errors import DomainError


def choices(pairs: Iterable[tuple[object, str]], *, blank: str | None = None) -> list[SelectChoice]:
    """WTForms 3.3 choices (tuples are deprecated) from (value, label) pairs, optionally led by a blank."""
    items = [SelectChoice("", blank)] if blank is not None else []
    items += [SelectChoice(str(value), label) for value, label in pairs]
    return items


def add_domain_error(form, error: DomainError) -> None:  # noqa: ANN001 - any FlaskForm
    """Show a domain error on its field (or the form's first field) so the error summary links to it."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        field = next(iter(form))
    field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
