"""The Board report's forms: publishing (after the check) and withdrawing a published report."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from auditapp.domain.publishing import MAX_REASON

TOO_LONG = f"The reason must be {MAX_REASON:,} characters or less"


class PublishForm(FlaskForm):
    """The check page's form. The view removes the reason it does not need: the interim reason when the round is
    complete, the change reason when there is no current report to replace."""

    interim_reason = TextAreaField(
        "Why are you publishing before the round is complete?",
        widget=GovTextArea(),
        description="The report is marked as an interim report on its cover and on every page, with what is missing "
        "and this reason. Do not name any child.",
        validators=[Optional(), Length(max=MAX_REASON, message=TOO_LONG)],
    )
    change_reason = TextAreaField(
        "Why does this version replace the current report?",
        widget=GovTextArea(),
        description="For example, late audits were moderated. Board members see this reason with both versions.",
        validators=[Optional(), Length(max=MAX_REASON, message=TOO_LONG)],
    )
    submit = SubmitField("Publish the report to the board", widget=GovSubmitInput())


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Why are you withdrawing this report?",
        widget=GovTextArea(),
        description="Board members see this reason in the report’s history. Do not name any child.",
        validators=[
            DataRequired(message="Enter why you are withdrawing the report"),
            Length(max=MAX_REASON, message=TOO_LONG),
        ],
    )
    submit = SubmitField("Withdraw the report", widget=GovSubmitInput())
