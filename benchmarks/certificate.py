"""Benchmark the certificate's population commitment: is its cost linear in the number of cases?

Run from the repository root: ``python -m benchmarks.certificate [--sizes 100000,200000,400000,800000]
[--repeat 5] [--order shuffled|sorted]``.

For each size, the eligible population is ``size`` ``(case_ref, stratum)`` pairs over five localities
(``benchmarks.sampling_core.make_population``: repeatable, and shuffled, as a database may return the rows in any
order; ``--order sorted`` gives them in case_ref order, as an index walk would). Timed, in CPU seconds
(``time.process_time``, the steadier figure on a shared machine; wall-clock is printed beside it):

- commitment: ``population_sha256(pairs)``, the fingerprint a witnessed draw freezes and commits to (the sorted
  ``case_ref<TAB>stratum`` lines, hashed once);
- certificate: ``build_certificate`` (hashrank-v2, witnessed: the fingerprint, the seed derived from it, the draw
  and the certificate's lists) followed by ``certificate_json``.

Each figure is the median of ``--repeat`` runs (the best is shown too), divided by the size: the time per case.
Linear cost means the same time per case at every size. The check is the ratio of the largest size's time per
case to the smallest's; the bound accepted is ``BOUND`` (1.3): a comparison sort is n log n by nature (log2 of
800,000 is 1.18 times log2 of 100,000), and caches grow colder as the lists grow, so exactly 1.0 is not expected.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from auditapp.sampling.certificate import Witnessed, build_certificate, certificate_json
from auditapp.sampling.hashrank import population_sha256
from benchmarks.sampling_core import make_population

SIZES = (100_000, 200_000, 400_000, 800_000)
BOUND = 1.3
WITNESSED = Witnessed(
    server_random="9" * 64,
    witness_value="benchmark witness value",
    witness_name="A Witness",
    witness_role="Independent scrutineer",
    frozen_by="benchmark@example.org",
    frozen_at="2026-01-01T09:00:00Z",
)


def _measure(function: Callable[[], Any], repeat: int) -> dict[str, float]:
    """CPU and wall-clock seconds of ``repeat`` runs: median and best of each."""
    cpu, wall = [], []
    for _ in range(repeat):
        gc.collect()
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        function()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return {"cpu": statistics.median(cpu), "cpu_best": min(cpu), "wall": statistics.median(wall)}


def _certificate(pairs: list[tuple[str, str]]) -> str:
    certificate = build_certificate(
        population=pairs,
        size=12,
        seed=None,
        drawn_by="benchmark@example.org",
        drawn_at="2026-01-01T10:00:00Z",
        population_filter={"statuses": ["cin", "cp"]},
        min_per_stratum=True,
        stratify_by="locality",
        witnessed=WITNESSED,
    )
    return certificate_json(certificate)


def run(sizes: Sequence[int], *, repeat: int, order: str) -> dict[str, dict[int, dict[str, float]]]:
    """Time the commitment and the whole certificate at each size; return the figures by part and size."""
    figures: dict[str, dict[int, dict[str, float]]] = {"commitment": {}, "certificate": {}}
    for size in sizes:
        pairs = make_population(size)
        if order == "sorted":
            pairs.sort()
        figures["commitment"][size] = _measure(lambda p=pairs: population_sha256(p), repeat)
        figures["certificate"][size] = _measure(lambda p=pairs: _certificate(p), repeat)
        del pairs
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Print the time per case at each size and the ratio of the largest size's to the smallest's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated population sizes")
    parser.add_argument("--repeat", type=int, default=5, help="runs per size; the median is used")
    parser.add_argument("--order", choices=("shuffled", "sorted"), default="shuffled")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    figures = run(sizes, repeat=args.repeat, order=args.order)
    print(f"population in {args.order} order, 5 strata; median of {args.repeat} (CPU seconds, best in brackets)")
    print(f"{'part':<12} {'cases':>9} {'cpu s':>8} {'best':>8} {'wall s':>8} {'us/case':>8} {'vs first':>8}")
    summaries = []
    for part, by_size in figures.items():
        first = by_size[sizes[0]]["cpu"] / sizes[0]
        for size in sizes:
            result = by_size[size]
            per_case = result["cpu"] / size
            print(
                f"{part:<12} {size:>9,} {result['cpu']:>8.3f} {result['cpu_best']:>8.3f} {result['wall']:>8.3f} "
                f"{per_case * 1e6:>8.3f} {per_case / first:>7.2f}x"
            )
        last = by_size[sizes[-1]]
        ratio = (last["cpu"] / sizes[-1]) / first
        best_ratio = (last["cpu_best"] / sizes[-1]) / (by_size[sizes[0]]["cpu_best"] / sizes[0])
        verdict = "linear" if max(ratio, best_ratio) <= BOUND else "NOT linear"
        summaries.append(
            f"SUMMARY: {part}, {args.order} population: time per case at {sizes[-1]:,} cases / at {sizes[0]:,} = "
            f"{ratio:.2f}x median, {best_ratio:.2f}x best (bound {BOUND}: {verdict}); "
            f"{last['cpu']:.3f} CPU s at {sizes[-1]:,}"
        )
    for line in summaries:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
