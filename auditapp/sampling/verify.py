"""Check a sampling certificate without the database: ``python -m auditapp.sampling.verify cert.json``.

Standard library only, so anyone with Python 3.11 and these three files can run it. It recomputes, from the
certificate's seed and population alone, the population fingerprint, each stratum's size and allocation,
every case's key, the sample and the replacement lists, and replays the replacement log (each replacement
must be the next unused case on its stratum's list). It prints ``VERIFIED`` and exits 0, or prints
``NOT VERIFIED: <first difference>`` and exits 1.

What it proves: the sample follows from the seed and the population recorded in the certificate. That the
recorded population is the real one is checked by comparing ``population_sha256`` with the fingerprint the
system published when the sample was drawn.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auditapp.sampling.hashrank import (
    ALGORITHM,
    VERSION,
    Draw,
    SamplingError,
    draw,
    population_sha256,
    replay_replacements,
)

_FIELDS: dict[str, type | tuple[type, ...]] = {
    "algorithm": str,
    "version": int,
    "seed": str,
    "drawn_by": (str, type(None)),
    "drawn_at": (str, type(None)),
    "filter": (dict, type(None)),
    "requested_size": int,
    "min_per_stratum": bool,
    "exclusions": list,
    "exclusion_counts": dict,
    "strata": list,
    "population_sha256": str,
    "sample": list,
    "sample_by_stratum": dict,
    "replacement_lists": dict,
    "replacement_log": list,
    "current_sample": list,
    "population": list,
}


def _check_fields(cert: Mapping[str, Any]) -> list[str]:
    problems = []
    for name, kind in _FIELDS.items():
        if name not in cert:
            problems.append(f"the certificate has no {name!r} field")
        elif not isinstance(cert[name], kind) or (kind is int and isinstance(cert[name], bool)):
            problems.append(f"the certificate's {name!r} field has the wrong type")
    if not problems and (cert["algorithm"], cert["version"]) != (ALGORITHM, VERSION):
        problems.append(
            f"the certificate is for {cert['algorithm']}-v{cert['version']}; "
            f"this verifier checks {ALGORITHM}-v{VERSION}"
        )
    return problems


def _population(cert: Mapping[str, Any]) -> list[tuple[str, str]] | str:
    pairs = []
    for number, pair in enumerate(cert["population"], start=1):
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(item, str) for item in pair)):
            return f"population entry {number} is not a [case_ref, stratum] pair"
        pairs.append((pair[0], pair[1]))
    return pairs


def _first_difference(label: str, recorded: Sequence[Any], recomputed: Sequence[Any]) -> str | None:
    """Describe where two lists first differ, or return None when they are equal."""
    if list(recorded) == list(recomputed):
        return None
    for position, (have, want) in enumerate(zip(recorded, recomputed, strict=False), start=1):
        if have != want:
            return f"{label} differs at position {position}: the certificate has {have!r}, recomputed {want!r}"
    return f"{label} has {len(recorded)} cases in the certificate, recomputed {len(recomputed)}"


def _check_hash(cert: Mapping[str, Any], pairs: list[tuple[str, str]]) -> list[str]:
    recomputed = population_sha256(pairs)
    if cert["population_sha256"] != recomputed:
        return [
            f"population_sha256 does not match the population: the certificate has "
            f"{cert['population_sha256']}, recomputed {recomputed}"
        ]
    return []


def _check_exclusions(cert: Mapping[str, Any], pairs: list[tuple[str, str]]) -> list[str]:
    eligible = {ref for ref, _ in pairs}
    problems = []
    reasons: Counter[str] = Counter()
    for entry in cert["exclusions"]:
        if not isinstance(entry, dict) or "case_ref" not in entry or "reason" not in entry:
            return ["an exclusion is not a {case_ref, reason} record"]
        if entry["case_ref"] in eligible:
            problems.append(f"excluded case {entry['case_ref']!r} is in the eligible population")
        reasons[entry["reason"]] += 1
    if dict(reasons) != cert["exclusion_counts"]:
        problems.append(
            f"exclusion_counts {cert['exclusion_counts']} do not match the exclusions listed ({dict(reasons)})"
        )
    return problems


def _check_strata(cert: Mapping[str, Any], sizes: dict[str, int], allocation: dict[str, int]) -> list[str]:
    recorded: dict[str, Any] = {}
    for entry in cert["strata"]:
        if not isinstance(entry, dict) or not {"name", "N", "n"} <= entry.keys():
            return ["a stratum is not a {name, N, n} record"]
        recorded[entry["name"]] = entry
    problems = [f"stratum {name!r} is in the population but not in 'strata'" for name in sizes if name not in recorded]
    problems += [f"stratum {name!r} is in 'strata' but not in the population" for name in recorded if name not in sizes]
    for name in sizes.keys() & recorded.keys():
        if recorded[name]["N"] != sizes[name]:
            problems.append(f"stratum {name!r}: N is {recorded[name]['N']}, the population has {sizes[name]}")
        if recorded[name]["n"] != allocation[name]:
            problems.append(f"stratum {name!r}: n is {recorded[name]['n']}, the allocation gives {allocation[name]}")
    return problems


def _check_draw(cert: Mapping[str, Any], result: Draw) -> list[str]:
    problems = []
    for field in ("sample_by_stratum", "replacement_lists"):
        extra = sorted(set(cert[field]) - result.strata_sizes.keys())
        problems += [f"{field} has stratum {name!r}, which is not in the population" for name in extra]
    for name in result.strata_sizes:
        for label, field, want in (
            ("sample", "sample_by_stratum", result.sample_by_stratum[name]),
            ("replacement list", "replacement_lists", result.replacement_lists[name]),
        ):
            problem = _first_difference(f"the {label} for stratum {name!r}", cert[field].get(name, []), want)
            if problem:
                problems.append(problem)
    problem = _first_difference("the sample", cert["sample"], result.sample)
    return [*problems, problem] if problem else problems


def _check_replacements(cert: Mapping[str, Any]) -> list[str]:
    for number, entry in enumerate(cert["replacement_log"], start=1):
        if not isinstance(entry, dict):
            return [f"replacement {number} is not a record"]
        missing = [key for key in ("case_ref_out", "case_ref_in", "stratum", "reason", "by", "at") if key not in entry]
        if missing:
            return [f"replacement {number} has no {missing[0]!r}"]
        if not str(entry["reason"]).strip():
            return [f"replacement {number} has no reason recorded"]
    try:
        current = replay_replacements(cert["sample_by_stratum"], cert["replacement_lists"], cert["replacement_log"])
    except SamplingError as error:
        return [str(error)]
    flat = [ref for name in sorted(current) for ref in current[name]]
    problem = _first_difference("current_sample", cert["current_sample"], flat)
    return [problem] if problem else []


def verify_certificate(cert: Mapping[str, Any]) -> list[str]:
    """Recompute a hashrank-v1 certificate and return the differences found, most basic first.

    An empty list means the certificate is consistent: its sample and replacement lists follow from its seed
    and population, its fingerprint matches the population, and every replacement was the next on its list.
    """
    if not isinstance(cert, Mapping):
        return ["the certificate is not a JSON object"]
    problems = _check_fields(cert)
    if problems:
        return problems
    pairs = _population(cert)
    if isinstance(pairs, str):
        return [pairs]
    try:
        result = draw(pairs, size=cert["requested_size"], seed=cert["seed"], min_per_stratum=cert["min_per_stratum"])
    except SamplingError as error:
        return [f"the population or sample size cannot be drawn from: {error}"]
    checks: list[Callable[[], list[str]]] = [
        lambda: _check_hash(cert, pairs),
        lambda: _check_exclusions(cert, pairs),
        lambda: _check_strata(cert, result.strata_sizes, result.allocation),
        lambda: _check_draw(cert, result),
        lambda: _check_replacements(cert),
    ]
    for check in checks:
        problems += check()
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Verify the certificate file named on the command line; print the verdict and return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m auditapp.sampling.verify",
        description="Check a hashrank-v1 sampling certificate without the database.",
    )
    parser.add_argument("certificate", help="path to the certificate JSON file")
    args = parser.parse_args(argv)
    try:
        with open(args.certificate, encoding="utf-8") as handle:
            cert = json.load(handle)
    except (OSError, ValueError) as error:
        print(f"NOT VERIFIED: cannot read {args.certificate}: {error}")
        return 1
    problems = verify_certificate(cert)
    if problems:
        print(f"NOT VERIFIED: {problems[0]}")
        return 1
    print("VERIFIED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
