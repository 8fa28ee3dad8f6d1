"""hashrank-v1: the published, reproducible algorithm that draws an audit sample.

Standard library only: this module is read and run by people outside the system (see ``verify.py``).

The algorithm, in full:

1. The seed is a string; when none is given, ``secrets.token_hex(16)``.
2. The eligible population is a set of ``(case_ref, stratum)`` pairs (the population after the filter and the
   exclusions), non-empty text without control characters (tabs, line breaks), each case_ref once. Without
   stratification every case is in the one stratum named ``all``.
3. Each case's key is the hex SHA-256 of the UTF-8 text ``"<seed>:<case_ref>"``.
4. The sample size n is shared between the strata in exact integer arithmetic by largest remainder: stratum s
   first gets floor(n * N_s / N); the places left over go one each to the strata with the largest remainders,
   ties to the stratum name in ascending order. With "at least one per stratum" (allowed only when n >= k, the
   number of strata) each stratum first gets one case and the other n - k places are shared the same way in
   proportion to N_s - 1.
5. Within each stratum the cases are sorted by key ascending (two equal keys, never seen for SHA-256, would
   be ordered by case_ref): the first n_s are the sample, the rest, in that order, the stratum's replacement
   list.
6. A sampled case may be replaced only by the next unused case on its own stratum's replacement list.
7. The population's fingerprint is the hex SHA-256 of the sorted lines ``case_ref<TAB>stratum`` joined by
   ``\\n`` (UTF-8, no trailing newline).
"""

from __future__ import annotations

import hashlib
import secrets
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, islice, repeat
from operator import eq, itemgetter
from typing import Any

ALGORITHM = "hashrank"
VERSION = 1
ALGORITHM_ID = f"{ALGORITHM}-v{VERSION}"
UNSTRATIFIED = "all"

_KEY_LENGTH = 64  # characters in a hex SHA-256 digest


class SamplingError(ValueError):
    """Base class for every error raised while drawing, certifying or replacing a sample."""


class PopulationError(SamplingError):
    """The eligible population cannot be sampled (empty, duplicate or malformed case references)."""


class SampleSizeError(SamplingError):
    """The requested sample size cannot be drawn from the population."""


class MinPerStratumError(SampleSizeError):
    """A sample of at least one case per stratum was asked for with fewer places than strata."""


class ReplacementError(SamplingError):
    """A replacement breaks the rule: only the next unused case on the stratum's replacement list."""


@dataclass(frozen=True)
class Draw:
    """The result of a hashrank-v1 draw. Dicts are keyed by stratum name, in ascending name order."""

    seed: str
    size: int
    min_per_stratum: bool
    strata_sizes: dict[str, int]
    allocation: dict[str, int]
    sample_by_stratum: dict[str, list[str]]
    # Each stratum's cases as "key + case_ref", sorted: the replacement lists are cut from it on first use,
    # as with a million cases they cost a fifth of the draw, and a preview or a replacement needs few of them.
    ranked: dict[str, list[str]] = field(repr=False)

    @property
    def sample(self) -> list[str]:
        """The whole sample: strata in name order, each in key order."""
        return [ref for name in self.sample_by_stratum for ref in self.sample_by_stratum[name]]

    @cached_property
    def replacement_lists(self) -> dict[str, list[str]]:
        """Each stratum's cases after its sample, in key order: the only cases that may replace them."""
        return {name: _refs(keyed[self.allocation[name] :]) for name, keyed in self.ranked.items()}


def new_seed() -> str:
    """Return a fresh random seed: 32 hex characters from the operating system's secure generator."""
    return secrets.token_hex(16)


def case_key(seed: str, case_ref: str) -> str:
    """Return the key of one case: hex SHA-256 of UTF-8 ``"<seed>:<case_ref>"``."""
    return hashlib.sha256(f"{seed}:{case_ref}".encode()).hexdigest()


def _largest_remainder(weights: Mapping[str, int], places: int) -> dict[str, int]:
    """Share ``places`` in proportion to ``weights`` by largest remainder, in integer arithmetic."""
    total = sum(weights.values())
    shares = dict.fromkeys(weights, 0)
    if places == 0:
        return shares
    remainders: dict[str, int] = {}
    for name, weight in weights.items():
        # floor(places * weight / total) and the remainder's numerator over the common denominator `total`.
        shares[name], remainders[name] = divmod(places * weight, total)
    left = places - sum(shares.values())
    for name in sorted(weights, key=lambda s: (-remainders[s], s))[:left]:
        shares[name] += 1
    return shares


