"""Benchmark the case import (generic CSV and CIN census) against a plain SQLAlchemy Core executemany.

Run from the repository root: ``python -m benchmarks.import_cases [--rows 100000] [--repeat 3]``.

Each format is imported into a fresh SQLite file migrated with the real migrations, through the real path
(``plan_import`` then ``apply_import`` then commit, as the CLI does). The baseline inserts the same rows, already
as dicts of Python values, with one ``connection.execute(insert(Case.__table__), rows)`` into another fresh
database: the least any import must do. The goals: under 300 MB peak (issue 3), and within ``GOALS`` of the
baseline (issue 17: 1.5x for the generic CSV, 2.0x for the CIN census).

Timings are the best of ``--repeat`` runs, the baseline and the import taking turns. Both wall-clock and CPU
seconds (``time.process_time``) are shown: on a busy machine the CPU figures are the steadier of the two. The
ratio is import / baseline on wall-clock time; the summary gives the CPU ratio too.

Every run happens in its own subprocess, so its peak memory is the process's own high-water mark
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``: the whole process, interpreter, Flask app and the file's bytes
included; the largest of the repeats). "At start" is the same mark just before the timed work begins. Linux
carries ru_maxrss over fork and exec, so the files are generated and the baseline rows prepared in subprocesses
too: the parent stays small and cannot lend its own peak to the runs it starts.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import fresh_app
from benchmarks.import_data import GENERIC_ROWS, cin_census_xml, generic_csv

FORMATS = {"generic_csv": ("cases.csv", generic_csv), "cin_census": ("census.xml", cin_census_xml)}
MAX_BYTES = 1024 * 1024 * 1024  # the benchmark's files can be larger than the app's 50 MB upload limit
GOALS = {"generic_csv": 1.5, "cin_census": 2.0}  # import / baseline, per format (issue 17)
GOAL_MB = 300


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _timed(work: Callable[[], int]) -> dict[str, Any]:
    """Run ``work`` (which returns its row count) and measure it."""
    at_start = _peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    rows = work()
    return {"rows": rows, "seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "at_start": at_start, "peak": _peak_mb()}  # fmt: skip


def _child_import(path: Path, database: Path) -> dict[str, Any]:
    from auditapp.domain.case_import import apply_import, plan_import
    from auditapp.domain.context import acting_as, cli_actor
    from auditapp.extensions import db
    from auditapp.importers import Source

    app = fresh_app(database)
    data = path.read_bytes()
    marks: dict[str, float] = {}

    def work() -> int:
        plan = plan_import([Source(path.name, data)], format=None, max_bytes=MAX_BYTES)
        marks["planned"] = time.perf_counter()
        apply_import(plan)
        db.session.commit()
        return len(plan.new)

    with app.app_context(), acting_as(cli_actor()):
        start = time.perf_counter()
        result = _timed(work)
    return {**result, "plan_seconds": marks["planned"] - start}


def _child_baseline(rows_path: Path, database: Path) -> dict[str, Any]:
    from sqlalchemy import insert

    from auditapp.extensions import db
    from auditapp.models import Case

    app = fresh_app(database)
    with rows_path.open("rb") as file:
        rows = pickle.load(file)  # noqa: S301 - written by this benchmark a moment ago

    def work() -> int:
        with db.engine.begin() as connection:
            connection.execute(insert(Case.__table__), rows)
        return len(rows)

    with app.app_context():
        return _timed(work)


def _child_generate(fmt: str, out: Path) -> dict[str, Any]:
    _, make = FORMATS[fmt]
    out.write_bytes(make(int(os.environ["BENCH_ROWS"])))
    return {"bytes": out.stat().st_size}


def _child_prepare(path: Path, out: Path) -> dict[str, Any]:
    """Write the rows the import will insert, as Case column dicts of Python values (parsed here, untimed)."""
    from auditapp.domain.case_import import COLUMNS
    from auditapp.importers import Source, parse_sources

    records = parse_sources([Source(path.name, path.read_bytes())], max_bytes=MAX_BYTES).records
    extra = dict.fromkeys(("agency_id", "locality_id", "team_id", "created_batch_id", "updated_batch_id"))
    rows = [{**dict(zip(COLUMNS, record, strict=True)), **extra} for record in records]
    with out.open("wb") as file:
        pickle.dump(rows, file, protocol=pickle.HIGHEST_PROTOCOL)
    return {"rows": len(rows)}


CHILDREN = {"generate": _child_generate, "prepare": _child_prepare, "baseline": _child_baseline,
            "import": _child_import}  # fmt: skip


def _run_child(mode: str, first: str | Path, second: Path, *, rows: int = 0) -> dict[str, Any]:
    """Run one step in a fresh interpreter; ``second`` is its output file or database (removed afterwards)."""
    second.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks.import_cases", "--child", mode, str(first), str(second)]
    env = {**os.environ, "BENCH_ROWS": str(rows)}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"The {mode} step for {first} failed")
    if mode in ("baseline", "import"):
        second.unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run's figures, with the highest peak memory of all the runs."""
    best = dict(min(results, key=lambda result: result["seconds"]))
    best["cpu"] = min(result["cpu"] for result in results)
    best["peak"] = max(result["peak"] for result in results)
    return best


