"""Benchmark a real audit-round draw from the database against a baseline that only selects the eligible keys.

Run from the repository root: ``python -m benchmarks.sampling [--cases 1000000] [--repeat 3]``.

Set-up (timed separately, not counted): a fresh SQLite file migrated with the real migrations, ``--cases``
synthetic cases bulk-inserted with one Core executemany per chunk, and a previous round drawn through the
domain so that its sampled cases are "sampled in the last 12 months" exclusions.

Each repetition creates a new round (a drawn round cannot be redrawn): filtered by status, stratified by
locality with at least one case per stratum, with named exclusions, and sample size 12. Timed:

- app: ``draw_sample(round, seed=..., size=12)`` (the eligible population from the database, hashrank-v1, the
  certificate built and stored) followed by ``db.session.commit()``;
- baseline: a plain SQLAlchemy Core SELECT of ``(case_ref, locality_name)`` with the same status filter and
  ``case_ref NOT IN (...)`` the same excluded references, fetched into a Python list of tuples: the least any
  draw from the database must do. Shown too, for information: the same fetched as Row objects (slower, see
  ``baseline``), and the SELECT without the NOT IN (the app filters the exclusions in Python);
- the parts of the app's draw: ``eligible_population`` alone, the pure ``draw`` over the eligible pairs, and
  ``build_certificate`` and ``certificate_json`` over them.

Then the real path (hashrank-v2, as the web and the CLI draw): another new round with the same settings, frozen
(untimed: a request of its own), and timed: its own baseline (the same SELECT with this round's exclusions, which
now include the first round's sample) and ``draw_witnessed(...)`` followed by ``db.session.commit()``; the
certificate is checked with the standalone verifier (untimed).

The goal (issues 4 and 17) is the app within 2x of the baseline, on both paths. Each figure is shown as the best
and the median of ``--repeat``, in wall-clock and in CPU seconds (``time.process_time``: the steadier on a shared
machine, where other work can hold the core between the statements); the summary gives all four ratios, and the
goal is met only when every one of them is within it.

The app's ``eligible_population`` fetches the driver's rows in one call (``result.cursor.fetchall()``) where the
baseline iterates SQLAlchemy's rows; shown for information: the baseline fetched that way too.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

DATABASE = "/tmp/bench_sampling.db"  # noqa: S108 - a throwaway benchmark file
LOCALITIES = ("Central", "East", "North", "South", "West")
STATUSES = ("early_help", "cin", "cp", "looked_after", "care_leaver", "closed")
AGENCIES = ("Children's social care", "Police", "Health", "Education")
ROUND_STATUSES = ["cin", "cp", "looked_after"]
SIZE = 12
NAMED_EXCLUSIONS = 25
PREVIOUS_SAMPLE = 600
GOAL_RATIO = 2.0
CHUNK = 50_000


def _app() -> Any:
    from benchmarks.common import fresh_app

    for suffix in ("-journal", "-wal", "-shm"):
        if os.path.exists(DATABASE + suffix):
            os.remove(DATABASE + suffix)
    return fresh_app(Path(DATABASE))


def case_ref(number: int) -> str:
    return f"BN-{number:08d}"


def _rows(start: int, stop: int) -> list[dict[str, Any]]:
    """Synthetic cases, deterministic, spread over statuses, localities, teams and agencies."""
    base = date(2020, 1, 1)
    rows = []
    for number in range(start, stop):
        mix = (number * 2654435761) & 0xFFFFFFFF  # a cheap, repeatable scramble
        locality = LOCALITIES[mix % 5]
        rows.append(
            {
                "case_ref": case_ref(number),
                "status": STATUSES[(mix >> 3) % 6],
                "locality_name": locality,
                "team_name": f"{locality} team {(mix >> 6) % 4 + 1}",
                "agency_name": AGENCIES[(mix >> 9) % 4],
                "worker": f"Worker {(mix >> 12) % 500}",
                "referral_date": base + timedelta(days=(mix >> 14) % 1800),
            }
        )
    return rows


def insert_cases(count: int) -> None:
    from sqlalchemy import insert

    from auditapp.extensions import db
    from auditapp.models import Case

    connection = db.session.connection()
    for start in range(0, count, CHUNK):
        connection.execute(insert(Case.__table__), _rows(start, min(start + CHUNK, count)))
    db.session.commit()


def draw_previous_round(count: int) -> None:
    """A round drawn now, through the domain: its sample is excluded from the next rounds for 12 months."""
    from auditapp.domain.context import acting_as, cli_actor
    from auditapp.domain.rounds import RoundSettings, create_round
    from auditapp.domain.sampling import draw_sample
    from auditapp.extensions import db

    with acting_as(cli_actor("benchmark@example.org")):
        previous = create_round(
            RoundSettings(name="Previous round", sample_size=min(PREVIOUS_SAMPLE, count // 2)), created_by_id=None
        )
        draw_sample(previous, seed="benchmark-previous-round")
        db.session.commit()


def new_round(number: int, count: int) -> Any:
    from auditapp.domain.rounds import RoundSettings, create_round

    step = max(1, count // NAMED_EXCLUSIONS)
    named = [(case_ref(n), "Under serious case review") for n in range(step // 2, count, step)][:NAMED_EXCLUSIONS]
    return create_round(
        RoundSettings(
            name=f"Benchmark round {number}",
            statuses=list(ROUND_STATUSES),
            stratify_by="locality",
            min_per_stratum=True,
            sample_size=SIZE,
            named_exclusions=named,
        ),
        created_by_id=None,
    )


def baseline(excluded: Sequence[str], *, rows: bool = False, driver: bool = False) -> list[Any]:
    """The eligible keys only: one Core SELECT with the round's filter, minus the excluded references.

    Fetched as plain tuples, the shape the app builds too. ``rows=True`` keeps SQLAlchemy's Row objects
    (``result.all()``), which is slower: a list of half a million Rows, which the garbage collector tracks and
    walks again and again as the list grows, would flatter the app's ratio. ``driver=True`` fetches the driver's
    own tuples in one call, as the app does.
    """
    from sqlalchemy import select

    from auditapp.extensions import db
    from auditapp.models import Case

    query = select(Case.case_ref, Case.locality_name).where(Case.status.in_(ROUND_STATUSES))
    if excluded:
        query = query.where(Case.case_ref.not_in(list(excluded)))
    result = db.session.connection().execute(query)
    if driver:
        fetched: list[Any] = result.cursor.fetchall()
        result.close()
        return fetched
    return result.all() if rows else list(map(tuple, result))


class Timing(NamedTuple):
    wall: float
    cpu: float


def _timed(function: Callable[[], Any]) -> tuple[Timing, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return Timing(time.perf_counter() - start, time.process_time() - cpu), result


def repetition(number: int, count: int, keep: Callable[[str, Timing], None]) -> dict[str, Any]:
    """One new round: the baseline, the real draw and commit, then the draw's parts on the same population."""
    from auditapp.domain.rounds import eligible_population
    from auditapp.domain.sampling import draw_sample
    from auditapp.extensions import db
    from auditapp.sampling.certificate import build_certificate, certificate_json
    from auditapp.sampling.hashrank import draw

    audit_round = new_round(number, count)
    db.session.commit()
    population = eligible_population(audit_round)  # untimed: the exclusions to give the baseline
    excluded = [ref for ref, _ in population.exclusions]
    gc.collect()
    seconds, rows = _timed(lambda: baseline(excluded))
    keep("baseline: Core SELECT of eligible keys", seconds)
    if sorted(rows) != sorted(population.eligible):
        raise SystemExit(f"the baseline found {len(rows)} cases, the app {len(population.eligible)}")
    del rows
    gc.collect()
    keep("  baseline as Row objects (result.all())", _timed(lambda: baseline(excluded, rows=True))[0])
    gc.collect()
    keep("  baseline without NOT IN (filter only)", _timed(lambda: baseline([]))[0])
    gc.collect()
    keep(BASELINE_DRIVER, _timed(lambda: baseline(excluded, driver=True))[0])
    seed = f"benchmark-seed-{number}"
    gc.collect()
    seconds, certificate = _timed(lambda: (draw_sample(audit_round, seed=seed, size=SIZE), db.session.commit())[0])
    keep("app: draw_sample + commit", seconds)
    if set(certificate["sample"]) & set(excluded):
        raise SystemExit("an excluded case was drawn")
    # The parts, on the same population (the round is drawn now; its own sample does not exclude itself).
    gc.collect()
    keep("  part: eligible_population", _timed(lambda: eligible_population(audit_round))[0])
    pairs = population.eligible
    gc.collect()
    keep("  part: pure hashrank draw", _timed(lambda: draw(pairs, size=SIZE, seed=seed, min_per_stratum=True))[0])
    gc.collect()
    seconds, built = _timed(
        lambda: build_certificate(
            population=pairs,
            size=SIZE,
            seed=seed,
            drawn_by="benchmark",
            drawn_at="2025-01-01T00:00:00",
            population_filter=audit_round.population_filter,
            exclusions=population.exclusions,
            min_per_stratum=True,
            stratify_by="locality",
        )
    )
    keep("  part: build_certificate (draw included)", seconds)
    if built["sample"] != certificate["sample"]:
        raise SystemExit("the certificate rebuilt from the same population has another sample")
    gc.collect()
    keep("  part: certificate_json", _timed(lambda: certificate_json(built))[0])
    db.session.rollback()
    return {
        "eligible": len(pairs),
        "matched": population.matched,
        "excluded": len(excluded),
        "strata": population.strata(),
        "certificate bytes": len(audit_round.certificate.encode()),
    }


