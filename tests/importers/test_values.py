"""Cell value parsing: the rules every format shares."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from auditapp.importers.values import (
    ValueProblem,
    clean_text,
    parse_bool,
    parse_category,
    parse_date,
    parse_gender,
    parse_status,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-03-31", date(2024, 3, 31)), ("31/03/2024", date(2024, 3, 31)), ("1/4/2024", date(2024, 4, 1)),
    ("2024-03-31T00:00:00", date(2024, 3, 31)), ("2024-03-31 00:00:00", date(2024, 3, 31)),
    (datetime(2024, 3, 31, 0, 0), date(2024, 3, 31)), ("", None), ("#N/A", None), (None, None),
])  # fmt: skip
def test_dates_in_the_documented_forms_are_read(value, expected):
    assert parse_date(value) == expected


def test_excel_serial_dates_are_read_only_from_spreadsheets():
    assert parse_date(45000, serials=True) == date(2023, 3, 15)
    assert parse_date("45000", serials=True) == date(2023, 3, 15)
    with pytest.raises(ValueProblem, match="Enter a date like"):
        parse_date("45000")


@pytest.mark.parametrize(("value", "message"), [
    ("29/02/2023", "29/02/2023 is not a real date"), ("2024-13-01", "2024-13-01 is not a real date"),
    ("31.12.1850", "not a plausible date"), ("next week", "'next week' is not a date. Enter a date like"),
])  # fmt: skip
def test_bad_dates_say_what_is_wrong(value, message):
    with pytest.raises(ValueProblem, match=message):
        parse_date(value)


def test_coded_values_and_spaces_are_normalised():
    assert parse_gender("a) Male") == "male"
    assert parse_gender("c) Not stated/recorded") == "unknown"
    assert parse_bool("b) No") is False
    assert parse_category("Physical abuse") == "physical"
    assert parse_category("SAB") == "sexual"
    assert parse_status("Looked-after") == "looked_after"
    assert clean_text("Dustin\xa0Hazlett ") == "Dustin Hazlett"
    assert clean_text("'=1+2") == "=1+2"
    assert clean_text("'quoted") == "'quoted"
