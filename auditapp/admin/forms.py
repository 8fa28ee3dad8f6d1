"""Admin forms: users, agencies, localities and teams."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from auditapp.forms import choices
from auditapp.models import AgencyKind, AuditorType, Role


class UserForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the user's full name"), Length(max=120)],
    )
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the user's email address"),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message="Enter an email address in the correct format, like name@example.org",
            ),
            Length(max=254),
        ],
    )
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=choices((r.value, r.label) for r in Role),
        validators=[DataRequired(message="Select the user's role")],
    )
    auditor_type = RadioField(
        "Auditor type",
        widget=GovRadioInput(),
        description="Only for auditors",
        choices=choices((t.value, t.label) for t in AuditorType),
        validators=[Optional()],
    )
    agency_id = SelectField("Agency", widget=GovSelect(), validators=[Optional()], description="Required for auditors")
    team_id = SelectField("Team", widget=GovSelect(), validators=[Optional()], description="Required for peer auditors")
    active = BooleanField("Active (can sign in)", widget=GovCheckboxInput(), default=True)
    password = PasswordField(
        "Initial password",
        widget=GovPasswordInput(),
        description="12 characters or more. The user should change it when they first sign in.",
        validators=[Optional()],
    )
    submit = SubmitField("Save user", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.role.data == Role.AUDITOR.value and not self.auditor_type.data:
            message = "Select whether the auditor is independent or a peer"
            self.auditor_type.errors = [*self.auditor_type.errors, message]
            ok = False
        return ok


class AgencyForm(FlaskForm):
    name = StringField(
        "Agency name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the agency name"), Length(max=120)],
    )
    kind = RadioField(
        "Type of agency",
        widget=GovRadioInput(),
        choices=choices((k.value, k.label) for k in AgencyKind),
        validators=[DataRequired(message="Select the type of agency")],
    )
    active = BooleanField("Active", widget=GovCheckboxInput(), default=True)
    # Issue 16: told at once of an immediate safeguarding concern raised about one of the agency's files.
    safeguarding_lead_id = SelectField(
        "Named safeguarding lead",
        widget=GovSelect(),
        validators=[Optional()],
        description="Told at once when an auditor raises an immediate safeguarding concern about one of this "
        "agency's files, and again if it is not acknowledged within a working day",
    )
    # Issue 17: records the agency's single-agency audit returns each quarter, and is reminded when one is due.
    quality_lead_id = SelectField(
        "Quality lead",
        widget=GovSelect(),
        validators=[Optional()],
        description="Records this agency's single-agency audit returns each quarter, and is reminded when one is due",
    )
    password_sign_in = BooleanField(
        "Staff may sign in with a password",
        widget=GovCheckboxInput(),
        default=True,
        description="Turn this off once the agency's staff sign in with their organisation's account",
    )
    submit = SubmitField("Save agency", widget=GovSubmitInput())


class LocalityForm(FlaskForm):
    name = StringField(
        "Locality name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the locality name"), Length(max=120)],
    )
    active = BooleanField("Active", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save locality", widget=GovSubmitInput())


class TeamForm(FlaskForm):
    name = StringField(
        "Team name", widget=GovTextInput(), validators=[DataRequired(message="Enter the team name"), Length(max=120)]
    )
    agency_id = SelectField("Agency", widget=GovSelect(), validators=[DataRequired(message="Select the team's agency")])
    locality_id = SelectField("Locality", widget=GovSelect(), validators=[Optional()])
    manager_id = SelectField(
        "Team manager",
        widget=GovSelect(),
        validators=[Optional()],
        description="Used to stop a peer auditor auditing their own team's cases",
    )
    active = BooleanField("Active", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save team", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class ToolUploadForm(FlaskForm):
    submit = SubmitField("Check the tool", widget=GovSubmitInput())


class ToolSaveForm(FlaskForm):
    """The save button of a checked upload: the checked definition (canonical JSON, checked again on save)."""

    checked_definition = HiddenField(validators=[DataRequired()])
    source = HiddenField()
    submit = SubmitField("Save as a new version", widget=GovSubmitInput())


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="Use 12 characters or more. Give it to the user in person or by phone, never by email: they "
        "must change it when they next sign in.",
        validators=[DataRequired(message="Enter a new password"), Length(max=256)],
    )
    submit = SubmitField("Set the password", widget=GovSubmitInput())


class ResetTwoFactorForm(FlaskForm):
    reason = TextAreaField(
        "Why are you resetting two-factor authentication?",
        widget=GovTextArea(),
        description="For example: lost phone, reported by phone on 2 December and identity checked by their manager",
        validators=[DataRequired(message="Enter why you are resetting two-factor authentication"), Length(max=500)],
    )
    submit = SubmitField("Reset two-factor authentication", widget=GovSubmitInput())