def allocate(strata_sizes: Mapping[str, int], size: int, *, min_per_stratum: bool = False) -> dict[str, int]:
    """Return the number of cases to sample from each stratum (hashrank-v1 step 4), in stratum name order.

    Raises PopulationError when there are no strata or a stratum is empty, SampleSizeError when ``size`` is
    below 1 or above the population, and MinPerStratumError when ``min_per_stratum`` is asked for with
    fewer places than strata.
    """
    sizes = {name: strata_sizes[name] for name in sorted(strata_sizes)}
    if not sizes:
        raise PopulationError("There are no eligible cases to sample from.")
    empty = [name for name, count in sizes.items() if count < 1]
    if empty:
        raise PopulationError(f"Stratum {empty[0]!r} has no eligible cases.")
    total = sum(sizes.values())
    if size < 1:
        raise SampleSizeError(f"The sample size must be at least 1 (asked for {size}).")
    if size > total:
        raise SampleSizeError(
            f"The sample size {size} is larger than the population: there are only {total} eligible cases."
        )
    if not min_per_stratum:
        return _largest_remainder(sizes, size)
    if size < len(sizes):
        raise MinPerStratumError(
            f"At least one case per stratum needs a sample of at least {len(sizes)} "
            f"(there are {len(sizes)} strata), but the sample size is {size}."
        )
    # n - k <= N - k = sum(N_s - 1), so no stratum can be given more than its N_s cases.
    extra = _largest_remainder({name: count - 1 for name, count in sizes.items()}, size - len(sizes))
    return {name: 1 + extra[name] for name in sizes}


_CONTROL = tuple(map(chr, (*range(32), 127)))  # tab, line breaks and the other control characters


def _check_text(values: Iterable[str], what: str) -> None:
    """Reject non-text values and control characters such as tabs and line breaks.

    A tab or line break would make the population fingerprint ambiguous, and any character below a space
    would make the order of the fingerprint's lines differ from case_ref order.
    """
    try:
        joined = "".join(values)
    except TypeError:
        raise PopulationError(f"Every {what} must be text.") from None
    # One fast substring search per character beats a regular expression over tens of megabytes.
    control = next((char for char in _CONTROL if char in joined), None)
    if control is not None:
        raise PopulationError(f"A {what} contains a control character ({control!r}), which is not allowed.")


