"""The form on which the QA coordinator writes the QA group's statement for the Board (issue 14)."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from auditapp.domain.board_statement import MAX_ASK, MAX_ASKS, MAX_PART, MAX_STATEMENT
from auditapp.forms import choices
from auditapp.vocabulary import AssuranceLevel

_NOT_A_CHILD = "This goes to the Board: do not name or describe a child, a family or a worker."


def _too_long(what: str, longest: int) -> Length:
    return Length(max=longest, message=f"{what} must be {longest:,} characters or less")


class BoardStatementForm(FlaskForm):
    assurance_level = RadioField(
        "How much assurance does the QA group give the Board?",
        widget=GovRadioInput(),
        description="How far the Board can rely on the work with children that the audit looked at",
        choices=choices((level.value, level.label) for level in AssuranceLevel),
        validators=[DataRequired(message="Select the level of assurance the QA group gives the Board")],
    )
    statement = TextAreaField(
        "Assurance statement",
        widget=GovTextArea(),
        description="In plain words, the QA group's judgement and why: what the audit shows about how well "
        f"children are protected. {_NOT_A_CHILD}",
        validators=[
            DataRequired(message="Enter the assurance statement for the Board"),
            _too_long("The assurance statement", MAX_STATEMENT),
        ],
    )
    working = TextAreaField(
        "What is working",
        widget=GovTextArea(),
        description="What is working well for children, in a few sentences. The report shows beside it the 3 "
        f"questions where the standard was met most often. {_NOT_A_CHILD}",
        validators=[
            DataRequired(message="Enter what is working well for children"),
            _too_long("What is working", MAX_PART),
        ],
    )
    worried = TextAreaField(
        "What we are worried about",
        widget=GovTextArea(),
        description="What worries the QA group, and what it means for children. The report shows beside it the 3 "
        f"questions where the standard was met least often. {_NOT_A_CHILD}",
        validators=[
            DataRequired(message="Enter what the QA group is worried about"),
            _too_long("What we are worried about", MAX_PART),
        ],
    )
    voices = TextAreaField(
        "What the children and families told us",
        widget=GovTextArea(),
        description="What children and their families said about the help they got, in their words where you "
        f"can. If the audit did not hear from them, say so. {_NOT_A_CHILD}",
        validators=[
            DataRequired(message="Enter what children and families told us"),
            _too_long("What children and families told us", MAX_PART),
        ],
    )
    asks = TextAreaField(
        "What we ask of the Board",
        widget=GovTextArea(),
        description=f"One ask on each line, at most {MAX_ASKS}: the report numbers them. For example, Ask the "
        "health trust to report on health visitor caseloads at the next meeting. Leave it empty if there are none.",
        validators=[Optional(), _too_long("What we ask of the Board", MAX_ASKS * (MAX_ASK + 2))],
    )
    submit = SubmitField("Save the statement", widget=GovSubmitInput())
