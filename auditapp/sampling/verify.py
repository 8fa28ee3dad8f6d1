"""Check a sampling certificate without the database: ``python3 verify.py certificate.json``.

One file, standard library only (Python 3.11+): copy it anywhere and run it, with no package installed (it is
also ``python -m auditapp.sampling.verify``). It re-implements the published algorithm independently of the
system that drew the sample and recomputes, from the certificate's recorded values alone:

- the seed (hashrank-v2): the hex SHA-256 of the UTF-8 text ``"hashrank-v2\\n" + server_random + "\\n" +
  witness_value + "\\n" + population_sha256``, where ``server_random`` is the random value the server drew at
  the moment of the draw, ``witness_value`` the value the named witness entered after the population was frozen
  and its fingerprint shown to them, and ``population_sha256`` that fingerprint; the draw attempts (exactly one);
- the population fingerprint, ``population_size`` and each stratum's size and allocation;
- that no excluded case is in the population, and the counts of exclusions by reason;
- the filter's fingerprint (hashrank-v2): hex SHA-256 of the filter as JSON with sorted keys, no spaces;
- every case's key, the sample and the replacement lists, and the replacement log (each replacement must be
  the next unused case on its stratum's list).

hashrank-v1 certificates (seed typed or chosen at random by the server, no witness) are still checked, without
the seed derivation and the filter fingerprint, which they do not record. It prints ``VERIFIED`` and exits 0,
or ``NOT VERIFIED: <first difference>`` and exits 1.

What it proves: the sample follows from the recorded values. That the recorded population is the real one is
checked by comparing ``population_sha256`` with the fingerprint shown when the population was frozen (on the
round page and in the Board report's technical annex).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

ALGORITHM = "hashrank"
VERSIONS = (1, 2)
UNSTRATIFIED = "all"
_CONTROL = frozenset(map(chr, (*range(32), 127)))


def derive_seed(server_random: str, witness_value: str, population_sha256: str) -> str:
    """The hashrank-v2 seed: hex SHA-256 of the three recorded values, one per line, after ``hashrank-v2``."""
    text = "\n".join(("hashrank-v2", server_random, witness_value, population_sha256))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def filter_sha256(population_filter: Any) -> str:
    """The filter's fingerprint: hex SHA-256 of its JSON with sorted keys and no spaces (UTF-8)."""
    text = json.dumps(population_filter, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def population_sha256(pairs: Sequence[tuple[str, str]]) -> str:
    """hex SHA-256 of the sorted ``case_ref<TAB>stratum`` lines joined by ``\\n``."""
    return hashlib.sha256("\n".join(sorted(f"{ref}\t{stratum}" for ref, stratum in pairs)).encode()).hexdigest()


def _shares(weights: Mapping[str, int], places: int) -> dict[str, int]:
    total = sum(weights.values())
    shares = dict.fromkeys(weights, 0)
    if places == 0:
        return shares
    remainders = {}
    for name, weight in weights.items():
        shares[name], remainders[name] = divmod(places * weight, total)
    for name in sorted(weights, key=lambda s: (-remainders[s], s))[: places - sum(shares.values())]:
        shares[name] += 1
    return shares


def allocation(sizes: Mapping[str, int], size: int, min_per_stratum: bool) -> dict[str, int] | str:
    """Places per stratum by largest remainder (ties to the name), or the reason none can be given."""
    total = sum(sizes.values())
    if size < 1 or size > total:
        return f"a sample of {size} cannot be drawn from {total} cases"
    if not min_per_stratum:
        return _shares(sizes, size)
    if size < len(sizes):
        return f"a sample of {size} cannot give one case to each of {len(sizes)} strata"
    extra = _shares({name: count - 1 for name, count in sizes.items()}, size - len(sizes))
    return {name: 1 + extra[name] for name in sizes}


def ranked(seed: str, pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Each stratum's cases (strata by name) sorted by key, the hex SHA-256 of ``"<seed>:<case_ref>"``."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for ref, stratum in pairs:
        groups.setdefault(stratum, []).append((hashlib.sha256(f"{seed}:{ref}".encode()).hexdigest(), ref))
    return {name: [ref for _, ref in sorted(groups[name])] for name in sorted(groups)}


def _population(cert: Mapping[str, Any]) -> list[tuple[str, str]] | str:
    pairs = []
    for number, pair in enumerate(cert["population"], start=1):
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(item, str) for item in pair)):
            return f"population entry {number} is not a [case_ref, stratum] pair"
        if not pair[0] or not pair[1] or _CONTROL.intersection(pair[0] + pair[1]):
            return f"population entry {number} has an empty value or a control character"
        pairs.append((pair[0], pair[1]))
    if not pairs:
        return "the population is empty"
    repeated = [ref for ref, count in Counter(ref for ref, _ in pairs).items() if count > 1]
    if repeated:
        return f"case {repeated[0]!r} appears more than once in the population"
    return pairs


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
    "population_size": int,
    "population_sha256": str,
    "sample": list,
    "sample_by_stratum": dict,
    "replacement_lists": dict,
    "replacement_log": list,
    "current_sample": list,
    "population": list,
}
_V2_FIELDS: dict[str, type | tuple[type, ...]] = {
    "filter_sha256": str,
    "server_random": str,
    "witness_value": str,
    "frozen_by": str,
    "frozen_at": str,
    "witnessed_by": dict,
    "draw_attempts": list,
}
_ATTEMPT_FIELDS = ("at", "by", "witness_name", "witness_role", "server_random", "witness_value", "seed")