def witnessed_repetition(number: int, count: int, keep: Callable[[str, Timing], None]) -> None:
    """The real path (hashrank-v2): a new round frozen (untimed, a request of its own), then timed: its baseline
    (the same SELECT with this round's exclusions, which now include the v1 round's sample) and
    ``draw_witnessed`` + ``db.session.commit()``."""
    from auditapp.domain.rounds import eligible_population
    from auditapp.domain.sampling import draw_witnessed, freeze_population
    from auditapp.extensions import db
    from auditapp.sampling.verify import verify_certificate

    audit_round = new_round(1000 + number, count)
    freeze_population(audit_round)
    db.session.commit()
    excluded = [ref for ref, _ in eligible_population(audit_round).exclusions]
    gc.collect()
    seconds, rows = _timed(lambda: baseline(excluded))
    keep(BASELINE_V2, seconds)
    del rows
    gc.collect()
    seconds, certificate = _timed(
        lambda: (
            draw_witnessed(
                audit_round, witness_name="Witness", witness_role="Board member", witness_value=f"witness-{number}"
            ),
            db.session.commit(),
        )[0]
    )
    keep(APP_V2, seconds)
    if set(certificate["sample"]) & set(excluded) or verify_certificate(certificate):
        raise SystemExit("the witnessed draw picked an excluded case or its certificate does not verify")


