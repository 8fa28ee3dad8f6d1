"""Audit forms. The questions come from the round's tool, so a section's values are read from the request by
``section_values``; the FlaskForms here carry the CSRF token, the version the page was loaded at and the buttons."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from auditapp.tools import Section


class VersionedForm(FlaskForm):
    version = HiddenField()


def section_values(section: Section, form: MultiDict) -> dict[str, str]:
    """The answers typed on a section page, under the tool's answer keys (dates as ISO text when real)."""
    values: dict[str, str] = {section.evidence_key: form.get(section.evidence_key, "")}
    for question in section.questions:
        if question.type == "date":
            parts = [form.get(f"{question.id}-{p}", "").strip() for p in ("day", "month", "year")]
            try:
                typed = date(int(parts[2]), int(parts[1]), int(parts[0])) if any(parts) else None
                values[question.id] = typed.isoformat() if typed else ""
            except ValueError:
                values[question.id] = "-".join(parts)  # kept as typed: the tool's check names it as not a date
        else:
            values[question.id] = form.get(question.id, "")
        override = f"{question.id}__override_reason"
        if override in form:
            values[override] = form.get(override, "")
    return values


class ConcernForm(FlaskForm):
    description = TextAreaField(
        "What is your concern about the child's safety now?",
        widget=GovTextArea(),
        description="Say what you found and why you think the child may be at risk now. This does not need the "
        "audit to be finished.",
        validators=[DataRequired(message="Describe your concern about the child's safety"), Length(max=5000)],
    )
    submit = SubmitField("Raise the concern", widget=GovSubmitInput())


def who_is_told(names: list[str], *, by_email: bool) -> str:
    """The honest promise of who learns of a concern, and how: the QA coordinators see it on their home page
    (and get an email only when mail is configured). A later issue adds notifications."""
    if not names:
        return (
            "There is no QA coordinator with an account to see it yet: tell your safeguarding lead or the "
            "partnership now"
        )
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    people = f"The QA coordinator ({listed})" if len(names) == 1 else f"The QA coordinators ({listed})"
    how = "will see it on their home page the next time they sign in"
    return f"{people} {how}" + (". They are also sent an email now" if by_email else "")
