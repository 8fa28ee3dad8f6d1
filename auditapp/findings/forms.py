"""Forms for findings, actions and their progress."""

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

from auditapp.forms import GovDateField, choices
from auditapp.models import ACTION_STATUSES


class FindingForm(FlaskForm):
    title = StringField(
        "Finding",
        widget=GovTextInput(),
        description="One sentence, for example: Children's wishes are rarely reflected in their plans",
        validators=[DataRequired(message="Enter the finding's title"), Length(max=200)],
    )
    evidence = TextAreaField(
        "Evidence",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=10000)],
        description="What the audits showed",
    )
    question_ids = SelectMultipleField("Questions it rests on", widget=GovCheckboxesInput(), validators=[Optional()])
    case_refs = SelectMultipleField("Cases it rests on", widget=GovCheckboxesInput(), validators=[Optional()])
    so_what = TextAreaField(
        "So what?",
        widget=GovTextArea(),
        description="What difference did our work make to these children, and what does this mean for children now?",
        validators=[DataRequired(message="Enter the 'so what': what this means for children"), Length(max=10000)],
    )
    recommendation = TextAreaField("Recommendation", widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    # The view sets the choices (the active priorities and review learning); none: the field is not shown.
    learning_items = SelectMultipleField(
        "This finding relates to",
        widget=GovCheckboxesInput(),
        description="Partnership priorities and learning from reviews",
        choices=[],
        validators=[Optional()],
    )
    submit = SubmitField("Save finding", widget=GovSubmitInput())


class ActionForm(FlaskForm):
    description = TextAreaField(
        "What will be done",
        widget=GovTextArea(),
        validators=[DataRequired(message="Enter what will be done"), Length(max=5000)],
    )
    agency_id = SelectField(
        "Owning agency", widget=GovSelect(), validators=[DataRequired(message="Select the owning agency")]
    )
    owner_name = StringField(
        "Named owner",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the name of the person who owns the action"), Length(max=120)],
    )
    due_date = GovDateField("Due by", description="For example, 31 3 2027")
    success_measure = TextAreaField(
        "How will we know it worked?",
        widget=GovTextArea(),
        description="The success measure: what we expect to see in children's files, or hear from children and "
        "families, once the action is done. For example, 8 in 10 plans record the child's own words",
        validators=[DataRequired(message="Enter how you will know the action worked"), Length(max=5000)],
    )
    reaudit_date = GovDateField(
        "Re-audit by",
        description="Optional. When to audit again to see whether it worked: after the due date. For example, "
        "30 9 2027",
    )
    submit = SubmitField("Add action", widget=GovSubmitInput())

    def validate_due_date(self, field) -> None:
        if field.data is None and not field.errors:
            from wtforms.validators import ValidationError

            raise ValidationError("Enter the date the action is due")


class UpdateForm(FlaskForm):
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        choices=choices(ACTION_STATUSES.items()),
        validators=[DataRequired(message="Select the action's status")],
    )
    note = TextAreaField(
        "Progress", widget=GovTextArea(), validators=[DataRequired(message="Enter the progress made"), Length(max=5000)]
    )
    submit = SubmitField("Add update", widget=GovSubmitInput())


class EditFindingForm(FindingForm):
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class EditActionForm(ActionForm):
    # Optional here: an action from before issue 15 has none (the domain refuses blanking a recorded one).
    success_measure = TextAreaField(
        "How will we know it worked?",
        widget=GovTextArea(),
        description="The success measure: what we expect to see in children's files, or hear from children and "
        "families, once the action is done",
        validators=[Optional(), Length(max=5000)],
    )
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class DeleteForm(FlaskForm):
    """The POST of a deletion's confirmation page: nothing to fill in, a warning button."""

    submit = SubmitField("Delete", widget=GovSubmitInput())
