"""The small grammars of a tool spreadsheet's cells, both ways: ``relevant`` and ``required_if`` conditions,
``computed`` rules, ``labels`` and ``agency`` lists (SPREADSHEETS.md). Each reader raises ValueError with a
message a coordinator can act on; the caller adds the sheet, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .model import AGENCY_KINDS

_EQUALS = re.compile(r"\$\{\s*(\w+)\s*\}\s*(=|!=)\s*(['\"])(.*?)\3")
_SELECTED = re.compile(r"(not\s*\(\s*)?selected\s*\(\s*\$\{\s*(\w+)\s*\}\s*,\s*(['\"])(.*?)\3\s*\)(?(1)\s*\))")
_COMPUTED = re.compile(r"(working_days|years)\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)\s*(<=|>=)\s*(\d{1,6})")
_LABEL_SPLIT = re.compile(r";\s*(?=(?:yes|no|not_applicable)\s*=)")
CONDITION_HELP = (
    "write ${question} = 'answer', ${question} != 'answer', selected(${question}, 'answer1 answer2') "
    "or not(selected(${question}, 'answer1 answer2'))"
)
# spreadsheet function -> (JSON kind, the comparison it is written with, the JSON field holding the number)
COMPUTED_FORMS = {"working_days": ("working_days_within", "<=", "limit"), "years": ("duration_at_least", ">=", "years")}
NO_PROPOSAL = "none"  # when_start_missing: null (no proposed answer when the start date is blank)


def read_condition(text: str) -> dict[str, Any]:
    """``${q} = 'a'``, ``${q} != 'a'``, ``selected(${q}, 'a b')`` or ``not(selected(${q}, 'a b'))``."""
    equals, selected = _EQUALS.fullmatch(text), _SELECTED.fullmatch(text)
    if equals:
        qid, value, negate = equals.group(1), equals.group(4).strip(), equals.group(2) == "!="
        values = [value] if value else []
    elif selected:
        qid, values, negate = selected.group(2), selected.group(4).split(), bool(selected.group(1))
    else:
        raise ValueError(f"cannot read {text!r}: {CONDITION_HELP}")
    if not values:
        raise ValueError(f"give the answer to compare ${{{qid}}} with, in quotes")
    return {"question": qid, "not_in" if negate else "in": list(dict.fromkeys(values))}


def condition_text(condition: Mapping[str, Any]) -> str:
    negate = "not_in" in condition
    values, qid = condition["not_in" if negate else "in"], condition["question"]
    if len(values) == 1:
        return f"${{{qid}}} {'!=' if negate else '='} '{values[0]}'"
    selected = f"selected(${{{qid}}}, '{' '.join(values)}')"
    return f"not({selected})" if negate else selected


def read_computed(text: str, when_start_missing: str | None) -> dict[str, Any]:
    """``working_days(start, end) <= 45`` or ``years(start, end) >= 2``, with the when_start_missing cell."""
    match = _COMPUTED.fullmatch(text)
    if not match or match.group(4) != COMPUTED_FORMS[match.group(1)][1]:
        raise ValueError(
            f"cannot read {text!r}: write working_days(start_date, end_date) <= 45 "
            "or years(start_date, end_date) >= 2, with case date names"
        )
    kind, _, field = COMPUTED_FORMS[match.group(1)]
    computed: dict[str, Any] = {"kind": kind, "start": match.group(2), "end": match.group(3)}
    computed[field] = int(match.group(5))
    if when_start_missing is not None:
        missing = when_start_missing.lower()
        computed["when_start_missing"] = None if missing == NO_PROPOSAL else missing
    return computed


def computed_text(computed: Mapping[str, Any]) -> str:
    function = "working_days" if computed["kind"] == "working_days_within" else "years"
    _, operator, field = COMPUTED_FORMS[function]
    return f"{function}({computed['start']}, {computed['end']}) {operator} {computed[field]}"


def read_labels(text: str) -> dict[str, str]:
    """``yes=Seen alone; no=Not seen alone`` (a semicolon ends a label only when a key and = follow it)."""
    labels: dict[str, str] = {}
    for part in _LABEL_SPLIT.split(text):
        key, equals, label = part.partition("=")
        if not equals or key.strip() not in ("yes", "no", "not_applicable") or not label.strip():
            raise ValueError(
                f"cannot read {part.strip()!r}: write yes=..., no=... or not_applicable=..., separated by semicolons"
            )
        labels[key.strip()] = label.strip()
    return labels


def labels_text(labels: Mapping[str, str]) -> str:
    return "; ".join(f"{key}={label}" for key, label in labels.items())


def read_agencies(text: str) -> list[str]:
    """Agency kinds separated by spaces (or commas), each one of AGENCY_KINDS."""
    kinds = [k for k in re.split(r"[\s,]+", text.lower()) if k]
    unknown = [k for k in kinds if k not in AGENCY_KINDS]
    if unknown:
        raise ValueError(f"unknown agency kind {', '.join(unknown)} (kinds: {', '.join(AGENCY_KINDS)})")
    return list(dict.fromkeys(kinds))
