"""The programme dashboard's filters (issue 17): a GET form (no CSRF: it changes nothing), read from the query
string so that the page, its spreadsheet and the Board's PDF page show the same figures."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField

from auditapp.domain.quarters import Quarter
from auditapp.forms import choices
from auditapp.programme.figures_types import Filters


class FiltersForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only chooses what to show

    # validate_choice=False: a value not offered gets the form's own message below, not "Not a valid choice".
    first = SelectField("From quarter", widget=GovSelect(), validate_choice=False)
    last = SelectField("To quarter", widget=GovSelect(), validate_choice=False)
    agency = SelectField("Agency", widget=GovSelect(), validate_choice=False)
    theme = SelectField("Theme", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Show the figures", widget=GovSubmitInput())

    def setup(self, *, quarters: list[Quarter], agencies: list[str], themes: list[str], default: Filters) -> None:
        """Offer these choices, and select the defaults where the query string says nothing."""
        self.first.choices = choices((q.key, q.long_label) for q in quarters)
        self.last.choices = choices((q.key, q.long_label) for q in quarters)
        self.agency.choices = choices(((a, a) for a in agencies), blank="All agencies")
        self.theme.choices = choices(((t, t) for t in themes), blank="All themes")
        self._offered = {
            "first": {q.key for q in quarters},
            "last": {q.key for q in quarters},
            "agency": set(agencies) | {""},
            "theme": set(themes) | {""},
        }
        if not self.first.data:
            self.first.data = default.first.key
        if not self.last.data:
            self.last.data = default.last.key
        self.agency.data = self.agency.data or ""
        self.theme.data = self.theme.data or ""

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        messages = {
            "first": "Select the first quarter to show, from the list",
            "last": "Select the last quarter to show, from the list",
            "agency": "Select an agency from the list, or all agencies",
            "theme": "Select a theme from the list, or all themes",
        }
        for name, message in messages.items():
            if getattr(self, name).data not in self._offered[name]:
                getattr(self, name).errors = [*getattr(self, name).errors, message]
                ok = False
        if ok and Quarter.parse(self.last.data) < Quarter.parse(self.first.data):
            self.last.errors = [*self.last.errors, "The last quarter must be the same as or after the first quarter"]
            ok = False
        return ok

    def filters(self) -> Filters:
        """The filters chosen (after :meth:`validate`)."""
        return Filters(
            first=Quarter.parse(self.first.data),
            last=Quarter.parse(self.last.data),
            agency=self.agency.data or None,
            theme=self.theme.data or None,
        )


def query_args(filters: Filters) -> dict[str, str]:
    """The filters as the query string of the page and its exports."""
    args = {"first": filters.first.key, "last": filters.last.key}
    if filters.agency:
        args["agency"] = filters.agency
    if filters.theme:
        args["theme"] = filters.theme
    return args


def today_default(today: date) -> Filters:
    from auditapp.programme.figures import default_filters

    return default_filters(today)