def _summary(fmt: str, run: dict[str, Any], base: dict[str, Any], size: int) -> str:
    ratio, cpu_ratio = run["seconds"] / base["seconds"], run["cpu"] / base["cpu"]
    goal = GOALS[fmt]
    met = ratio <= goal and run["peak"] < GOAL_MB
    return (
        f"{fmt}: {run['rows']:,} rows ({size / 1048576:.0f} MB file) imported in {run['seconds']:.2f} s "
        f"({run['rows'] / run['seconds']:,.0f} rows/s; parse and plan {run['plan_seconds']:.2f} s), "
        f"peak {run['peak']:.0f} MB RSS; Core executemany baseline {base['seconds']:.2f} s "
        f"({base['rows'] / base['seconds']:,.0f} rows/s, peak {base['peak']:.0f} MB); ratio {ratio:.2f}x "
        f"(CPU {cpu_ratio:.2f}x, {'met' if cpu_ratio <= goal else 'NOT met'} on CPU); goal <= {goal:g}x and "
        f"< {GOAL_MB} MB: {'met' if met else 'NOT met'}"
    )


def run(rows: int, *, repeat: int = 3) -> list[str]:
    """Generate the files, run the import and the baseline for each format, print the table; return summaries."""
    summaries = []
    print(f"{rows:,} rows per format, best of {repeat}; subprocess per run, peak = ru_maxrss")
    print(f"{'format':<12} {'run':<9} {'rows':>8} {'seconds':>8} {'cpu s':>6} {'rows/s':>8} {'peak MB':>8} "
          f"{'at start':>9} {'ratio':>6}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        work = Path(folder)
        for fmt, (name, _) in FORMATS.items():
            source, rows_file = work / name, work / f"{fmt}.rows.pickle"
            _run_child("generate", fmt, source, rows=rows)
            _run_child("prepare", source, rows_file)
            bases, runs = [], []
            for _ in range(repeat):
                bases.append(_run_child("baseline", rows_file, work / "baseline.db"))
                runs.append(_run_child("import", source, work / "import.db"))
            base, run_ = _best(bases), _best(runs)
            for label, result in (("baseline", base), ("import", run_)):
                print(f"{fmt:<12} {label:<9} {result['rows']:>8,} {result['seconds']:>8.2f} {result['cpu']:>6.2f} "
                      f"{result['rows'] / result['seconds']:>8,.0f} {result['peak']:>8.0f} "
                      f"{result['at_start']:>9.0f} {result['seconds'] / base['seconds']:>5.2f}x")  # fmt: skip
            summaries.append(_summary(fmt, run_, base, source.stat().st_size))
    for line in summaries:
        print(line)
    return summaries


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=GENERIC_ROWS, help="rows (generic) and children (CIN) per file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, the best one reported")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "INPUT", "DATABASE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, first, second = args.child
        print(json.dumps(CHILDREN[mode](first if mode == "generate" else Path(first), Path(second))))
        return 0
    run(args.rows, repeat=args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
