"""The forms of the people around the child (issue 15): the conversations with the allocated worker and the team
manager, the family's views, and the feedback letter. The rules (what is required) are the domain's: its errors
name the field and are shown on it."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from auditapp.domain.people_around import MAX_NAME, MAX_TEXT
from auditapp.forms import GovDateField, choices
from auditapp.models.people_around import ConversationMethod

METHODS = choices((method.value, method.label) for method in ConversationMethod)


class ConversationForm(FlaskForm):
    """The conversation with the allocated worker or the team manager; the labels are set per kind."""

    name = StringField("Name", widget=GovTextInput(), validators=[Optional()])
    role = StringField("Role", widget=GovTextInput(), description="For example, social worker", validators=[Optional()])
    held_on = GovDateField("When did you speak to them?", description="For example, 27 3 2026")
    method = RadioField("How did you speak to them?", widget=GovRadioInput(), choices=METHODS, validate_choice=False)
    said = TextAreaField(
        "What did they say?",
        widget=GovCharacterCount(),
        description="Their account of the work with the child: what went well, what was hard, what they would do "
        "differently",
        validators=[Optional()],
    )
    submit = SubmitField("Save the conversation", widget=GovSubmitInput())


class FamilyForm(FlaskForm):
    sought = RadioField(
        "Were the family's views sought?",
        widget=GovRadioInput(),
        choices=choices([("yes", "Yes"), ("no", "No")]),
        validate_choice=False,
    )
    not_sought_reason = TextAreaField(
        "If not, why not?",
        widget=GovCharacterCount(),
        description="For example, the family declined, or contact would have put the child at risk",
        validators=[Optional()],
    )
    name = StringField(
        "Who gave their views?",
        widget=GovTextInput(),
        description="For example, mother, father, the young person",
        validators=[Optional()],
    )
    held_on = GovDateField("When?", description="For example, 27 3 2026")
    method = RadioField("How?", widget=GovRadioInput(), choices=METHODS, validate_choice=False)
    said = TextAreaField(
        "What did they say?",
        widget=GovCharacterCount(),
        description="In their words where you can",
        validators=[Optional()],
    )
    submit = SubmitField("Save the family's views", widget=GovSubmitInput())


class RemoveForm(FlaskForm):
    submit = SubmitField("Yes, remove it", widget=GovSubmitInput())


class LetterForm(FlaskForm):
    worker_name = StringField("The allocated worker's name", widget=GovTextInput(), validators=[Optional()])
    manager_name = StringField(
        "The team manager's name",
        widget=GovTextInput(),
        description="Leave it empty if the letter goes to the worker only",
        validators=[Optional()],
    )
    strengths = TextAreaField(
        "Strengths",
        widget=GovCharacterCount(),
        description="What was done well for the child, in plain words the worker will recognise",
        validators=[Optional()],
    )
    learning = TextAreaField(
        "Learning",
        widget=GovCharacterCount(),
        description="What the panel learnt, and what to do differently with children like this one",
        validators=[Optional()],
    )
    submit = SubmitField("Save the letter", widget=GovSubmitInput())


__all__ = ["MAX_NAME", "MAX_TEXT", "ConversationForm", "FamilyForm", "LetterForm", "RemoveForm"]
