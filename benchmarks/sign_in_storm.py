"""Sign-in storm: how the sign-in page answers while many clients send passwords at once (issue 11, finding 10).

Starts gunicorn (1 worker, 40 threads, production-cost argon2) over a fresh database: PostgreSQL when
``--postgres`` is given (the local server; the database is dropped afterwards), else a SQLite file. Measures GET
/sign-in alone (the baseline), then again while ``--storm`` clients each POST a wrong password for an address of
their own, and prints p50/p95/max, the ratio to the baseline and how the storm's requests were answered.

    .venv/bin/python -m benchmarks.sign_in_storm --storm 200 [--postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.live_server import Browser, database, gunicorn

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _latencies(base: str, count: int, stop: threading.Event | None = None) -> list[float]:
    browser, times = Browser(base), []
    for _ in range(count):
        if stop is not None and stop.is_set():
            break
        started = time.perf_counter()
        browser.request("/sign-in")
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)
    return times


def _summary(name: str, times: list[float], baseline: float | None) -> str:
    ordered = sorted(times)
    p50, p95 = statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]
    ratio = f"{p50 / baseline:6.1f}x" if baseline else "   1.0x"
    return f"{name:<34} n={len(ordered):4d} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {ordered[-1]:7.1f} ms  {ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storm", type=int, default=200, help="parallel sign-in clients")
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL instead of SQLite")
    args = parser.parse_args()
    if args.postgres:
        os.environ["TEST_DATABASE_URL"] = PG
    limits = {"SIGN_IN_LIMIT_PER_ADDRESS": "100000 per minute", "SIGN_IN_LIMIT_OVERALL": "100000 per minute"}
    with tempfile.TemporaryDirectory() as tmp, database(tmp) as url, gunicorn(url, **limits) as base:
        _latencies(base, 10)  # warm up
        baseline = _latencies(base, 100)
        browsers = [Browser(base) for _ in range(args.storm)]
        tokens = [b.token("/sign-in") for b in browsers]
        work = iter(enumerate(zip(browsers, tokens, strict=True)))

        def attempt() -> int:
            number, (browser, token) = next(work)
            return browser.sign_in(f"storm{number}@example.org", "wrong-password-xyz", token=token).status

        stop = threading.Event()
        during: list[float] = []
        prober = threading.Thread(target=lambda: during.extend(_latencies(base, 10_000, stop)))
        started = time.perf_counter()
        prober.start()
        with ThreadPoolExecutor(max_workers=args.storm) as pool:
            statuses = Counter(pool.map(lambda _: attempt(), range(args.storm)))
        elapsed = time.perf_counter() - started
        stop.set()
        prober.join()
    base_p50 = statistics.median(baseline)
    print(
        f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; storm of {args.storm} parallel sign-ins took "
        f"{elapsed:.1f} s; answers: {dict(sorted(statuses.items()))} (429 = too many attempts)"
    )
    print(_summary("GET /sign-in alone (baseline)", baseline, None))
    print(_summary("GET /sign-in during the storm", during, base_p50))


if __name__ == "__main__":
    main()
