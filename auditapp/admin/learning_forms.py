"""The form for partnership priorities and learning from reviews (issue 15)."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from auditapp.forms import choices
from auditapp.models import LEARNING_KINDS


class LearningItemForm(FlaskForm):
    kind = RadioField(
        "What is it?",
        widget=GovRadioInput(),
        choices=choices(LEARNING_KINDS.items()),
        validators=[DataRequired(message="Select whether this is a partnership priority or learning from a review")],
    )
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="For example, Neglect: recognising cumulative harm",
        validators=[DataRequired(message="Enter the title"), Length(max=200)],
    )
    source = StringField(
        "Where the learning comes from",
        widget=GovTextInput(),
        description="Needed for learning from a review. For example, Child Safeguarding Practice Review: Child K "
        "(2025)",
        validators=[Optional(), Length(max=300)],
    )
    description = TextAreaField(
        "What it asks of practice",
        widget=GovTextArea(),
        description="Optional. A sentence or two that auditors and practitioners will recognise",
        validators=[Optional(), Length(max=5000)],
    )
    active = BooleanField("Offer it for new rounds and findings", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save", widget=GovSubmitInput())


class RetireForm(FlaskForm):
    submit = SubmitField("Retire it", widget=GovSubmitInput())
