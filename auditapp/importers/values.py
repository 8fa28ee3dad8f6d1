"""Reading single cell values: text, dates, codes. Each parser returns the clean value or None for an
empty cell, and raises `ValueProblem` with a plain-English message the user can act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache, wraps
from typing import TypeVar

from auditapp.importers.records import STATUSES

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 once Excel's 1900 leap-year bug is allowed for
MIN_YEAR, MAX_YEAR = 1900, 2100
DATE_HINT = "Enter a date like 2024-03-31 or 31/03/2024"

EMPTY_MARKERS = frozenset({"", "#n/a", "n/a", "#null!", "null", "none"})
EXCEL_ERRORS = frozenset({"#ref!", "#value!", "#name?", "#div/0!", "#num!", "#calc!", "#spill!"})
_CODE_PREFIX = re.compile(r"^[a-z]{1,2}\)\s*")
_FORMULA_START = re.compile(r"^'+[=+\-@\t\r]")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?Z?)?$")


class ValueProblem(ValueError):
    """A cell value that cannot be used; the message is shown to the user as it is."""


T = TypeVar("T")


def _memoised(parse: Callable[[object], T]) -> Callable[[object], T]:
    """Remember the answers for text cells: coded columns repeat a handful of values on every row.

    Only str values are remembered (1, 1.0 and True are equal as keys but not as cells); values that raise
    ValueProblem are not remembered, so their message is worked out again each time. Bounded, since a file
    can put any text in a cell.
    """
    remembered = lru_cache(maxsize=1024)(parse)

    @wraps(parse)
    def memoised(value: object) -> T:
        return remembered(value) if type(value) is str else parse(value)

    return memoised


def _choices(options: tuple[str, ...]) -> str:
    return ", ".join(options[:-1]) + " or " + options[-1]


def unneutralise(text: str) -> str:
    """Remove the one apostrophe that `export_generic_csv` puts before formula-looking text."""
    if text[:1] == "'" and _FORMULA_START.match(text):
        return text[1:]
    return text


def clean_text(value: object) -> str | None:
    """Cell value as trimmed text, or None when empty or `#N/A`. Never evaluates anything."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "Yes" if value else "No"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    if text[0] == "'":
        text = unneutralise(text)
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    text = text.strip()
    if not text:
        return None
    if text[0] in "#nN":  # cheap pre-check: every marker starts with one of these
        lowered = text.lower()
        if lowered in EMPTY_MARKERS:
            return None
        if lowered in EXCEL_ERRORS:
            raise ValueProblem(f"{text} is an Excel error: correct the formula or enter the value")
    return text


def strip_code(text: str) -> str:
    """Drop a list prefix such as 'a) ' from coded Annex A values ('a) Male' -> 'Male')."""
    return _CODE_PREFIX.sub("", text, count=1)