BASELINE_DRIVER = "  baseline via the driver's fetchall (as the app)"
BASELINE_V2 = "baseline for the v2 round (same SELECT)"
APP_V2 = "app v2: draw_witnessed + commit"


def _figures(timings: list[Timing]) -> dict[str, float]:
    """Best and median, wall-clock and CPU, of one label's runs."""
    walls, cpus = [t.wall for t in timings], [t.cpu for t in timings]
    return {"best": min(walls), "median": statistics.median(walls), "cpu best": min(cpus),
            "cpu median": statistics.median(cpus)}  # fmt: skip


def run(count: int, repeat: int) -> dict[str, Any]:
    from auditapp.domain.context import acting_as, cli_actor
    from auditapp.extensions import db

    figures: dict[str, Any] = {"cases": count, "repeat": repeat}
    figures["setup: migrate"], app = _timed(_app)
    with app.app_context():
        figures["setup: insert cases"], _ = _timed(lambda: insert_cases(count))
        figures["setup: previous round"], _ = _timed(lambda: draw_previous_round(count))
        runs: dict[str, list[Timing]] = {}

        def keep(label: str, timing: Timing) -> None:
            runs.setdefault(label, []).append(timing)

        with acting_as(cli_actor("benchmark@example.org")):
            for number in range(1, repeat + 1):
                figures.update(repetition(number, count, keep))
                witnessed_repetition(number, count, keep)  # after the first's populations are freed
        figures["timings"] = {label: _figures(timings) for label, timings in runs.items()}
        db.session.remove()
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    figures = run(args.cases, args.repeat)
    timings = figures["timings"]
    base = timings["baseline: Core SELECT of eligible keys"]
    app = timings["app: draw_sample + commit"]
    filter_only = timings["  baseline without NOT IN (filter only)"]
    print(
        f"{figures['cases']:,} cases in SQLite ({DATABASE}); round: status in {ROUND_STATUSES}, "
        f"by locality, min 1 per stratum, n={SIZE}"
    )
    print(
        f"matched by the filter {figures['matched']:,}, excluded {figures['excluded']:,} "
        f"({NAMED_EXCLUSIONS} named + sampled recently), eligible {figures['eligible']:,}"
    )
    print("strata: " + ", ".join(f"{name} {size:,}" for name, size in figures["strata"].items()))
    for label in ("setup: migrate", "setup: insert cases", "setup: previous round"):
        print(f"{label:<44} {figures[label].wall:8.3f} s  (not counted)")
    print(f"timings of {figures['repeat']} runs (seconds; ratio to the baseline's same figure):")
    print(f"{'':<44} {'best':>8} {'median':>8} {'cpu best':>8} {'cpu med':>8}   ratios")
    for label, figure in timings.items():
        values = " ".join(f"{value:8.3f}" for value in figure.values())
        ratios = " ".join(f"{value / base[key]:5.2f}x" for key, value in figure.items())
        print(f"{label:<44} {values}   {ratios}")
    size_mb = figures["certificate bytes"] / 1e6
    print(f"certificate JSON: {figures['certificate bytes']:,} bytes ({size_mb:.1f} MB)")
    summary = {key: app[key] / base[key] for key in app}
    verdict = "within" if max(summary.values()) <= GOAL_RATIO else "NOT within"
    app2, base2 = timings[APP_V2], timings[BASELINE_V2]
    summary2 = {key: app2[key] / base2[key] for key in app2}
    verdict2 = "within" if max(summary2.values()) <= GOAL_RATIO else "NOT within"
    print(
        f"SUMMARY: sampling benchmark, {figures['cases']:,} cases (SQLite, {figures['eligible']:,} eligible, "
        f"{figures['excluded']:,} excluded, 5 strata, n={SIZE}): draw_sample+commit {app['best']:.2f}s vs Core SELECT "
        f"of eligible keys {base['best']:.2f}s = {summary['best']:.2f}x best, {summary['median']:.2f}x median "
        f"(CPU {summary['cpu best']:.2f}x best, {summary['cpu median']:.2f}x median; {verdict} the 2x goal; "
        f"{app['best'] / filter_only['best']:.2f}x a SELECT without the NOT IN); real path draw_witnessed (v2)+commit "
        f"{app2['best']:.2f}s vs {base2['best']:.2f}s = {summary2['best']:.2f}x best, {summary2['median']:.2f}x "
        f"median (CPU {summary2['cpu best']:.2f}x best, {summary2['cpu median']:.2f}x median; {verdict2} the 2x "
        f"goal); for information, draw_sample+commit vs the baseline fetched as the app fetches "
        f"{app['best'] / timings[BASELINE_DRIVER]['best']:.2f}x best "
        f"(CPU {app['cpu best'] / timings[BASELINE_DRIVER]['cpu best']:.2f}x); pure draw "
        f"{timings['  part: pure hashrank draw']['best']:.2f}s; certificate {size_mb:.1f} MB; "
        f"{figures['repeat']} runs; "
        f"`.venv/bin/python -m benchmarks.sampling --cases {figures['cases']}`"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