def _check_fields(cert: Mapping[str, Any]) -> list[str]:
    problems = []
    fields = dict(_FIELDS)
    if cert.get("version") == 2:
        fields.update(_V2_FIELDS)
    for name, kind in fields.items():
        if name not in cert:
            problems.append(f"the certificate has no {name!r} field")
        elif not isinstance(cert[name], kind) or (kind is int and isinstance(cert[name], bool)):
            problems.append(f"the certificate's {name!r} field has the wrong type")
    if not problems and (cert["algorithm"] != ALGORITHM or cert["version"] not in VERSIONS):
        problems.append(
            f"the certificate is for {cert['algorithm']}-v{cert['version']}; "
            "this verifier checks hashrank-v1 and hashrank-v2"
        )
    return problems


def _first_difference(label: str, recorded: Sequence[Any], recomputed: Sequence[Any]) -> str | None:
    """Describe where two lists first differ, or return None when they are equal."""
    if list(recorded) == list(recomputed):
        return None
    for position, (have, want) in enumerate(zip(recorded, recomputed, strict=False), start=1):
        if have != want:
            return f"{label} differs at position {position}: the certificate has {have!r}, recomputed {want!r}"
    return f"{label} has {len(recorded)} cases in the certificate, recomputed {len(recomputed)}"


def _check_witness(cert: Mapping[str, Any]) -> list[str]:
    """hashrank-v2: the seed follows from the recorded values, and there was exactly one draw attempt."""
    problems = []
    seed = derive_seed(cert["server_random"], cert["witness_value"], cert["population_sha256"])
    if cert["seed"] != seed:
        problems.append(
            f"the seed does not follow from server_random, witness_value and population_sha256: "
            f"the certificate has {cert['seed']}, recomputed {seed}"
        )
    if cert.get("server_random_source", "server") not in ("server", "demo"):
        problems.append("server_random_source must be 'server' (drawn at the draw) or 'demo' (fixed by the demo)")
    witness = cert["witnessed_by"]
    if not all(isinstance(witness.get(key), str) and witness[key].strip() for key in ("name", "role")):
        problems.append("witnessed_by does not name the witness and their role")
    attempts = cert["draw_attempts"]
    if len(attempts) != 1:
        return [*problems, f"the certificate lists {len(attempts)} draw attempts; there must be exactly one"]
    attempt = attempts[0]
    if not isinstance(attempt, dict) or any(key not in attempt for key in _ATTEMPT_FIELDS):
        return [*problems, "the draw attempt is not a complete record"]
    recorded = {
        "at": cert["drawn_at"],
        "by": cert["drawn_by"],
        "witness_name": witness.get("name"),
        "witness_role": witness.get("role"),
        "server_random": cert["server_random"],
        "witness_value": cert["witness_value"],
        "seed": cert["seed"],
    }
    problems += [
        f"the draw attempt's {key} ({attempt[key]!r}) is not the certificate's ({value!r})"
        for key, value in recorded.items()
        if attempt[key] != value
    ]
    recomputed = filter_sha256(cert["filter"])
    if cert["filter_sha256"] != recomputed:
        problems.append(
            f"filter_sha256 does not match the filter: the certificate has {cert['filter_sha256']}, "
            f"recomputed {recomputed}"
        )
    return problems


def _check_population(cert: Mapping[str, Any], pairs: list[tuple[str, str]]) -> list[str]:
    problems = []
    recomputed = population_sha256(pairs)
    if cert["population_sha256"] != recomputed:
        problems.append(
            f"population_sha256 does not match the population: the certificate has "
            f"{cert['population_sha256']}, recomputed {recomputed}"
        )
    if cert["population_size"] != len(pairs):
        problems.append(f"population_size is {cert['population_size']}, the population has {len(pairs)} cases")
    return problems


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


def _check_strata(cert: Mapping[str, Any], sizes: dict[str, int], allocated: dict[str, int]) -> list[str]:
    recorded: dict[str, Any] = {}
    for entry in cert["strata"]:
        if not isinstance(entry, dict) or not {"name", "N", "n"} <= entry.keys():
            return ["a stratum is not a {name, N, n} record"]
        recorded[entry["name"]] = entry
    problems = [f"stratum {name!r} is in the population but not in 'strata'" for name in sizes if name not in recorded]
    problems += [f"stratum {name!r} is in 'strata' but not in the population" for name in recorded if name not in sizes]
    for name in sorted(sizes.keys() & recorded.keys()):
        if recorded[name]["N"] != sizes[name]:
            problems.append(f"stratum {name!r}: N is {recorded[name]['N']}, the population has {sizes[name]}")
        if recorded[name]["n"] != allocated[name]:
            problems.append(f"stratum {name!r}: n is {recorded[name]['n']}, the allocation gives {allocated[name]}")
    return problems


