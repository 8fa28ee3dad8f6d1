"""Forms for changing the people on a round's cases: another auditor, removing one, confirming automatic
assignment."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextArea
from wtforms import HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from auditapp.forms import choices

KEEP, START_AGAIN = "keep", "start_again"


class ChangeAuditorForm(FlaskForm):
    auditor_id = SelectField(
        "Who should take over this audit?",
        widget=GovSelect(),
        validators=[DataRequired(message="Select the auditor to take over this audit")],
    )
    answers = RadioField(
        "What should happen to the audit so far?",
        widget=GovRadioInput(),
        choices=choices(
            [
                (KEEP, "Keep it: the new auditor carries on from the answers saved so far"),
                (
                    START_AGAIN,
                    "Start again: withdraw this audit (its answers are kept for the record), start a new one",
                ),
            ]
        ),
        default=KEEP,
        validators=[DataRequired(message="Select what should happen to the audit so far")],
    )
    justification = TextAreaField(
        "Justification",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=2000)],
        description="Required when the new auditor breaks a conflict-of-interest rule",
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class StartAgainForm(FlaskForm):
    justification = TextAreaField(
        "Justification",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=2000)],
        description="Required because the new auditor breaks a conflict-of-interest rule",
    )
    submit = SubmitField("Withdraw the audit and start again", widget=GovSubmitInput())


class ConfirmRemoveForm(FlaskForm):
    reason = TextAreaField(
        "Why is this auditor being removed? (optional)",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=500)],
    )
    submit = SubmitField("Remove the auditor", widget=GovSubmitInput())


class ConfirmAutoAssignForm(FlaskForm):
    proposal = HiddenField(validators=[DataRequired(message="Check the proposal, then confirm it"), Length(max=64)])
    submit = SubmitField("Confirm and assign these auditors", widget=GovSubmitInput())
