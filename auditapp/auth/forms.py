"""Sign-in and account forms."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password", widget=GovPasswordInput(), validators=[DataRequired(message="Enter your password"), Length(max=256)]
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class TwoFactorForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code shown in your authenticator app",
        validators=[DataRequired(message="Enter the security code"), Length(max=12)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", widget=GovPasswordInput(), validators=[DataRequired(message="Enter your current password")]
    )
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="Use 12 characters or more. A good way is three random words.",
        validators=[DataRequired(message="Enter a new password")],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            DataRequired(message="Confirm your new password"),
            EqualTo("new_password", message="The passwords do not match"),
        ],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())


class AccountTwoFactorForm(FlaskForm):
    """Set up (or replace) the authenticator from Your account: the password, and for a replacement the current
    code, prove it is the account's owner and not someone at an unattended, signed-in computer."""

    current_password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        validators=[DataRequired(message="Enter your password"), Length(max=256)],
    )
    current_code = StringField(
        "Security code from your current authenticator app", widget=GovTextInput(), validators=[Length(max=12)]
    )
    code = StringField(
        "Security code from the new authenticator app",
        widget=GovTextInput(),
        description="The 6-digit code the app shows after you enter the key",
        validators=[DataRequired(message="Enter the security code from the new app"), Length(max=12)],
    )
    submit = SubmitField("Set up two-factor authentication", widget=GovSubmitInput())


class EndSessionForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())
