"""Load audit tool definitions (JSON) into immutable :class:`AuditTool` objects.

A definition is checked in two steps: the JSON Schema in ``schema.json`` (structure), then :mod:`.checks`
(unique ids, conditions, computed rules). Every problem is reported at once, each with its path, so an admin
loading a new version sees the whole list.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checks import semantic_errors
from .model import (
    CHOICE,
    GRADE,
    UNIT_AGENCY_AUDIT,
    YES_NO_NA,
    YES_NO_NA_OPTIONS,
    AuditTool,
    ComputedRule,
    Condition,
    Evidence,
    GradeLevel,
    GradeScale,
    Question,
    Section,
    ToolDefinitionError,
)

if TYPE_CHECKING:  # jsonschema (50 ms to import) loads when a tool is first checked
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_IDENTIFIER_FIELDS = {"id", "key", "value", "question", "start", "end"}
_IDENTIFIER_HELP = "must be lower-case letters, digits and single underscores, starting with a letter"

# Limits on an uploaded definition's JSON, far beyond what a tool needs (the shipped ones nest 7 deep and use
# small numbers). Without them, deep nesting makes Python's parser raise RecursionError, a number of more than
# 4,300 digits ValueError, and 1e999 becomes infinity, which no database JSON column accepts: each a 500.
MAX_JSON_DEPTH = 32
MAX_INTEGER_DIGITS = 20
MAX_NUMBER_LENGTH = 40
MAX_VERSION = 2**31 - 1  # tool_versions.version is a 32-bit integer column

# Tokens that matter for the limits: strings (skipped whole, so brackets and digits inside them do not count),
# brackets, numbers and the non-standard constants Python's parser would otherwise accept.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]|-?[0-9][0-9.eE+-]*+|-?Infinity|NaN')


class _LimitExceeded(ValueError):
    """A number or constant refused by the parser's hooks (the pre-scan normally catches it first, with where)."""


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema = json.loads(resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def tool_schema() -> dict[str, Any]:
    """Return (a copy of) the JSON Schema that every tool definition must satisfy."""
    schema = _validator().schema
    assert isinstance(schema, dict)  # schema.json is an object, never a boolean schema
    return copy.deepcopy(schema)


def _where(data: Any, path: list[Any]) -> str:
    """Format a JSON path as ``sections[1].questions[2].type``, adding the nearest element's id if any."""
    text = ""
    node, nearest_id = data, None
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        node = node[part] if isinstance(node, list | dict) else None
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            nearest_id = node["id"]
    text = text or "(top level)"
    return f"{text} ('{nearest_id}')" if nearest_id else text


def _allowed(error: ValidationError) -> list[Any]:
    """The values an ``enum`` keyword allows: always a list, as the schema itself is checked."""
    allowed = error.validator_value
    assert isinstance(allowed, list)
    return allowed


def _message(error: ValidationError, document: Any) -> str:
    path = list(error.absolute_path)
    if error.validator == "pattern" and path and path[-1] in _IDENTIFIER_FIELDS:
        detail = f"{error.instance!r} {_IDENTIFIER_HELP}"
    elif error.validator == "enum" and path and path[-1] == "type":
        detail = f"unknown answer type {error.instance!r}; use one of: {', '.join(_allowed(error))}"
    elif error.validator == "enum":
        detail = f"{error.instance!r} is not one of: {', '.join(map(str, _allowed(error)))}"
    elif error.validator == "required":
        detail = error.message.replace(" is a required property", " is missing")
    elif error.validator == "const":
        detail = f"must be {error.validator_value!r}"
    elif error.validator in {"minLength", "pattern"} and isinstance(error.instance, str):
        detail = "must not be blank"
    else:
        detail = error.message
    return f"{_where(document, path)}: {detail}"


def _schema_errors(data: Any) -> list[str]:
    def order(error: ValidationError) -> list[tuple[int, Any]]:
        return [(0, p) if isinstance(p, int) else (1, str(p)) for p in error.absolute_path]

    errors = sorted(_validator().iter_errors(data), key=order)
    return [_message(e, data) for e in errors]


def _condition(raw: Mapping[str, Any] | None) -> Condition | None:
    if raw is None:
        return None
    negate = "not_in" in raw
    return Condition(question_id=raw["question"], values=tuple(raw["not_in" if negate else "in"]), negate=negate)


def _grade_scale(raw: Mapping[str, Any] | None) -> GradeScale:
    if raw is None:
        return GradeScale()
    levels = tuple(GradeLevel(lv["value"], lv["label"], lv["descriptor"]) for lv in raw["levels"])
    return GradeScale(levels=levels, name=raw.get("name"))


def _options(raw: Mapping[str, Any], scale: GradeScale) -> tuple[tuple[str, str], ...]:
    if raw["type"] == YES_NO_NA:
        labels = raw.get("labels", {})
        return tuple((value, labels.get(value, label)) for value, label in YES_NO_NA_OPTIONS)
    if raw["type"] == GRADE:
        return scale.options
    if raw["type"] == CHOICE:
        return tuple((o["value"], o["label"]) for o in raw["options"])
    return ()


def _question(raw: Mapping[str, Any], section: Mapping[str, Any], scale: GradeScale) -> Question:
    computed = raw.get("computed")
    return Question(
        id=raw["id"],
        text=raw["text"],
        type=raw["type"],
        section_id=section["id"],
        hint=raw.get("hint"),
        required=raw.get("required", False),
        options=_options(raw, scale),
        show_when=_condition(raw.get("show_when")),
        required_when=_condition(raw.get("required_when")),
        computed=ComputedRule(**computed) if computed else None,
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        integer=raw.get("integer", False),
        max_length=raw.get("max_length"),
        error_required=raw.get("error_required"),
        error_override_reason=raw.get("error_override_reason"),
        meets_standard=raw.get("meets_standard", "yes"),
        unit=raw.get("unit", UNIT_AGENCY_AUDIT),
        agencies=tuple(raw.get("agencies") or section.get("agencies") or ()),
    )


def _build(data: dict[str, Any]) -> AuditTool:
    scale = _grade_scale(data.get("grade_scale"))
    sections = tuple(
        Section(
            id=s["id"],
            title=s["title"],
            description=s.get("description"),
            evidence=Evidence(**s.get("evidence", {})),
            questions=tuple(_question(q, s, scale) for q in s["questions"]),
            agencies=tuple(s.get("agencies", ())),
        )
        for s in data["sections"]
    )
    return AuditTool(
        key=data["key"],
        version=data["version"],
        title=data["title"],
        kind=data["kind"],
        description=data.get("description"),
        calendar=data.get("calendar", "england_and_wales"),
        sections=sections,
        definition=data,
        grade_scale=scale,
    )


def load_tool(source: str | os.PathLike[str] | Mapping[str, Any]) -> AuditTool:
    """Validate a tool definition and return it as an :class:`AuditTool`.

    ``source`` is a path to a JSON file or an already parsed definition (a mapping, copied, never changed).
    Raises :class:`ToolDefinitionError` listing every problem, each prefixed with the path to the offending
    element, when the file cannot be read or parsed or the definition is not valid.
    """
    if isinstance(source, Mapping):
        data = copy.deepcopy(dict(source))
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ToolDefinitionError([f"{path.name}: cannot be read ({exc.strerror})"]) from exc
        return parse_tool_json(text, name=path.name)
    errors = _schema_errors(data)
    if not errors and data["version"] > MAX_VERSION:
        errors = [f"version: must be at most {MAX_VERSION}"]
    if not errors:
        errors = semantic_errors(data)
    if errors:
        raise ToolDefinitionError(errors)
    return _build(data)


def _position(text: str, offset: int) -> str:
    line, line_start = text.count("\n", 0, offset) + 1, text.rfind("\n", 0, offset) + 1
    return f"line {line} column {offset - line_start + 1}"


def _shape_problem(text: str) -> str | None:
    """The first place where ``text`` nests too deep or has an oversized or non-finite number, or None.

    One linear pass over the tokens, before the parser sees the text (its recursion is what fails).
    """
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        value = token.group()
        first, problem = value[0], None
        if first == '"':
            continue
        if first in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                problem = f"nested more than {MAX_JSON_DEPTH} levels deep (arrays and objects)"
        elif first in "]}":
            depth -= 1
        elif value.lstrip("-") in ("Infinity", "NaN"):
            problem = f"{value} is not a number JSON allows"
        elif not any(c in value for c in ".eE"):
            digits = len(value.lstrip("-"))
            if digits > MAX_INTEGER_DIGITS:
                problem = (
                    f"a whole number of {digits} digits ({value[:12]}...); "
                    f"at most {MAX_INTEGER_DIGITS} digits are allowed"
                )
        elif len(value) > MAX_NUMBER_LENGTH or not _finite(value):
            shown = value if len(value) <= 24 else f"{value[:12]}..."
            problem = (
                f"the number {shown} is too long or too large (at most {MAX_NUMBER_LENGTH} characters, and finite)"
            )
        if problem:
            return f"{_position(text, token.start())}: {problem}"
    return None


def _finite(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return True  # not a JSON number at all: the parser reports the syntax error with its place


def _bounded_int(value: str) -> int:
    if len(value.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _LimitExceeded(f"a whole number of more than {MAX_INTEGER_DIGITS} digits")
    return int(value)


def _finite_float(value: str) -> float:
    number = float(value)
    if len(value) > MAX_NUMBER_LENGTH or not math.isfinite(number):
        raise _LimitExceeded(f"the number {value[:24]} is too long or too large")
    return number


def _refuse_constant(value: str) -> Any:
    raise _LimitExceeded(f"{value} is not a number JSON allows")


def parse_tool_json(text: str | bytes, *, name: str = "definition") -> AuditTool:
    """Parse JSON text (for example an uploaded file) and load it with :func:`load_tool`.

    Raises :class:`ToolDefinitionError`; a JSON syntax error is reported with its line and column, and so is
    nesting deeper than MAX_JSON_DEPTH or a number beyond the limits above.
    """
    try:
        if isinstance(text, bytes | bytearray):
            text = text.decode(json.detect_encoding(text), "surrogatepass")  # as json.loads decodes bytes
        problem = _shape_problem(text)
        if problem:
            raise ToolDefinitionError([f"{name}: {problem}"])
        data = json.loads(text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, UnicodeDecodeError, _LimitExceeded) as exc:
        if isinstance(exc, json.JSONDecodeError):
            where = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
        else:
            where = str(exc)
        raise ToolDefinitionError([f"{name}: not valid JSON ({where})"]) from exc
    if not isinstance(data, dict):
        raise ToolDefinitionError([f"{name}: the definition must be a JSON object"])
    return load_tool(data)


def tool_to_json(tool: AuditTool) -> dict[str, Any]:
    """Return the definition the tool was loaded from (a deep copy), ready for ``json.dumps`` or storage."""
    return copy.deepcopy(tool.definition)


def canonical_json(tool: AuditTool) -> str:
    """The tool's definition as canonical JSON: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(tool.definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def tool_fingerprint(tool: AuditTool) -> str:
    """Return the SHA-256 (hex) of the canonical JSON, so a round can pin exactly this version of the tool."""
    return hashlib.sha256(canonical_json(tool).encode("utf-8")).hexdigest()


def _load_shipped(entry: Any) -> AuditTool | None:
    if entry.name.endswith(".json"):
        return parse_tool_json(entry.read_text(encoding="utf-8"), name=entry.name)
    if entry.name.endswith(".xlsx"):  # tools written as spreadsheets (SPREADSHEETS.md)
        from .xlsform_read import checked_tool  # openpyxl loads only when a spreadsheet is shipped

        return checked_tool(entry.read_bytes(), name=entry.name, load=load_tool)
    return None


@lru_cache(maxsize=1)
def _builtin() -> tuple[AuditTool, ...]:
    folder = resources.files(__package__).joinpath("definitions")
    tools = [t for e in sorted(folder.iterdir(), key=lambda e: e.name) if (t := _load_shipped(e)) is not None]
    seen = set()
    for tool in tools:
        if (tool.key, tool.version) in seen:
            raise ToolDefinitionError([f"{tool.key} version {tool.version} is shipped twice"])
        seen.add((tool.key, tool.version))
    return tuple(tools)


def builtin_tools() -> list[AuditTool]:
    """Return every tool shipped in ``auditapp/tools/definitions/``, ordered by file name (loaded once)."""
    return list(_builtin())


_SHIPPED_NAME = re.compile(r"(?P<key>[a-z0-9_]+)\.v(?P<version>[1-9][0-9]*)\.(json|xlsx)")


@lru_cache(maxsize=32)
def shipped_tool(*, key: str, version: int | None = None) -> AuditTool | None:
    """The shipped tool ``key`` (at ``version``, else the highest) parsed from its own file only, without parsing
    every shipped file (each spreadsheet costs openpyxl and checks: about a second of a command's start-up).

    Only when every shipped file is named ``<key>.v<version>.json|xlsx`` and the file holds what its name says;
    otherwise None, and the caller looks through :func:`builtin_tools` as before."""
    folder = resources.files(__package__).joinpath("definitions")
    found = {}
    for entry in folder.iterdir():
        named = _SHIPPED_NAME.fullmatch(entry.name)
        if named is None:
            return None
        if named["key"] == key and (version is None or int(named["version"]) == version):
            found[int(named["version"])] = entry
    if not found:
        return None
    tool = _load_shipped(found[max(found)])
    return tool if tool is not None and (tool.key, tool.version) == (key, max(found)) else None


def builtin_tool(*, key: str, version: int | None = None) -> AuditTool:
    """Return a shipped tool by key: the given version, or else the highest. Raises KeyError if none."""
    tool = shipped_tool(key=key, version=version)
    if tool is not None:
        return tool
    matches = [t for t in _builtin() if t.key == key and (version is None or t.version == version)]
    if not matches:
        raise KeyError(f"{key} version {version}" if version is not None else key)
    return max(matches, key=lambda t: t.version)
