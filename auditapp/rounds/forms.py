"""Forms for audit rounds: creating a round, drawing its sample, replacing a case, assigning auditors."""

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from auditapp.domain.rounds import RoundSettings
from auditapp.forms import GovDateField, GovIntegerField, choices
from auditapp.models import MODES, STATUS_LABELS, STRATIFY_FIELDS
from auditapp.vocabulary import RoundMode


class RoundForm(FlaskForm):
    name = StringField(
        "Round name",
        widget=GovTextInput(),
        description="For example, Neglect audit autumn 2026",
        validators=[DataRequired(message="Enter a name for the round"), Length(max=120)],
    )
    theme = StringField(
        "Theme",
        widget=GovTextInput(),
        description="For example, neglect or domestic abuse",
        validators=[Optional(), Length(max=120)],
    )
    tool_key = SelectField(
        "Audit tool",
        widget=GovSelect(),
        validators=[Optional()],
        description="The round keeps the newest version of this tool, even if a later one is loaded",
    )
    mode = RadioField(
        "Audit mode",
        widget=GovRadioInput(),
        default=RoundMode.INDEPENDENT,
        choices=choices(MODES.items()),
        validators=[DataRequired(message="Select the audit mode")],
    )
    statuses = SelectMultipleField(
        "Case statuses to include",
        widget=GovCheckboxesInput(),
        description="Leave all unticked to include every status",
        choices=choices(STATUS_LABELS.items()),
        validators=[Optional()],
    )
    localities = SelectMultipleField(
        "Localities to include",
        widget=GovCheckboxesInput(),
        validators=[Optional()],
        description="Leave all unticked to include every locality",
    )
    teams = SelectMultipleField(
        "Teams to include",
        widget=GovCheckboxesInput(),
        description="Leave all unticked to include every team",
        validators=[Optional()],
    )
    open_from = GovDateField("Cases open on or after", description="Optional. For example, 1 4 2026")
    open_to = GovDateField("Cases referred on or before", description="Optional. For example, 30 9 2026")
    exclusions = TextAreaField(
        "Cases not to draw",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=20000)],
        description="One per line: the case reference, a comma, then the reason. "
        "For example, NS00123, under serious case review",
    )
    exclude_audited_within_months = GovIntegerField(
        "Leave out cases sampled in a round in the last",
        widget=GovTextInput(),
        default=12,
        description="Months. Enter 0 to include them",
        validators=[InputRequired(message="Enter a number of months"), NumberRange(min=0, max=120)],
    )
    sample_size = GovIntegerField(
        "Sample size",
        widget=GovTextInput(),
        default=12,
        description="The board asked for 6 to 12 cases",
        validators=[
            InputRequired(message="Enter the sample size"),
            NumberRange(min=1, max=500, message="Sample size must be between 1 and 500"),
        ],
    )
    stratify_by = RadioField(
        "Stratify the sample by", widget=GovRadioInput(), default="none", choices=choices(STRATIFY_FIELDS.items())
    )
    min_per_stratum = BooleanField("At least one case from each stratum", widget=GovCheckboxInput())
    agencies = SelectMultipleField(
        "Agencies taking part",
        widget=GovCheckboxesInput(),
        validators=[Optional()],
        description="Multi-agency rounds: an auditor from each, one of them leads",
    )
    lead_agency = SelectField("Lead agency for the joint discussion", widget=GovSelect(), validators=[Optional()])
    peers_not_from_case_locality = BooleanField(
        "Peer auditors must not come from the case's locality", widget=GovCheckboxInput()
    )
    blind_moderation = BooleanField(
        "Moderate blind: the moderator gives their own grade before seeing the auditor's",
        widget=GovCheckboxInput(),
        description="The agreement between moderators and auditors is then an independent check",
    )
    max_load = GovIntegerField(
        "Most cases for one auditor in this round",
        widget=GovTextInput(),
        description="Optional. Left blank, automatic assignment keeps to the standard limit (4 cases unless your "
        "service sets another)",
        validators=[Optional(), NumberRange(min=1, max=100)],
    )
    due_date = GovDateField("Audits due by", description="Optional. Four weeks from assignment when left blank")
    # Issue 15: the views set the choices (active items, plus any already linked); none: the field is not shown.
    learning_items = SelectMultipleField(
        "Partnership priorities and review learning this round tests",
        widget=GovCheckboxesInput(),
        choices=[],
        validators=[Optional()],
    )
    submit = SubmitField("Create round", widget=GovSubmitInput())

    def named_exclusions(self) -> list[tuple[str, str]]:
        pairs = []
        for line in (self.exclusions.data or "").splitlines():
            if line.strip():
                ref, _, reason = line.partition(",")
                pairs.append((ref.strip(), reason.strip()))
        return pairs


class FreezeForm(FlaskForm):
    submit = SubmitField("Freeze the population", widget=GovSubmitInput())


class DrawForm(FlaskForm):
    """A witnessed draw (hashrank-v2): nobody chooses the seed; the witness adds a value of their own."""

    witness_name = StringField(
        "Witness's full name",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the witness's full name"),
            Length(max=120, message="The witness's name must be 120 characters or fewer"),
        ],
        description="A second person, not the one who froze the population",
    )
    witness_role = StringField(
        "Witness's role",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the witness's role"),
            Length(max=120, message="The witness's role must be 120 characters or fewer"),
        ],
        description="For example, independent scrutineer or chair of the Board",
    )
    witness_value = StringField(
        "Witness value",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the witness value"),
            Length(max=200, message="The witness value must be 200 characters or fewer"),
        ],
        description="Words or numbers the witness makes up now, after seeing the population's fingerprint",
    )
    submit = SubmitField("Draw the sample", widget=GovSubmitInput())


