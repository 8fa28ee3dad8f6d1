"""Forms for importing the case population."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import MultipleFileField, SelectField, SubmitField

from auditapp.forms import choices


class UploadForm(FlaskForm):
    files = MultipleFileField("Upload a file")
    format = SelectField(
        "Format",
        widget=GovSelect(),
        choices=choices(
            [
                ("annex_a", "Ofsted Annex A workbook (.xlsx)"),
                ("cin_census", "DfE Children in Need census (.xml)"),
                ("ssda903", "SSDA903 header and episodes (.csv)"),
                ("generic_csv", "Generic CSV"),
                ("generic_xlsx", "Generic Excel (.xlsx)"),
            ],
            blank="Work it out from the file",
        ),
        description="Leave this unless the service cannot tell what kind of file it is",
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())

    def validate_files(self, field) -> None:
        if not [f for f in field.data or [] if getattr(f, "filename", "")]:
            from wtforms.validators import ValidationError

            raise ValidationError("Select a file to import")


class ConfirmImportForm(FlaskForm):
    submit = SubmitField("Import these cases", widget=GovSubmitInput())
