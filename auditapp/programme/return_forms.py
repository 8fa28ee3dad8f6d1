"""Forms of the single-agency audit returns (issue 17): the return itself and the upload of a sheet of returns.

The rules (ranges, the grades' sum, themes, key learning) are the domain's (``returns.problems_of``): the form only
reads whole numbers, so a form and an uploaded sheet are refused for the same reasons in the same words."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import FileField, HiddenField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import ValidationError

from auditapp.forms import GovIntegerField, choices, int_or_none
from auditapp.programme.returns import GRADE_LABELS, LEARNING_MAX, ReturnValues


def _count(label: str, hint: str = "") -> GovIntegerField:
    return GovIntegerField(label, widget=GovTextInput(), description=hint)


class ReturnForm(FlaskForm):
    audited = _count("Number of cases audited", "A whole number from 0 to 10,000")
    outstanding = _count("Graded outstanding")
    good = _count("Graded good")
    requires_improvement = _count("Graded requires improvement")
    inadequate = _count("Graded inadequate")
    known_themes = SelectMultipleField("Themes of the audits", widget=GovCheckboxesInput(), validate_choice=False)
    themes = TextAreaField(
        "Other themes",
        widget=GovTextArea(),
        description="One theme per line, up to 10 themes in all, each up to 120 characters",
    )
    key_learning = TextAreaField(
        "Key learning",
        widget=GovCharacterCount(),
        description="What the audits found, and what will change. Required when any case was audited",
    )
    version = HiddenField()
    submit = SubmitField("Save the return", widget=GovSubmitInput())

    def fill(self, themes: list[str]) -> None:
        """Offer ``themes`` (of existing rounds and returns) as checkboxes."""
        self.known_themes.choices = choices((t, t) for t in themes)

    def values(self) -> ReturnValues:
        lines = (self.themes.data or "").splitlines()
        return ReturnValues(
            audited=self.audited.data,
            grades={grade: getattr(self, grade).data for grade in GRADE_LABELS},
            themes=[*(self.known_themes.data or []), *lines],
            key_learning=self.key_learning.data or "",
        )

    @property
    def version_number(self) -> int | None:
        return int_or_none(self.version.data)


LEARNING_LIMIT = LEARNING_MAX  # the character count's maxlength (template)


class ReturnsUploadForm(FlaskForm):
    file = FileField("Upload a sheet of returns")
    submit = SubmitField("Upload and record the returns", widget=GovSubmitInput())

    def validate_file(self, field) -> None:
        if not getattr(field.data, "filename", ""):
            raise ValidationError("Select a spreadsheet (.xlsx) or CSV file of returns")
