"""Benchmark the pure hashrank-v1 draw on a large population, against a baseline that only finds the keys.

Run from the repository root: ``python -m benchmarks.sampling_core [--cases 1000000] [--repeat 3]``.

The baseline does the least any draw must do: drop the excluded cases and compute every eligible case's
key. The draw adds grouping by stratum, sorting by key, the allocation and the replacement lists; the
certificate adds the population fingerprint and the JSON-ready lists. The goal is a draw within 2x of the
baseline. The database benchmark (``benchmarks/sampling.py``) reuses ``make_population`` and ``time_call``.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from auditapp.sampling.certificate import build_certificate
from auditapp.sampling.hashrank import UNSTRATIFIED, draw

LOCALITIES = ("Central", "East", "North", "South", "West")
SEED = "benchmark-seed-0001"


def make_population(count: int = 1_000_000, *, strata: Sequence[str] = LOCALITIES) -> list[tuple[str, str]]:
    """Return ``count`` ``(case_ref, stratum)`` pairs in a shuffled, repeatable order."""
    rng = random.Random(2025)
    population = [(f"CF-{number:08d}", strata[rng.randrange(len(strata))]) for number in range(count)]
    rng.shuffle(population)
    return population


def make_exclusions(population: Sequence[tuple[str, str]], *, every: int = 20) -> dict[str, str]:
    """Exclude one case in ``every`` (by position), with a reason, as the round's exclusions would."""
    reasons = ("Sampled in the last 12 months", "Under serious case review")
    return {ref: reasons[index % 2] for index, (ref, _) in enumerate(population[::every])}


def eligible_keys(population: Sequence[tuple[str, str]], excluded: dict[str, str], seed: str) -> list[str]:
    """The baseline: the keys of the eligible cases, computed as cheaply as hashlib allows."""
    copy = hashlib.sha256(seed.encode() + b":").copy
    keys = []
    for ref, _ in population:
        if ref not in excluded:
            digest = copy()
            digest.update(ref.encode())
            keys.append(digest.hexdigest())
    return keys


def eligible(
    population: Sequence[tuple[str, str]], excluded: dict[str, str], *, stratified: bool
) -> list[tuple[str, str]]:
    """The population after exclusions, with every case in stratum "all" when not stratified."""
    return list(iter_eligible(population, excluded, stratified=stratified))


def iter_eligible(
    population: Sequence[tuple[str, str]], excluded: dict[str, str], *, stratified: bool
) -> Iterator[tuple[str, str]]:
    """The same, streamed: ``draw`` reads its population once, so rows can go straight from a cursor."""
    if stratified:
        return (pair for pair in population if pair[0] not in excluded)
    return ((ref, UNSTRATIFIED) for ref, _ in population if ref not in excluded)


def time_call(function: Callable[[], Any], *, repeat: int) -> float:
    """Best of ``repeat`` wall-clock timings of ``function()``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def run(count: int = 1_000_000, *, size: int = 12, repeat: int = 3) -> dict[str, float]:
    """Time the baseline, the draw and the certificate, unstratified and by locality; return seconds."""
    population = make_population(count)
    excluded = make_exclusions(population)
    exclusions = list(excluded.items())
    timings = {"baseline: eligible keys": time_call(lambda: eligible_keys(population, excluded, SEED), repeat=repeat)}
    for stratified in (False, True):
        label = "by locality" if stratified else "unstratified"
        timings[f"draw, {label}"] = time_call(
            lambda s=stratified: draw(
                eligible(population, excluded, stratified=s), size=size, seed=SEED, min_per_stratum=s
            ),
            repeat=repeat,
        )
        timings[f"draw, {label}, streamed"] = time_call(
            lambda s=stratified: draw(
                iter_eligible(population, excluded, stratified=s), size=size, seed=SEED, min_per_stratum=s
            ),
            repeat=repeat,
        )
        timings[f"draw + certificate, {label}"] = time_call(
            lambda s=stratified: build_certificate(
                population=eligible(population, excluded, stratified=s),
                size=size,
                seed=SEED,
                drawn_by="benchmark",
                drawn_at="2025-01-01T00:00:00Z",
                population_filter={},
                exclusions=exclusions,
                min_per_stratum=s,
            ),
            repeat=repeat,
        )
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    """Print each timing and its ratio to the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    timings = run(args.cases, size=args.size, repeat=args.repeat)
    baseline = timings["baseline: eligible keys"]
    print(f"{args.cases:,} cases, 1 in 20 excluded, sample of {args.size}, best of {args.repeat}")
    for label, seconds in timings.items():
        print(f"{label:<36} {seconds:7.3f} s  {seconds / baseline:5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
