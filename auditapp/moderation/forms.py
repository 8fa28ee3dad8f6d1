"""The moderator's forms: a decision on an audit, and the acknowledgement of a safeguarding concern."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextArea
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from auditapp.forms import choices
from auditapp.tools import GradeScale
from auditapp.vocabulary import ModerationDecision

MAX_TEXT = 5000


class AcknowledgeForm(FlaskForm):
    action_taken = TextAreaField(
        "Action taken",
        widget=GovTextArea(),
        description="For example, referred to the duty team on 3 March at 10:15",
        validators=[DataRequired(message="Enter the action taken"), Length(max=5000)],
    )
    submit = SubmitField("Acknowledge the concern", widget=GovSubmitInput())


class ModerationForm(FlaskForm):
    """The moderator's decision. The comment belongs to "return" and the grade and reason to "re-grade": each
    is revealed under its radio (GOV.UK conditional reveal), always in the HTML, so the form works without
    JavaScript; the view passes on only the fields of the decision chosen."""

    decision = RadioField(
        "Your decision",
        widget=GovRadioInput(),
        choices=choices(
            [
                (ModerationDecision.AGREED, "Agree with the auditor's judgement"),
                (ModerationDecision.RETURNED, "Return to the auditor with a comment"),
                (ModerationDecision.REGRADED, "Re-grade"),
            ]
        ),
        description="Agree with the auditor, return the audit to them, or give your own grade",
        validators=[DataRequired(message="Select your decision")],
        validate_choice=False,  # an unknown decision is refused by the domain, in words
    )
    comment = TextAreaField(
        "What does the auditor need to change?",
        widget=GovTextArea(),
        validators=[Optional()],
    )
    grade = SelectField(
        "Moderated grade",
        widget=GovSelect(),
        validators=[Optional()],
        validate_choice=False,  # checked by the domain, and only when re-grading
        choices=choices(
            [
                ("outstanding", "Outstanding"),
                ("good", "Good"),
                ("requires_improvement", "Requires improvement"),
                ("inadequate", "Inadequate"),
            ],
            blank="Select a grade",
        ),
    )
    reason = TextAreaField(
        "Why is the grade different?",
        widget=GovTextArea(),
        validators=[Optional()],
    )
    submit = SubmitField("Save decision", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        """The usual checks, then the length of the chosen decision's text only (a hidden field never fails)."""
        valid = super().validate(extra_validators)
        text, _grade = self.chosen()
        returned = self.decision.data == ModerationDecision.RETURNED
        field, name = (self.comment, "comment") if returned else (self.reason, "reason")
        if text and len(text) > MAX_TEXT:
            field.errors = [*field.errors, f"The {name} must be {MAX_TEXT:,} characters or less"]
            valid = False
        return valid

    def chosen(self) -> tuple[str | None, str | None]:
        """The comment and the grade of the decision chosen; the other decisions' fields are ignored."""
        if self.decision.data == ModerationDecision.RETURNED:
            return self.comment.data, None
        if self.decision.data == ModerationDecision.REGRADED:
            return self.reason.data, self.grade.data or None
        return None, None

    def use_scale(self, scale: GradeScale) -> None:
        """Name the grades as the round's tool does (the stored values are always the standard four)."""
        self.grade.choices = choices(scale.options, blank="Select a grade")


class BlindGradeForm(FlaskForm):
    """The moderator's own overall grade in a blind-moderated round, given before the auditor's is shown."""

    blind_grade = RadioField(
        "Your own overall grade",
        widget=GovRadioInput(),
        choices=choices(
            [
                ("outstanding", "Outstanding"),
                ("good", "Good"),
                ("requires_improvement", "Requires improvement"),
                ("inadequate", "Inadequate"),
            ]
        ),
        description="Grade the work with the child from the answers and evidence. You will see the auditor's "
        "grade once yours is saved, and you cannot change yours after that.",
        validators=[DataRequired(message="Select your own grade")],
        validate_choice=False,  # an unknown grade is refused by the domain, in words
    )
    submit = SubmitField("Save my grade and show the auditor's", widget=GovSubmitInput())

    def use_scale(self, scale: GradeScale) -> None:
        """Name the grades as the round's tool does, each with what it means when the tool says."""
        self.blind_grade.choices = choices(scale.options)