def _keyed_groups(seed: str, population: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """One pass over the population: each case as ``key + case_ref``, grouped by stratum (unsorted).

    Speed matters here (a million cases): one hash object holds the state after ``"<seed>:"``, so each case
    costs one copy and one update; no per-case tuples or objects are made; and nothing else walks the
    caller's rows, which are scattered in memory.
    """
    copy = hashlib.sha256(seed.encode() + b":").copy
    groups: dict[str, list[str]] = {}
    appenders: dict[str, Callable[[str], None]] = {}
    try:
        for ref, stratum in population:
            digest = copy()
            digest.update(ref.encode())
            try:
                appenders[stratum](digest.hexdigest() + ref)
            except KeyError:
                groups[stratum] = [digest.hexdigest() + ref]
                appenders[stratum] = groups[stratum].append
    except (AttributeError, TypeError, ValueError):
        raise PopulationError("Every case must be a pair of text: (case reference, stratum name).") from None
    return groups


def _sorted_groups(
    seed: str, population: Iterable[tuple[str, str]], *, check_repeats: Callable[[], None] | None = None
) -> dict[str, list[str]]:
    """Return the cases by stratum (strata in name order), each sorted by key, as ``key + case_ref`` strings.

    A plain string sort of ``key + case_ref`` orders by key, then case_ref, with no key function. Raises
    PopulationError for an empty population, or an empty, repeated or malformed case reference or stratum.
    ``check_repeats``, when given, replaces the check for repeated case references (at the same point, so the
    errors come in the same order): a caller that sorts the population by case_ref anyway checks it there.
    """
    unsorted = _keyed_groups(seed, population)
    empty = hashlib.sha256(seed.encode() + b":").hexdigest()  # how an empty case_ref would appear
    if not unsorted:
        raise PopulationError("There are no eligible cases to sample from.")
    _check_text(unsorted, "stratum name")
    groups = {name: unsorted[name] for name in sorted(unsorted)}
    for keyed in groups.values():
        keyed.sort()
        _check_text(keyed, "case reference")  # the keys are hex, so only a case_ref can fail
        position = bisect_left(keyed, empty)
        if position < len(keyed) and keyed[position] == empty:
            raise PopulationError("A case reference is empty.")
    if check_repeats is not None:
        check_repeats()
        return groups
    # A repeated case has the same key wherever it is, so it sits next to itself in the merged order (a cheap
    # merge: the sort finds the already-sorted runs). Cheaper than a set of a million case references.
    merged = next(iter(groups.values())) if len(groups) == 1 else sorted(chain.from_iterable(groups.values()))
    if any(map(eq, merged, islice(merged, 1, None))):
        repeated = next(a for a, b in zip(merged, merged[1:], strict=False) if a == b)
        raise PopulationError(f"Case {repeated[_KEY_LENGTH:]!r} appears more than once in the population.")
    return groups


def _check_no_repeats(ordered: Sequence[tuple[str, str]]) -> None:
    """Raise PopulationError when a case_ref appears twice in pairs already sorted by case_ref."""
    refs = list(map(itemgetter(0), ordered))
    if any(map(eq, refs, islice(refs, 1, None))):
        repeated = next(a for a, b in zip(refs, refs[1:], strict=False) if a == b)
        raise PopulationError(f"Case {repeated!r} appears more than once in the population.")


def _refs(keyed: list[str]) -> list[str]:
    return list(map(itemgetter(slice(_KEY_LENGTH, None)), keyed))


def rank(seed: str, case_refs: Iterable[str]) -> list[str]:
    """Return ``case_refs`` sorted by their hashrank-v1 key, ascending (ties, never seen, by case_ref)."""
    refs = list(case_refs)
    if not refs:
        return []
    return _refs(_sorted_groups(seed, zip(refs, repeat(UNSTRATIFIED)))[UNSTRATIFIED])


def draw(
    population: Iterable[tuple[str, str]],
    *,
    size: int,
    seed: str,
    min_per_stratum: bool = False,
) -> Draw:
    """Draw a sample of ``size`` cases from ``(case_ref, stratum)`` pairs with hashrank-v1.

    Use stratum ``UNSTRATIFIED`` ("all") for every case when the round is not stratified. The caller has
    already removed excluded cases. Raises PopulationError or SampleSizeError (both ValueError) with a
    message fit to show the user.
    """
    return _draw(population, size=size, seed=seed, min_per_stratum=min_per_stratum)


def _draw(
    population: Iterable[tuple[str, str]],
    *,
    size: int,
    seed: str,
    min_per_stratum: bool,
    check_repeats: Callable[[], None] | None = None,
) -> Draw:
    """``draw``, with the check for repeated case references optionally done by the caller (see ``_sorted_groups``)."""
    if not isinstance(seed, str) or not seed:
        raise SamplingError("The seed must be a non-empty string.")
    groups = _sorted_groups(seed, population, check_repeats=check_repeats)
    sizes = {name: len(keyed) for name, keyed in groups.items()}
    allocation = allocate(sizes, size, min_per_stratum=min_per_stratum)
    return Draw(
        seed=seed,
        size=size,
        min_per_stratum=min_per_stratum,
        strata_sizes=sizes,
        allocation=allocation,
        sample_by_stratum={name: _refs(keyed[: allocation[name]]) for name, keyed in groups.items()},
        ranked=groups,
    )


def population_lines(population: Iterable[tuple[str, str]]) -> list[str]:
    """Return the sorted ``case_ref<TAB>stratum`` lines that the population fingerprint is taken over."""
    lines = list(map("\t".join, population))
    lines.sort()
    return lines


def population_sha256(population: Iterable[tuple[str, str]]) -> str:
    """Return the population fingerprint (hashrank-v1 step 7); the order of the pairs does not matter."""
    return lines_sha256(population_lines(population))


def lines_sha256(sorted_lines: list[str]) -> str:
    """Return the fingerprint of lines already sorted by ``population_lines``."""
    return hashlib.sha256("\n".join(sorted_lines).encode()).hexdigest()


def population_sha256_of_sorted(ordered: Sequence[tuple[str, str]]) -> str:
    """The fingerprint of pairs already sorted by case_ref, without sorting their lines again.

    The same as ``population_sha256`` whenever the population can be drawn: with each case_ref once and no
    control character in it, a line ``case_ref<TAB>stratum`` sorts where its case_ref does (where one case_ref
    is the start of another, the shorter one's tab sorts before any character the longer one can go on with).
    A population that breaks those rules is refused by the draw, so its fingerprint is never used.
    """
    return hashlib.sha256("\n".join(map("\t".join, ordered)).encode()).hexdigest()


def replay_replacements(
    sample_by_stratum: Mapping[str, Sequence[str]],
    replacement_lists: Mapping[str, Sequence[str]],
    log: Iterable[Mapping[str, Any]],
) -> dict[str, list[str]]:
    """Apply a replacement log to a sample and return the sample now in force, by stratum.

    Each entry needs ``case_ref_out``, ``case_ref_in`` and ``stratum``; the replaced case keeps its place in
    its stratum's list. Raises ReplacementError, naming the entry, when an entry replaces a case that is not
    in the sample, names the wrong stratum, or brings in anything but the next unused case on that stratum's
    replacement list.
    """
    current = {name: list(refs) for name, refs in sample_by_stratum.items()}
    used = dict.fromkeys(current, 0)
    for number, entry in enumerate(log, start=1):
        out_ref, in_ref, stratum = entry.get("case_ref_out"), entry.get("case_ref_in"), entry.get("stratum")
        if stratum not in current:
            raise ReplacementError(f"Replacement {number}: there is no stratum {stratum!r}.")
        if out_ref not in current[stratum]:
            raise ReplacementError(
                f"Replacement {number}: case {out_ref!r} is not in the sample for stratum {stratum!r}."
            )
        candidates = replacement_lists.get(stratum, ())
        if used[stratum] >= len(candidates):
            raise ReplacementError(f"Replacement {number}: the replacement list for stratum {stratum!r} is used up.")
        expected = candidates[used[stratum]]
        if in_ref != expected:
            raise ReplacementError(
                f"Replacement {number}: case {in_ref!r} is not the next case on the replacement list "
                f"for stratum {stratum!r}; the next case is {expected!r}."
            )
        current[stratum][current[stratum].index(out_ref)] = in_ref
        used[stratum] += 1
    return current
