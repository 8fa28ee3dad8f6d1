"""The Board report's form."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField


class PublishForm(FlaskForm):
    submit = SubmitField("Publish the report to the board", widget=GovSubmitInput())