def _check_draw(cert: Mapping[str, Any], order: dict[str, list[str]], allocated: dict[str, int]) -> list[str]:
    problems = []
    for field in ("sample_by_stratum", "replacement_lists"):
        extra = sorted(set(cert[field]) - order.keys())
        problems += [f"{field} has stratum {name!r}, which is not in the population" for name in extra]
    sample: list[str] = []
    for name, refs in order.items():
        sample += refs[: allocated[name]]
        for label, field, want in (
            ("sample", "sample_by_stratum", refs[: allocated[name]]),
            ("replacement list", "replacement_lists", refs[allocated[name] :]),
        ):
            problem = _first_difference(f"the {label} for stratum {name!r}", cert[field].get(name, []), want)
            if problem:
                problems.append(problem)
    problem = _first_difference("the sample", cert["sample"], sample)
    return [*problems, problem] if problem else problems


def _replay(cert: Mapping[str, Any]) -> dict[str, list[str]] | str:
    current = {name: list(refs) for name, refs in cert["sample_by_stratum"].items()}
    used = dict.fromkeys(current, 0)
    for number, entry in enumerate(cert["replacement_log"], start=1):
        out_ref, in_ref, stratum = entry["case_ref_out"], entry["case_ref_in"], entry["stratum"]
        if stratum not in current:
            return f"Replacement {number}: there is no stratum {stratum!r}."
        if out_ref not in current[stratum]:
            return f"Replacement {number}: case {out_ref!r} is not in the sample for stratum {stratum!r}."
        candidates = cert["replacement_lists"].get(stratum, [])
        if used[stratum] >= len(candidates):
            return f"Replacement {number}: the replacement list for stratum {stratum!r} is used up."
        if in_ref != candidates[used[stratum]]:
            return (
                f"Replacement {number}: case {in_ref!r} is not the next case on the replacement list "
                f"for stratum {stratum!r}; the next case is {candidates[used[stratum]]!r}."
            )
        current[stratum][current[stratum].index(out_ref)] = in_ref
        used[stratum] += 1
    return current


def _check_replacements(cert: Mapping[str, Any]) -> list[str]:
    for number, entry in enumerate(cert["replacement_log"], start=1):
        if not isinstance(entry, dict):
            return [f"replacement {number} is not a record"]
        missing = [key for key in ("case_ref_out", "case_ref_in", "stratum", "reason", "by", "at") if key not in entry]
        if missing:
            return [f"replacement {number} has no {missing[0]!r}"]
        if not str(entry["reason"]).strip():
            return [f"replacement {number} has no reason recorded"]
    current = _replay(cert)
    if isinstance(current, str):
        return [current]
    flat = [ref for name in sorted(current) for ref in current[name]]
    problem = _first_difference("current_sample", cert["current_sample"], flat)
    return [problem] if problem else []


def verify_certificate(cert: Any) -> list[str]:
    """Recompute a hashrank-v1 or -v2 certificate and return the differences found, most basic first.

    An empty list means the certificate is consistent: every recorded figure follows from its recorded values.
    """
    if not isinstance(cert, Mapping):
        return ["the certificate is not a JSON object"]
    problems = _check_fields(cert)
    if problems:
        return problems
    pairs = _population(cert)
    if isinstance(pairs, str):
        return [pairs]
    order = ranked(cert["seed"], pairs)
    allocated = allocation(
        {name: len(refs) for name, refs in order.items()}, cert["requested_size"], cert["min_per_stratum"]
    )
    if isinstance(allocated, str):
        return [f"the population or sample size cannot be drawn from: {allocated}"]
    sizes = {name: len(refs) for name, refs in order.items()}
    checks: list[Callable[[], list[str]]] = [
        lambda: _check_witness(cert) if cert["version"] == 2 else [],
        lambda: _check_population(cert, pairs),
        lambda: _check_exclusions(cert, pairs),
        lambda: _check_strata(cert, sizes, allocated),
        lambda: _check_draw(cert, order, allocated),
        lambda: _check_replacements(cert),
    ]
    for check in checks:
        problems += check()
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Verify the certificate file named on the command line; print the verdict and return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python3 verify.py", description="Check a hashrank-v1 or hashrank-v2 sampling certificate."
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
    if cert.get("server_random_source") == "demo":
        print("NOTE: demonstration data: the server's value was fixed by the demo loader, not drawn at random")
    return 0


if __name__ == "__main__":
    sys.exit(main())
