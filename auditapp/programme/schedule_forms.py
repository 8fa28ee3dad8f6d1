"""Forms of the year's audit schedule: a planned round, linking the round that carries it out, dropping it."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from auditapp.forms import choices
from auditapp.programme.schedule import NOTE_MAX, REASON_MAX, THEME_MAX, year_months


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def parse_month(key: str | None) -> date | None:
    """``2026-04`` as 1 April 2026; None for anything else."""
    try:
        year, month = (int(part) for part in (key or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


class PlannedRoundForm(FlaskForm):
    month = SelectField(
        "Month",
        widget=GovSelect(),
        description="The month the round is to start in",
        validators=[DataRequired(message="Select the month the round is to start in")],
        invalid_choice_message="Select the month the round is to start in",
    )
    theme = StringField(
        "Theme",
        widget=GovTextInput(),
        description="For example, Neglect or Domestic abuse. A round with the same theme created in this month is "
        "suggested as the one that carries it out",
        validators=[
            DataRequired(message="Enter the theme of the round"),
            Length(max=THEME_MAX, message=f"The theme must be {THEME_MAX} characters or fewer"),
        ],
    )
    agencies = SelectMultipleField(
        "Agencies taking part",
        widget=GovCheckboxesInput(),
        description="Select all that apply",
        validators=[DataRequired(message="Select at least one agency")],
        invalid_choice_message="Select the agencies from the list",
    )
    note = TextAreaField(
        "Note (optional)",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=NOTE_MAX, message=f"The note must be {NOTE_MAX} characters or fewer")],
    )
    submit = SubmitField("Save the planned round", widget=GovSubmitInput())

    def fill(self, *, years: list[int], agencies: list[str], keep: date | None = None) -> None:
        """The months of the financial ``years`` (and ``keep``, the month a planned round has now) and the
        agencies to choose from."""
        months = sorted({m for year in years for m in year_months(year)} | ({keep} if keep else set()))
        self.month.choices = choices(((month_key(m), f"{m:%B %Y}") for m in months), blank="Select a month")
        self.agencies.choices = choices((a, a) for a in agencies)

    @property
    def month_date(self) -> date | None:
        return parse_month(self.month.data)


class LinkRoundForm(FlaskForm):
    round_id = RadioField(
        "Which round carries out this planned round?",
        widget=GovRadioInput(),
        validators=[DataRequired(message="Select the round that carries out this planned round")],
        invalid_choice_message="Select the round that carries out this planned round",
    )
    submit = SubmitField("Link the round", widget=GovSubmitInput())


class DropPlannedRoundForm(FlaskForm):
    reason = TextAreaField(
        "Why is this planned round being dropped?",
        widget=GovTextArea(),
        description="This is kept with the planned round and shown on the schedule",
        validators=[
            DataRequired(message="Enter why the planned round is being dropped"),
            Length(max=REASON_MAX, message=f"The reason must be {REASON_MAX} characters or fewer"),
        ],
    )
    submit = SubmitField("Drop the planned round", widget=GovSubmitInput())
