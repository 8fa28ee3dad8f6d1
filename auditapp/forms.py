"""Form helpers shared by every blueprint."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField, IntegerField
from wtforms.fields import SelectChoice

from auditapp.domain.errors import DomainError
from auditapp.security.input_limits import DB_INT_MAX, DB_INT_MIN


def choices(pairs: Iterable[tuple[object, str]], *, blank: str | None = None) -> list[SelectChoice]:
    """WTForms 3.3 choices (tuples are deprecated) from (value, label) pairs, optionally led by a blank."""
    items = [SelectChoice("", blank)] if blank is not None else []
    items += [SelectChoice(str(value), label) for value, label in pairs]
    return items


def add_domain_error(form, error: DomainError) -> None:
    """Show a domain error on its field (or the form's first field) so the error summary links to it."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        field = next(iter(form))
    field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]


MAX_PAGE = 10**6  # far beyond any listing; (page - 1) * per_page stays a database integer for per_page <= 2,000


def int_or_none(value: str | None) -> int | None:
    """``value`` as an integer, or None when it is blank, not a number, or outside the range of the database's
    INTEGER columns (ids, versions): a number the database cannot hold would fail the query, a 500."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):  # including numbers of more than 4,300 digits
        return None
    return number if number is None or DB_INT_MIN <= number <= DB_INT_MAX else None


def page_number(value: str | None) -> int:
    """A ``page`` query argument as a page number from 1 to MAX_PAGE: blank, non-numeric, zero or negative
    values give 1, huge ones MAX_PAGE. Listings then show their last page for anything beyond it."""
    try:
        number = int(value) if value not in (None, "") else 1
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


class GovDateField(DateField):
    """An optional GOV.UK date input (day, month, year) that never fails on missing parts.

    govuk-frontend-wtf's widget unpacks exactly three values: a POST that leaves the field out, or sends fewer
    parts, would otherwise be a 500.
    """

    widget = GovDateInput()

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(label, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        parts = [str(v).strip() for v in (list(valuelist) + ["", "", ""])[:3]]
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        try:
            day, month, year = (int(p) for p in parts)
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(f"{self.label.text} must be a real date, for example 31 3 2026") from None

    def _value(self) -> str:
        return self.data.strftime("%d %m %Y") if self.data else ""


class GovIntegerField(IntegerField):
    """A whole-number field whose error says so in GOV.UK words ("... must be a whole number"), not WTForms'
    "Not a valid integer value."; numbers beyond what the database stores are refused the same way."""

    LIMIT = 2**31 - 1

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).strip().replace(",", "")
        if not text.lstrip("-").isdigit() or len(text) > 10 or abs(int(text)) > self.LIMIT:
            self.data = None
            raise ValueError(f"{self.label.text} must be a whole number, for example 12")
        self.data = int(text)


def render_form(template: str, form: Any, **context: Any) -> tuple[str, int]:
    """Render a form page. A submitted form shown again failed validation: answer 400, so the one commit
    mechanism rolls back anything the request wrote before failing."""
    from flask import render_template

    return render_template(template, form=form, **context), 400 if form.is_submitted() else 200
