"""The moderator's forms: a decision on an audit, and the acknowledgement of a safeguarding concern."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextArea
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from auditapp.forms import choices
from auditapp.vocabulary import ModerationDecision


class AcknowledgeForm(FlaskForm):
    action_taken = TextAreaField(
        "Action taken",
        widget=GovTextArea(),
        description="For example, referred to the duty team on 3 March at 10:15",
        validators=[DataRequired(message="Enter the action taken"), Length(max=5000)],
    )
    submit = SubmitField("Acknowledge the concern", widget=GovSubmitInput())


class ModerationForm(FlaskForm):
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
        validators=[DataRequired(message="Select your decision")],
    )
    grade = SelectField(
        "Moderated grade",
        widget=GovSelect(),
        validators=[Optional()],
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
    comment = TextAreaField(
        "Comment",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=5000)],
        description="Required when you return the audit or re-grade it",
    )
    submit = SubmitField("Save decision", widget=GovSubmitInput())