def _checked(year: int, month: int, day: int, shown: str) -> date:
    try:
        value = date(year, month, day)
    except ValueError:
        raise ValueProblem(f"{shown} is not a real date") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueProblem(f"{shown} is not a plausible date: the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


def _from_serial(number: float) -> date:
    if number != int(number) or not 1 <= number <= 73050:  # 73050 is 2099-12-31
        raise ValueProblem(f"{number:g} is not a date. {DATE_HINT}")
    return EXCEL_EPOCH + timedelta(days=int(number))


def parse_date(value: object, *, serials: bool = False) -> date | None:
    """A date from a date/datetime cell, an ISO or dd/mm/yyyy string, or (with `serials`) an Excel serial."""
    if value is None or value == "":
        return None
    if type(value) is str and len(value) == 10:
        fast = _fast_date(value)
        if fast is not None:
            return fast
    if not isinstance(value, str):
        return _date_from_cell(value, serials=serials)
    text = clean_text(value)
    if text is None:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        return _checked(int(text[:4]), _int_or_zero(text[5:7]), _int_or_zero(text[8:]), text)
    match = _NUMERIC_DATE.match(text)
    if match:
        return _checked(int(match[3]), int(match[2]), int(match[1]), text)
    match = _ISO_DATE.match(text)
    if match:
        return _checked(int(match[1]), int(match[2]), int(match[3]), text)
    if serials and text.isdigit() and len(text) <= 5:
        return _from_serial(int(text))
    raise ValueProblem(f"'{text}' is not a date. {DATE_HINT}")


@lru_cache(maxsize=8192)
def _fast_date(text: str) -> date | None:
    """The common exact forms, 2024-03-31 and 31/03/2024, without regular expressions; None otherwise."""
    if text[4] == "-" and text[7] == "-":
        year, month, day = text[:4], text[5:7], text[8:]
    elif text[2] == "/" and text[5] == "/":
        year, month, day = text[6:], text[3:5], text[:2]
    else:
        return None
    if not (year.isdigit() and month.isdigit() and day.isdigit()):
        return None
    year_number = int(year)
    if not MIN_YEAR <= year_number <= MAX_YEAR:
        return None  # let the slow path word the message
    try:
        return date(year_number, int(month), int(day))
    except ValueError:
        return None


def _date_from_cell(value: object, *, serials: bool) -> date | None:
    if isinstance(value, datetime):
        return _checked(value.year, value.month, value.day, value.date().isoformat())
    if isinstance(value, date):
        return _checked(value.year, value.month, value.day, value.isoformat())
    if isinstance(value, int | float) and not isinstance(value, bool):
        if serials:
            return _from_serial(value)
        raise ValueProblem(f"{value:g} is not a date. {DATE_HINT}")
    return parse_date(clean_text(value), serials=serials)


def _int_or_zero(text: str) -> int:
    # Zero is never a valid month or day, so it falls through to the "not a real date" message.
    return int(text) if text.isdigit() else 0


_GENDERS = {
    "male": "male", "m": "male", "1": "male", "boy": "male",
    "female": "female", "f": "female", "2": "female", "girl": "female",
    "other": "other", "indeterminate": "other", "neither": "other", "x": "other", "3": "other",
    "unknown": "unknown", "not known": "unknown", "not stated": "unknown", "not stated/recorded": "unknown",
    "not recorded": "unknown", "u": "unknown", "0": "unknown", "9": "unknown", "not specified": "unknown",
    "unborn": "unknown",
}  # fmt: skip


@_memoised
def parse_gender(value: object) -> str | None:
    """Gender or sex as 'male', 'female', 'other' or 'unknown', from words, letters or DfE codes."""
    text = clean_text(value)
    if text is None:
        return None
    gender = _GENDERS.get(strip_code(text.lower()).strip())
    if gender is None:
        raise ValueProblem(f"'{text}' is not a gender: use male, female, other or unknown")
    return gender


_STATUS_ALIASES = {
    "child_in_need": "cin", "child_protection": "cp", "cla": "looked_after", "lac": "looked_after",
    "child_looked_after": "looked_after", "cic": "looked_after", "child_in_care": "looked_after",
    "eh": "early_help", "leaving_care": "care_leaver", "open_cin": "cin",
}  # fmt: skip


_STATUS_SET = {status: status for status in STATUSES}


@_memoised
def parse_status(value: object) -> str:
    """One of STATUSES; spaces, hyphens and case are forgiven ('Looked after' -> 'looked_after')."""
    text = clean_text(value)
    if text is None:
        raise ValueProblem(f"Enter a status: use one of {_choices(STATUSES)}")
    key = re.sub(r"[\s\-]+", "_", text.lower())
    if key in _STATUS_SET:
        return _STATUS_SET[key]  # the shared constant, not a fresh string per row
    if key in _STATUS_ALIASES:
        return _STATUS_ALIASES[key]
    raise ValueProblem(f"'{text}' is not a status: use one of {_choices(STATUSES)}")


_BOOLEANS = {
    "yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False,
}  # fmt: skip


@_memoised
def parse_bool(value: object) -> bool | None:
    """Yes/No, Y/N, true/false, 1/0, with Annex A prefixes ('a) Yes')."""
    if isinstance(value, bool):
        return value
    text = clean_text(value)
    if text is None:
        return None
    answer = _BOOLEANS.get(strip_code(text.lower()).strip())
    if answer is None:
        raise ValueProblem(f"'{text}' is not yes or no: use yes or no")
    return answer


@_memoised
def parse_count(value: object) -> int | None:
    """A whole number of 0 or more."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value != int(value) or value < 0:
            raise ValueProblem(f"{value:g} is not a whole number of 0 or more")
        return int(value)
    text = clean_text(value)
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    raise ValueProblem(f"'{text}' is not a whole number of 0 or more")


CATEGORIES = ("neglect", "physical", "emotional", "sexual", "multiple")
_CATEGORY_CODES = {"neg": "neglect", "phy": "physical", "emo": "emotional", "sab": "sexual", "mul": "multiple"}


@_memoised
def parse_category(value: object) -> str | None:
    """Category of abuse from a DfE code (NEG, PHY, EMO, SAB, MUL) or a label ('Physical abuse')."""
    text = clean_text(value)
    if text is None:
        return None
    lowered = strip_code(text.lower()).strip()
    if lowered in _CATEGORY_CODES:
        return _CATEGORY_CODES[lowered]
    for category in CATEGORIES:
        if lowered.startswith(category[:5]):
            return category
    if lowered.startswith("mixed"):
        return "multiple"
    raise ValueProblem(f"'{text}' is not a category of abuse: use one of {_choices(CATEGORIES)}")


def normalise_header(text: object) -> str:
    """Header key that ignores case, spaces and punctuation: 'Child Unique ID' -> 'childuniqueid'."""
    if text is None:
        return ""
    return re.sub(r"[^a-z0-9]", "", str(text).replace("\xa0", " ").lower())