class ReplaceForm(FlaskForm):
    reason = TextAreaField(
        "Why must this case be replaced?",
        widget=GovTextArea(),
        description="For example, the file is not available, or every auditor has a conflict",
        validators=[DataRequired(message="Enter the reason for replacing the case"), Length(max=500)],
    )
    submit = SubmitField("Replace the case", widget=GovSubmitInput())


class AutoAssignForm(FlaskForm):
    submit = SubmitField("Assign auditors automatically", widget=GovSubmitInput())


class ManualAssignForm(FlaskForm):
    auditor_id = SelectField("Auditor", widget=GovSelect(), validators=[DataRequired(message="Select an auditor")])
    agency = SelectField("For which agency's place", widget=GovSelect(), validators=[Optional()])
    lead = BooleanField("Lead auditor for the joint discussion", widget=GovCheckboxInput())
    justification = TextAreaField(
        "Justification",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=2000)],
        description="Required when the assignment breaks a conflict-of-interest rule",
    )
    submit = SubmitField("Assign", widget=GovSubmitInput())


class RemoveAssignmentForm(FlaskForm):
    submit = SubmitField("Remove", widget=GovSubmitInput())


def fill_round_choices(
    form: RoundForm,
    *,
    localities: list[str],
    teams: list[str],
    agencies: list[str],
    tools: dict[str, str],
    learning: list[tuple[str, str]] | None = None,
) -> None:
    """The choices of a RoundForm: the population's localities and teams, the active agencies, the tools, and the
    priorities and review learning it may test."""
    form.localities.choices = choices((v, v) for v in localities)
    form.teams.choices = choices((v, v) for v in teams)
    form.agencies.choices = choices((a, a) for a in agencies)
    form.lead_agency.choices = choices(((a, a) for a in agencies), blank="The first chosen agency")
    form.tool_key.choices = choices(tools.items())
    form.learning_items.choices = list(learning or [])


def settings_fields(form: RoundForm) -> dict[str, Any]:
    """The round settings a RoundForm holds, as ``RoundSettings`` keyword arguments (the tool's key aside: a new
    round falls back to the default tool, an edited one keeps its own)."""
    from auditapp.domain.learning import ids_from_form

    return dict(
        name=form.name.data or "",
        theme=form.theme.data,
        mode=form.mode.data or "",
        statuses=form.statuses.data or [],
        localities=form.localities.data or [],
        teams=form.teams.data or [],
        open_from=form.open_from.data,
        open_to=form.open_to.data,
        sample_size=form.sample_size.data or 0,
        stratify_by=form.stratify_by.data or "none",
        min_per_stratum=bool(form.min_per_stratum.data),
        exclude_audited_within_months=form.exclude_audited_within_months.data or 0,
        peers_not_from_case_locality=bool(form.peers_not_from_case_locality.data),
        blind_moderation=bool(form.blind_moderation.data),
        max_load=form.max_load.data,
        agencies=form.agencies.data or [],
        lead_agency=form.lead_agency.data or None,
        due_date=form.due_date.data,
        named_exclusions=form.named_exclusions(),
        learning_item_ids=ids_from_form(form.learning_items.data),
    )


def form_data(settings: RoundSettings) -> dict[str, Any]:
    """A RoundForm's data, prefilled from ``settings`` (editing a round, or a re-audit of an action)."""
    return {
        "name": settings.name,
        "theme": settings.theme,
        "tool_key": settings.tool_key,
        "mode": settings.mode,
        "statuses": settings.statuses,
        "localities": settings.localities,
        "teams": settings.teams,
        "open_from": settings.open_from,
        "open_to": settings.open_to,
        "exclusions": exclusions_text(settings.named_exclusions),
        "exclude_audited_within_months": settings.exclude_audited_within_months,
        "sample_size": settings.sample_size,
        "stratify_by": settings.stratify_by,
        "min_per_stratum": settings.min_per_stratum,
        "agencies": settings.agencies,
        "lead_agency": settings.lead_agency or "",
        "peers_not_from_case_locality": settings.peers_not_from_case_locality,
        "blind_moderation": settings.blind_moderation,
        "max_load": settings.max_load,
        "due_date": settings.due_date,
        "learning_items": [str(i) for i in settings.learning_item_ids],
    }


def tool_choices() -> dict[str, str]:
    """The newest version of each tool a round can use, by key, labelled with its title and version."""
    from auditapp.domain.tool_versions import newest_agency_tools

    return {key: f"{t.title} (version {t.version})" for key, t in newest_agency_tools().items()}


def exclusions_text(pairs: list[tuple[str, str]]) -> str:
    """Named exclusions as the form's text: one per line, the case reference, a comma, then the reason."""
    return "\n".join(f"{ref}, {reason}" for ref, reason in pairs)


class EditRoundForm(RoundForm):
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class CancelRoundForm(FlaskForm):
    reason = TextAreaField(
        "Why is the round being cancelled?",
        widget=GovTextArea(),
        description="This is kept with the round and shown in the list of rounds",
        validators=[DataRequired(message="Enter why the round is being cancelled"), Length(max=2000)],
    )
    submit = SubmitField("Cancel the round", widget=GovSubmitInput())


class ModerationSettingForm(FlaskForm):
    """Whether the round's audits are moderated blind: changeable until moderation begins."""

    blind_moderation = RadioField(
        "How should the moderator see each audit?",
        widget=GovRadioInput(),
        choices=choices(
            [
                ("blind", "Blind: the moderator gives their own grade before seeing the auditor's"),
                ("open", "Open: the moderator sees the auditor's grade"),
            ]
        ),
        description="Blind moderation makes the agreement between moderators and auditors an independent check",
        validators=[DataRequired(message="Select how the moderator should see each audit")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())
