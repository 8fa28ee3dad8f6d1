"""Forms for importing the case population and for the mapping of workers and teams to localities."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import BooleanField, FileField, HiddenField, MultipleFileField, SelectField, StringField, SubmitField
from wtforms.validators import Length, ValidationError

from auditapp.forms import choices

MAX_PERIOD = 60
MAX_NAME = 120


class GovSelectField(SelectField):
    """A select whose refusal of a value not offered is in GOV.UK words, not WTForms' "Not a valid choice."."""

    def __init__(self, *args, invalid: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form) -> None:
        if self.data not in {str(choice[0]) for choice in self.iter_choices()}:
            raise ValidationError(self.invalid)


class UploadForm(FlaskForm):
    files = MultipleFileField("Upload a file")
    format = GovSelectField(
        "Format",
        widget=GovSelect(),
        choices=choices(
            [
                ("annex_a", "Ofsted Annex A workbook (.xlsx)"),
                ("cin_census", "DfE Children in Need census (.xml)"),
                ("ssda903", "SSDA903 (children looked after): header and episodes (.csv)"),
                ("generic_csv", "Generic CSV"),
                ("generic_xlsx", "Generic Excel (.xlsx)"),
            ],
            blank="Work it out from the file",
        ),
        description="Leave this unless the service cannot tell what kind of file it is",
        invalid="Select the format of the file, or leave the service to work it out",
    )
    full_return = BooleanField(
        "This is a full return: it holds every case of its kind",
        widget=GovCheckboxInput(),
        description=(
            "Cases imported before from this kind of file that are not in it will be marked as not in the latest "
            "return. They are kept, but cannot be sampled until a return includes them again."
        ),
    )
    period = StringField(
        "The period the return covers",
        widget=GovTextInput(),
        description="For example, 2025 to 2026, or 1 April 2025 to 31 March 2026",
        validators=[Length(max=MAX_PERIOD, message=f"The period must be {MAX_PERIOD} characters or fewer")],
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())

    def validate_files(self, field) -> None:
        if not [f for f in field.data or [] if getattr(f, "filename", "")]:
            raise ValidationError("Select a file to import")

    def validate_period(self, field) -> None:
        if self.full_return.data and not (field.data or "").strip():
            raise ValidationError("Enter the period the full return covers")


class ConfirmImportForm(FlaskForm):
    submit = SubmitField("Import these cases", widget=GovSubmitInput())


class MappingUploadForm(FlaskForm):
    file = FileField("Upload a mapping file")
    upload = SubmitField("Upload the mapping", widget=GovSubmitInput())  # not "submit": two forms share the page

    def validate_file(self, field) -> None:
        if not getattr(field.data, "filename", ""):
            raise ValidationError("Select a mapping file (CSV or Excel)")


def _name(label: str, hint: str | None = None) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        description=hint or "",
        validators=[Length(max=MAX_NAME, message=f"The {label.lower()} must be {MAX_NAME} characters or fewer")],
    )


class MappingRowForm(FlaskForm):
    worker = _name("Worker", "As the return names them. Leave blank to give a team's locality")
    team = _name("Team")
    locality = _name("Locality")
    save = SubmitField("Save this row", widget=GovSubmitInput())


class RemoveMappingForm(FlaskForm):
    row = HiddenField()
    submit = SubmitField("Remove this row", widget=GovSubmitInput())
