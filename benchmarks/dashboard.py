"""Benchmark the programme dashboard over five years of rounds on PostgreSQL, against a plain query in the same run.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, trust authentication for ``postgres``)::

    .venv/bin/python -m benchmarks.dashboard [--requests 50] [--keep-db] [--database URL]

A fresh database (``auditapp_load_dashboard``, dropped first if present) is migrated and filled by
``benchmarks.dashboard_data``: 20 quarters ending with today's, 60 rounds, about 3,000 agency audits with 50,000
answers, concerns, actions, single-agency returns and planned rounds. Then, interleaved ``--requests`` times each:

(i)   ``build_dashboard`` over the 20 quarters (a fresh session each time: nothing cached between runs);
(ii)  ``GET /programme?first=..&last=..`` (the same 20 quarters) through the Flask test client, signed in as a QA
      coordinator: the whole page, with its charts and tables;
(base) the baseline: ``SELECT count(*) FROM agency_audits`` in its own session, on the same database.

It prints p50/p95/max of each and the ratios to the baseline, and whether the page's p95 is under 300 ms (issue 17).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from benchmarks.load_setup import create_database, drop_database, migrate

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/auditapp_load_dashboard"
GOAL_MS = 300.0
PASSWORD = "bench-dashboard-pass-phrase-17"  # noqa: S105 - a throwaway database's only user


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _app(url: str):
    from auditapp.app import create_app
    from config import DemoConfig

    os.environ.setdefault("AUDITAPP_ENV", "demo")
    config = DemoConfig()
    config.SQLALCHEMY_DATABASE_URI = url
    config.RATELIMIT_ENABLED = False
    return create_app(config)


def _fill(app) -> dict[str, int]:
    from auditapp.domain.context import acting_as, cli_actor
    from auditapp.domain.users import create_user
    from auditapp.extensions import db
    from auditapp.models import Role
    from benchmarks.dashboard_data import populate

    with app.app_context(), acting_as(cli_actor("dashboard-benchmark@example.org")):
        counts = populate(datetime.now(UTC).date())
        create_user(
            email="bench.coordinator@example.org",
            name="Bench coordinator",
            role=Role.QA_COORDINATOR,
            password=PASSWORD,
            must_change_password=False,
        )
        db.session.commit()
        db.session.remove()
    return counts


def _sign_in(client) -> None:
    import re

    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    data = {"email": "bench.coordinator@example.org", "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    answer = client.post("/sign-in", data=data)
    if answer.status_code not in (302, 303) or "/sign-in" in answer.headers.get("Location", ""):
        raise SystemExit(f"could not sign in: {answer.status_code} {answer.headers.get('Location')}")


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def run(url: str, requests: int) -> None:
    from sqlalchemy import text

    from auditapp.extensions import db
    from auditapp.programme.figures import build_dashboard
    from auditapp.programme.figures_types import Filters
    from auditapp.programme.forms import query_args
    from benchmarks.dashboard_data import quarters

    started = time.perf_counter()
    app = _app(url)
    counts = _fill(app)
    shown = quarters(datetime.now(UTC).date())
    filters = Filters(first=shown[0], last=shown[-1])
    print(
        f"data: {counts['audit_rounds']} rounds, {counts['agency_audits']} agency audits, {counts['answers']} answers, "
        f"{counts['safeguarding_concerns']} concerns, {counts['actions']} actions, {counts['single_agency_returns']} "
        f"returns over {len(shown)} quarters ({shown[0].label} to {shown[-1].label}); "
        f"made in {time.perf_counter() - started:.1f} s"
    )
    client = app.test_client()
    _sign_in(client)
    path = "/programme?" + "&".join(f"{k}={v}" for k, v in query_args(filters).items())

    def figures() -> None:
        with app.app_context():
            build_dashboard(filters)
            db.session.remove()

    def page() -> None:
        answer = client.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path}: {answer.status_code}\n{answer.text[:400]}")

    def baseline() -> None:
        with app.app_context():
            db.session.execute(text("SELECT count(*) FROM agency_audits")).scalar()
            db.session.remove()

    for function in (figures, page, baseline):  # warm up: connections, templates, the tool cache
        function()
    times: dict[str, list[float]] = {"build_dashboard (20 quarters)": [], "GET /programme": [], "baseline": []}
    for _ in range(requests):  # interleaved, so each sees the same machine
        for name, function in zip(times, (figures, page, baseline), strict=True):
            times[name].append(_timed(function))
    base = _percentile(times["baseline"], 0.95)
    print(f"{requests} runs of each, ms           p50      p95      max   p95/baseline")
    for name, values in times.items():
        p95 = _percentile(values, 0.95)
        print(f"{name:<30} {statistics.median(values):>8.1f} {p95:>8.1f} {max(values):>8.1f} {p95 / base:>10.1f}x")
    p95 = _percentile(times["GET /programme"], 0.95)
    print(
        f"baseline (a count of agency_audits), p95 {base:.1f} ms. "
        f"Goal (p95 of GET /programme < {GOAL_MS:.0f} ms): {'met' if p95 < GOAL_MS else 'NOT met'} ({p95:.0f} ms)"
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="timed runs of each (default 50)")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="its name must start with auditapp_load")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args(argv)
    drop_database(args.database)
    create_database(args.database)
    migrate(args.database)
    try:
        run(args.database, args.requests)
    finally:
        if not args.keep_db:
            drop_database(args.database)


if __name__ == "__main__":
    main()
