"""The sampling certificate: a JSON document that lets anyone re-check a hashrank-v1 draw.

Standard library only. The certificate is a plain ``dict`` of JSON values; ``certificate_json`` writes it.
Fields (in this order):

- ``algorithm`` ("hashrank"), ``version`` (1) - together the published algorithm ``hashrank-v1``;
- ``how_to_verify``: the command that checks the certificate;
- ``seed``, ``drawn_by``, ``drawn_at`` (ISO 8601, UTC, ``Z``);
- hashrank-v2 only (a witnessed draw, issue 14): ``server_random`` (drawn by the server at the moment of the
  draw), ``witness_value`` (entered by the witness), ``seed_derivation`` (how the seed follows from them),
  ``frozen_by``, ``frozen_at`` (who froze the population, when), ``witnessed_by`` (``{name, role}``),
  ``draw_attempts`` (every draw attempt of the round: exactly one), ``filter_sha256`` (the filter's fingerprint);
- ``filter`` (as given, made JSON-safe), ``stratify_by`` (field name or null);
- ``requested_size``, ``min_per_stratum``;
- ``exclusions``: ``[{case_ref, reason}]`` sorted by case_ref, ``exclusion_counts``: ``{reason: count}``;
- ``strata``: ``[{name, N, n}]`` by name; ``population_size``; ``population_sha256``;
- ``sample``: the drawn sample, strata in name order, each in key order; ``sample_by_stratum``;
- ``replacement_lists``: ``{stratum: [case_ref, ...]}`` in key order;
- ``replacement_log``: ``[{case_ref_out, case_ref_in, stratum, reason, by, at}]`` in the order made;
- ``current_sample``: the sample after the replacements (each replacement takes its case's place);
- ``population``: ``[[case_ref, stratum], ...]`` sorted as the fingerprint's lines, which is case_ref order
  (last, as it is long). In memory the pairs are tuples; JSON writes them as arrays.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

from auditapp.sampling.hashrank import (
    ALGORITHM,
    VERSION,
    PopulationError,
    ReplacementError,
    _check_no_repeats,
    _draw,
    population_sha256_of_sorted,
    replay_replacements,
)
from auditapp.sampling.verify import derive_seed, filter_sha256

VERIFY_COMMAND = "python -m auditapp.sampling.verify cert.json"
VERIFY_COMMAND_V2 = "python3 verify.py certificate.json"
SEED_DERIVATION = 'seed = hex SHA-256 of UTF-8 "hashrank-v2" LF server_random LF witness_value LF population_sha256'


@dataclass(frozen=True)
class Witnessed:
    """A hashrank-v2 draw: the population frozen by one person, the draw witnessed by a second named person."""

    server_random: str
    witness_value: str
    witness_name: str
    witness_role: str
    frozen_by: str
    frozen_at: datetime | str
    server_random_source: str = "server"  # "server": drawn at the draw; "demo": fixed by the demo loader


def iso_utc(moment: datetime | str) -> str:
    """Return ``moment`` as ISO 8601 UTC to the second, e.g. ``2025-03-01T09:30:00Z``.

    A naive datetime is taken to be UTC already (as stored by the database). A string is parsed first.
    Raises ValueError for a string that is not an ISO 8601 date-time.
    """
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str)
    return str(value)


def _json_safe(value: Any) -> Any:
    """Return ``value`` as plain JSON types (dates as ISO text, sets as sorted lists)."""
    return json.loads(json.dumps(value, default=_json_default))


def _exclusion_entries(
    exclusions: Iterable[tuple[str, str]], eligible_refs: Iterable[str]
) -> tuple[list[dict[str, str]], dict[str, int]]:
    entries = sorted(({"case_ref": ref, "reason": reason} for ref, reason in exclusions), key=_by_ref)
    excluded = {entry["case_ref"] for entry in entries}
    clash = next(filter(excluded.__contains__, eligible_refs), None) if excluded else None
    if clash is not None:
        raise PopulationError(f"Case {clash!r} is excluded but also in the eligible population.")
    counts = Counter(entry["reason"] for entry in entries)
    return entries, {reason: counts[reason] for reason in sorted(counts)}


def _by_ref(entry: Mapping[str, str]) -> str:
    return entry["case_ref"]


def _log_entry(entry: Mapping[str, Any], stratum_of: Mapping[str, str]) -> dict[str, Any]:
    out_ref = entry["case_ref_out"]
    return {
        "case_ref_out": out_ref,
        "case_ref_in": entry["case_ref_in"],
        "stratum": entry.get("stratum") or stratum_of.get(out_ref),
        "reason": entry["reason"],
        "by": entry["by"],
        "at": iso_utc(entry["at"]),
    }


def _flatten(by_stratum: Mapping[str, Iterable[str]]) -> list[str]:
    return [ref for name in sorted(by_stratum) for ref in by_stratum[name]]


def build_certificate(
    *,
    population: Iterable[tuple[str, str]],
    size: int,
    seed: str | None,
    drawn_by: str,
    drawn_at: datetime | str,
    population_filter: Mapping[str, Any],
    exclusions: Iterable[tuple[str, str]] = (),
    min_per_stratum: bool = False,
    stratify_by: str | None = None,
    replacement_log: Iterable[Mapping[str, Any]] = (),
    witnessed: Witnessed | None = None,
) -> dict[str, Any]:
    """Draw the sample with hashrank-v1 and return its certificate (a JSON-ready dict).

    ``population`` is the eligible ``(case_ref, stratum)`` pairs, after the filter and exclusions (stratum
    "all" when not stratified); ``exclusions`` is ``(case_ref, reason)`` pairs of the cases removed. To
    re-issue the certificate of a round with replacements, pass its ``replacement_log`` (entries with
    ``case_ref_out``, ``case_ref_in``, ``reason``, ``by``, ``at`` and optionally ``stratum``); it is checked.

    With ``witnessed`` the draw is hashrank-v2: ``seed`` is ignored and derived (``SEED_DERIVATION``) from the
    server's random value, the witness value and the population fingerprint.

    Raises PopulationError, SampleSizeError or ReplacementError (all ValueError) with a message fit to show.
    """
    pairs = population if isinstance(population, Sequence) else list(population)
    if not all(map(isinstance, pairs, repeat(tuple | list))):
        pairs = list(map(tuple, pairs))  # e.g. database rows: keep only plain, JSON-ready pairs
    # Case_ref order is the order of the fingerprint's sorted "case_ref<TAB>stratum" lines (case references are
    # unique and free of control characters, which the draw checks); sorting the pairs themselves saves a million
    # new strings and lists. Sorted here, a repeated case_ref sits next to itself: the draw's own check for
    # repeats (a sort of every key) is replaced by this one, made at the same point.
    ordered: list[tuple[str, str]] = []
    fingerprint: str | None = None
    if witnessed is not None:
        # The seed follows from the fingerprint, so the pairs are sorted first, once: the fingerprint's lines in
        # their sorted order are the sorted pairs' lines (see population_sha256_of_sorted), and sorting a second
        # time (the lines, then the pairs) was a third of the certificate's cost.
        ordered.extend(sorted(pairs, key=itemgetter(0)))
        fingerprint = population_sha256_of_sorted(ordered)
        seed = derive_seed(witnessed.server_random, witnessed.witness_value, fingerprint)
    if seed is None:
        raise PopulationError("A draw needs a seed or a witness.")

    def check_repeats() -> None:
        if not ordered:
            ordered.extend(sorted(pairs, key=itemgetter(0)))
        _check_no_repeats(ordered)

    result = _draw(pairs, size=size, seed=seed, min_per_stratum=min_per_stratum, check_repeats=check_repeats)
    excluded, exclusion_counts = _exclusion_entries(exclusions, map(itemgetter(0), pairs))
    log = [dict(entry) for entry in replacement_log]
    if log:
        stratum_of = {ref: name for name, refs in result.sample_by_stratum.items() for ref in refs}
        stratum_of.update((ref, name) for name, refs in result.replacement_lists.items() for ref in refs)
        log = [_log_entry(entry, stratum_of) for entry in log]
    current = replay_replacements(result.sample_by_stratum, result.replacement_lists, log)
    safe_filter = _json_safe(dict(population_filter))
    head: dict[str, Any] = {
        "algorithm": ALGORITHM,
        "version": VERSION,
        "how_to_verify": VERIFY_COMMAND,
        "seed": seed,
        "drawn_by": drawn_by,
        "drawn_at": iso_utc(drawn_at),
    }
    if witnessed is not None:
        head |= _witness_fields(witnessed, seed=seed, drawn_by=drawn_by, drawn_at=head["drawn_at"])
        head["filter_sha256"] = filter_sha256(safe_filter)
    return head | {
        "filter": safe_filter,
        "stratify_by": stratify_by,
        "requested_size": size,
        "min_per_stratum": min_per_stratum,
        "exclusions": excluded,
        "exclusion_counts": exclusion_counts,
        "strata": [
            {"name": name, "N": count, "n": result.allocation[name]} for name, count in result.strata_sizes.items()
        ],
        "population_size": len(pairs),
        "population_sha256": fingerprint or population_sha256_of_sorted(ordered),
        "sample": result.sample,
        "sample_by_stratum": result.sample_by_stratum,
        "replacement_lists": result.replacement_lists,
        "replacement_log": log,
        "current_sample": _flatten(current),
        "population": ordered,
    }


def _witness_fields(witnessed: Witnessed, *, seed: str, drawn_by: str, drawn_at: str) -> dict[str, Any]:
    return {
        "version": 2,
        "how_to_verify": VERIFY_COMMAND_V2,
        "seed_derivation": SEED_DERIVATION,
        "server_random": witnessed.server_random,
        "server_random_source": witnessed.server_random_source,
        "witness_value": witnessed.witness_value,
        "frozen_by": witnessed.frozen_by,
        "frozen_at": iso_utc(witnessed.frozen_at),
        "witnessed_by": {"name": witnessed.witness_name, "role": witnessed.witness_role},
        "draw_attempts": [
            {
                "attempt": 1,
                "at": drawn_at,
                "by": drawn_by,
                "witness_name": witnessed.witness_name,
                "witness_role": witnessed.witness_role,
                "server_random": witnessed.server_random,
                "witness_value": witnessed.witness_value,
                "seed": seed,
            }
        ],
    }


def _current_by_stratum(certificate: Mapping[str, Any]) -> dict[str, list[str]]:
    return replay_replacements(
        certificate["sample_by_stratum"], certificate["replacement_lists"], certificate["replacement_log"]
    )


def current_sample(certificate: Mapping[str, Any]) -> list[str]:
    """Return the sample in force after the certificate's replacements.

    Raises ReplacementError when the certificate's replacement log breaks the rule.
    """
    return _flatten(_current_by_stratum(certificate))


def next_replacement(certificate: Mapping[str, Any], case_ref: str) -> tuple[str, str]:
    """Return ``(stratum, case_ref_in)``: the case that would replace ``case_ref`` now.

    Raises ReplacementError when ``case_ref`` is not in the current sample (never drawn, or already replaced)
    or its stratum's replacement list is used up.
    """
    current = _current_by_stratum(certificate)
    stratum = next((name for name, refs in current.items() if case_ref in refs), None)
    if stratum is None:
        raise ReplacementError(f"Case {case_ref!r} is not in the current sample, so it cannot be replaced.")
    used = sum(1 for entry in certificate["replacement_log"] if entry["stratum"] == stratum)
    candidates = certificate["replacement_lists"][stratum]
    if used >= len(candidates):
        raise ReplacementError(
            f"There are no cases left on the replacement list for stratum {stratum!r} ({len(candidates)} already used)."
        )
    return stratum, candidates[used]


def apply_replacement(
    certificate: Mapping[str, Any],
    *,
    case_ref: str,
    reason: str,
    by: str,
    at: datetime | str | None = None,
) -> dict[str, Any]:
    """Replace ``case_ref`` by the next unused case on its stratum's replacement list.

    Returns a new certificate with the replacement appended to ``replacement_log`` and ``current_sample``
    updated; the given certificate is not changed. ``at`` defaults to now (UTC). Raises ReplacementError when
    the reason is empty, the case is not in the current sample, or the replacement list is used up.
    """
    if not reason or not reason.strip():
        raise ReplacementError("Enter the reason for replacing the case.")
    stratum, case_ref_in = next_replacement(certificate, case_ref)
    entry = {
        "case_ref_out": case_ref,
        "case_ref_in": case_ref_in,
        "stratum": stratum,
        "reason": reason.strip(),
        "by": by,
        "at": iso_utc(at if at is not None else datetime.now(UTC)),
    }
    updated = dict(certificate)
    updated["replacement_log"] = [*certificate["replacement_log"], entry]
    updated["current_sample"] = current_sample(updated)
    return updated


def certificate_json(certificate: Mapping[str, Any]) -> str:
    """Return the certificate as JSON text: one field per line, so it stays readable at a million cases."""
    fields = (f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}" for name, value in certificate.items())
    return "{\n" + ",\n".join(fields) + "\n}\n"
