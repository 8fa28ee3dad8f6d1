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
from auditapp.vocabulary import Rag


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
    # Issue 16: the owner is a user (any role), labelled with their agency; the view sets the choices.
    owner_id = SelectField(
        "Owner",
        widget=GovSelect(),
        description="The person who records the action's progress. They need an account: ask the admin to add one",
        validators=[DataRequired(message="Select the person who owns the action")],
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


RAG_MISSING = "Select a RAG rating: red, amber or green"


class UpdateForm(FlaskForm):
    note = TextAreaField(
        "Progress", widget=GovTextArea(), validators=[DataRequired(message="Enter the progress made"), Length(max=5000)]
    )
    evidence = TextAreaField(
        "Evidence",
        widget=GovTextArea(),
        description="Optional. What shows the progress and where it can be seen, for example: the revised "
        "procedure on the partnership website, or the training attendance list held by the learning team",
        validators=[Optional(), Length(max=5000)],
    )
    rag = RadioField(
        "RAG rating",
        widget=GovRadioInput(),
        choices=choices((r.value, r.label) for r in Rag),
        validators=[DataRequired(message=RAG_MISSING)],
        validate_choice=False,  # a value not offered gets the same clear message (below), not "Not a valid choice"
    )
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        choices=choices(ACTION_STATUSES.items()),
        validators=[DataRequired(message="Select the action's status")],
        validate_choice=False,
    )
    submit = SubmitField("Add update", widget=GovSubmitInput())

    def validate_rag(self, field) -> None:
        if field.data not in {r.value for r in Rag}:
            from wtforms.validators import StopValidation

            raise StopValidation(RAG_MISSING)

    def validate_status(self, field) -> None:
        if field.data not in ACTION_STATUSES:
            from wtforms.validators import StopValidation

            raise StopValidation("Select the action's status")


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
    # Optional here: an action from before issue 16 is named only; left blank, it keeps its named owner.
    owner_id = SelectField("Owner", widget=GovSelect(), validators=[Optional()])
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class DeleteForm(FlaskForm):
    """The POST of a deletion's confirmation page: nothing to fill in, a warning button."""

    submit = SubmitField("Delete", widget=GovSubmitInput())


def fill_owner_choices(form: ActionForm, keep=None) -> None:
    """The owner choice: active users of any role, each labelled with their agency (``keep``: the current owner,
    choosable even if since made inactive)."""
    from auditapp.domain import action_progress

    users = action_progress.owner_candidates(keep)
    form.owner_id.choices = choices(((u.id, action_progress.owner_label(u)) for u in users), blank="Select a person")


class ExportForm(FlaskForm):
    """The POST that asks for the action plan's PDF (nothing to fill in; the filters are in the query string)."""

    submit = SubmitField("Make a PDF for Board papers", widget=GovSubmitInput())
