"""Load benchmark: 50 auditors saving audit sections while coordinators ask for draft board report PDFs (made by
the worker), on gunicorn.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, trust authentication for ``postgres``)::

    .venv/bin/python -m benchmarks.load [--users 50] [--duration 60] [--think 1.0-3.0]
                                        [--workers 3 --threads 8] [--coordinators 2] [--queue URL]
                                        [--keep-db] [--database URL]

What it does, all in one run:

1. Creates a fresh database (``auditapp_load`` by default; dropped first if present), runs ``auditapp db upgrade``,
   loads the demo partnership and adds ``--users`` independent auditors, each assigned one case of a drawn round
   (``benchmarks/load_setup.py``, in its own process).
2. Starts ``gunicorn wsgi:app`` (gthread workers, ``AUDITAPP_ENV=demo``: no two-factor, plain-HTTP cookies, one
   ``SECRET_KEY`` for every worker) on a free port of 127.0.0.1 and waits for ``/healthz``, and ``auditapp worker``
   beside it on the same database and task queue (``--queue``: a SQLite file of the run's own by default, or
   ``redis://...``), as a deployment runs them (issue 16: no PDF is rendered in a web request).
3. Signs every simulated user in (spread over ``--ramp`` seconds, not measured with the rest), then for
   ``--duration`` seconds: each auditor, with its own cookie session, opens its audit's task list, opens a random
   section, thinks, saves the section with valid answers (CSRF token and version from the page, as a browser
   would), thinks, and again; ``--coordinators`` QA coordinators (sessions of the demo's coordinator) each open the
   board report preview of the demo's completed round, think, press "Make a draft PDF" (a POST: the worker renders
   it with WeasyPrint), follow the job as its status page's script does (``/jobs/<id>.json`` every second) until it
   is made, download it from the status page's link, think, and again; one baseline client
   requests a static file (``/static/app.css``: the trivial endpoint, no database) and ``/healthz`` (which runs
   ``SELECT 1``, shown for comparison) every ``--baseline-interval`` seconds.
4. Prints p50/p95/p99/max latency per endpoint (by route template), errors, and each p95's ratio to the trivial
   endpoint's p95 in the same run; the CPU used by gunicorn, PostgreSQL, the load generator and anything else
   (all on the same machine: a warning says when other work took a share, as the figures then mean little);
   the database's backends sampled from ``pg_stat_activity`` (running, in an open transaction, waiting for a lock
   and on which statement); and a verdict on the goal for the auditor endpoints: p95 under 300 ms and within 3x
   the trivial endpoint, no errors. Then stops gunicorn and drops the database (unless ``--keep-db``).

A save counts as an error unless it answers 302/303 (saved, back to the task list) or 200 (shown again with the
section's problems); every other endpoint must answer 200; a 409 conflict, any 4xx or 5xx, a redirect to the
sign-in page or a connection failure is an error. Latency is from sending the request to reading the whole
response, on a new connection per request. Exit code 0 whether or not the goal is met; non-zero when the run
itself broke (setup failed, the server did not start or died, nobody could sign in).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.load_client import TIMEOUT, Client, Response, Stats, answers, section_form, sign_in, summarise
from benchmarks.load_monitor import Activity, cpu_snapshot
from benchmarks.load_server import BenchmarkError, Server, cpu_seconds
from benchmarks.load_setup import database_name, drop_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/auditapp_load"
GOAL_MS, GOAL_RATIO = 300.0, 3.0
OTHER_WARNING = 25  # % of one core used by processes that are not part of the run: the machine was not quiet

TASK_LIST = "GET /audits/<id>"
SECTION = "GET /audits/<id>/section/<section>"
SAVE = "POST /audits/<id>/section/<section>"
PREVIEW = "GET /rounds/<id>/report"
PDF = "POST /rounds/<id>/report.pdf"
JOB_JSON = "GET /jobs/<id>.json"
JOB_PAGE = "GET /jobs/<id>"
JOB_FILE = "GET /jobs/<id>/file"
MADE = "draft PDF asked for -> made"  # not a request: from the POST until the status says done
POLL_SECONDS = 1.0
TRIVIAL = "GET /static/app.css"
HEALTHZ = "GET /healthz"
AUDITOR_ENDPOINTS = (TASK_LIST, SECTION, SAVE)
COORDINATOR_ENDPOINTS = (PREVIEW, PDF, JOB_JSON, JOB_PAGE, JOB_FILE, MADE)
ORDER = (*AUDITOR_ENDPOINTS, *COORDINATOR_ENDPOINTS, HEALTHZ, TRIVIAL)
NOTES = {**dict.fromkeys(COORDINATOR_ENDPOINTS, "coordinator"), MADE: "worker", HEALTHZ: "SELECT 1", TRIVIAL: "trivial"}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FILE_LINK = re.compile(r'id="job-file" href="([^"]+)"')


# ---------------------------------------------------------------------------------------------------- the users


@dataclass
class Run:
    """What every client thread shares: the fixture, the clock, the stats."""

    port: int
    fixture: dict[str, Any]
    think: tuple[float, float]
    ramp: float
    interval: float
    coordinators: int = 1
    stats: Stats = field(default_factory=Stats)
    setup: Stats = field(default_factory=Stats)
    signed_in: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    go: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    started: float = math.inf
    failed_sign_ins: list[str] = field(default_factory=list)

    def over(self) -> bool:
        return self.stop.is_set()

    def pause(self, rng: random.Random) -> None:
        self.stop.wait(rng.uniform(*self.think))

    def start_as(
        self,
        email: str,
        password: str,
        rng: random.Random,
        warm_up: Callable[[Client], object],
    ) -> Client | None:
        """Sign in (after a random part of the ramp) and warm up, wait for everyone and a think time; the client,
        or None when the sign-in failed."""
        client = Client(self.port, self.setup)
        try:
            self.stop.wait(rng.uniform(0, self.ramp))
            ok = sign_in(client, email, password)
            if ok:
                warm_up(client)
        finally:
            self.signed_in.release()
        if not ok:
            self.failed_sign_ins.append(email)
        self.go.wait()
        client.stats = self.stats
        self.pause(rng)  # users start at random moments, not all at once
        return client if ok else None


def auditor(run: Run, number: int, email: str, assignment_id: int) -> None:
    rng = random.Random(number)
    base, save = f"/audits/{assignment_id}", 0
    sections = run.fixture["asked"][str(assignment_id)]  # the sections its task list links to
    first = f"{base}/section/{sections[0]}"
    client = run.start_as(
        email,
        run.fixture["password"],
        rng,
        lambda warm: (warm.call("GET", base, TASK_LIST), warm.call("GET", first, SECTION)),
    )
    while client is not None and not run.over():
        client.call("GET", base, TASK_LIST)
        path = f"{base}/section/{rng.choice(sections)}"
        page = client.call("GET", path, SECTION)
        form = section_form(page.text) if page else None
        if page and form is None:
            run.stats.error(SECTION, "no section form on the page")
        run.pause(rng)
        if form is not None and not run.over():
            save += 1
            client.call("POST", path, SAVE, form=answers(form, rng, save), ok=(200, 302, 303))
            run.pause(rng)


def draft_pdf(run: Run, client: Client, preview: Response) -> None:
    """Press "Make a draft PDF" on the preview, wait for the worker as the status page's script does, download it."""
    token = CSRF.search(preview.text)
    if token is None:
        run.stats.error(PREVIEW, "no CSRF token on the preview")
        return
    asked_at = time.perf_counter()
    base = f"/rounds/{run.fixture['report_round']}/report"
    asked = client.call("POST", f"{base}.pdf", PDF, form=[("csrf_token", token.group(1))], ok=(302, 303))
    location = (asked.headers.get("Location") or "") if asked else ""
    if "/jobs/" not in location:
        run.stats.error(PDF, f"not sent to the job's page: {location!r}")
        return
    page = urlsplit(location).path
    state, deadline = None, time.monotonic() + TIMEOUT
    while not run.over() and time.monotonic() < deadline:
        status = client.call("GET", f"{page}.json", JOB_JSON)
        state = json.loads(status.body).get("status") if status else None
        if state in ("done", "failed"):
            break
        time.sleep(POLL_SECONDS)
    if state not in ("done", "failed"):
        return  # the run ended (or the job took longer than TIMEOUT) before the PDF was made
    if state != "done":
        run.stats.error(JOB_JSON, f"the job ended {state}")
        return
    run.stats.add(MADE, (time.perf_counter() - asked_at) * 1000, 200, None)
    shown = client.call("GET", page, JOB_PAGE)
    link = FILE_LINK.search(shown.text) if shown else None
    if link is None:
        run.stats.error(JOB_PAGE, "no download link on the finished job's page")
        return
    pdf = client.call("GET", link.group(1), JOB_FILE)
    if pdf is not None and not pdf.body.startswith(b"%PDF"):
        run.stats.error(JOB_FILE, "the file is not a PDF")


def coordinator(run: Run, number: int) -> None:
    rng = random.Random(-number)
    fixture = run.fixture
    base = f"/rounds/{fixture['report_round']}/report"
    client = run.start_as(
        fixture["coordinator"],
        fixture["coordinator_password"],
        rng,
        lambda warm: warm.call("GET", base, PREVIEW),
    )
    while client is not None and not run.over():
        preview = client.call("GET", base, PREVIEW)
        run.pause(rng)
        if preview is not None and not run.over():
            draft_pdf(run, client, preview)
        run.pause(rng)


def baseline(run: Run) -> None:
    """The trivial endpoint (and /healthz) at a steady rate, signed out, for the whole measured window."""
    client = Client(run.port, run.stats)
    run.go.wait()
    ticks = 0
    while not run.over():
        client.call("GET", "/static/app.css", TRIVIAL)
        client.call("GET", "/healthz", HEALTHZ)
        ticks += 1
        run.stop.wait(max(0.0, run.started + ticks * run.interval - time.monotonic()))


def drive(run: Run, duration: float, cpu: Callable[[], dict[str, float]]) -> tuple[float, tuple[dict, dict]]:
    """Start every client, wait for the sign-ins, run for ``duration`` seconds, wait for the requests in flight.

    Returns the seconds measured and the CPU snapshots (``cpu()``) at the start and the end of them.
    """
    auditors = run.fixture["auditors"]
    threads = [
        threading.Thread(target=auditor, args=(run, n, email, assignment), daemon=True, name=f"auditor-{n}")
        for n, (email, assignment) in enumerate(auditors, start=1)
    ]
    threads += [
        threading.Thread(target=coordinator, args=(run, n), daemon=True, name=f"coordinator-{n}")
        for n in range(1, run.coordinators + 1)
    ]
    threads.append(threading.Thread(target=baseline, args=(run,), daemon=True, name="baseline"))
    for thread in threads:
        thread.start()
    for _ in range(len(auditors) + run.coordinators):
        if not run.signed_in.acquire(timeout=run.ramp + TIMEOUT):
            raise BenchmarkError("the sign-ins did not finish")
    if len(run.failed_sign_ins) > len(auditors) // 2:
        raise BenchmarkError(
            f"{len(run.failed_sign_ins)} of {len(auditors) + run.coordinators} users could not sign in"
        )
    before = cpu()
    run.started = time.monotonic()
    run.go.set()
    run.stop.wait(duration)
    run.stop.set()
    for thread in threads:
        thread.join(TIMEOUT)
    return time.monotonic() - run.started, (before, cpu())


# ---------------------------------------------------------------------------------------------------- the server


# ---------------------------------------------------------------------------------------------------- report


def _row(endpoint: str, stats: Stats, trivial_p95: float) -> str:
    figures = summarise(stats.latencies.get(endpoint, []))
    codes = ", ".join(f"{code or 'failed'}x{count}" for code, count in sorted(stats.statuses.get(endpoint, {}).items()))
    label = f"{endpoint} ({NOTES[endpoint]})" if endpoint in NOTES else endpoint
    return (
        f"{label:<45} {figures['n']:>6} {stats.errors[endpoint]:>6} {figures['p50']:>7.1f} {figures['p95']:>7.1f} "
        f"{figures['p99']:>7.1f} {figures['max']:>7.1f} {figures['p95'] / trivial_p95:>7.1f}x  {codes}"
    )


def print_table(stats: Stats, endpoints: Sequence[str], trivial_p95: float) -> None:
    print(
        f"{'endpoint':<45} {'n':>6} {'errors':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'p95/triv':>8}  statuses"
    )
    for endpoint in endpoints:
        print(_row(endpoint, stats, trivial_p95))


def auditors_line(stats: Stats, trivial_p95: float) -> str:
    """The auditors' p95 over all their requests together, against the static file's in the same run."""
    together = [ms for endpoint in AUDITOR_ENDPOINTS for ms in stats.latencies.get(endpoint, [])]
    p95 = summarise(together)["p95"]
    made = summarise(stats.latencies.get(MADE, []))
    return (
        f"auditors' p95 (all their requests, n={len(together)}): {p95:.1f} ms = {p95 / trivial_p95:.1f}x the static "
        f"file's p95 of {trivial_p95:.1f} ms; draft PDFs made by the worker: {made['n']}, "
        f"asked -> made p50 {made['p50']:.0f} ms, p95 {made['p95']:.0f} ms"
    )


def verdict(stats: Stats, trivial_p95: float, failed_sign_ins: list[str]) -> str:
    p95 = {endpoint: summarise(stats.latencies.get(endpoint, []))["p95"] for endpoint in AUDITOR_ENDPOINTS}
    worst = max(p95, key=lambda endpoint: p95[endpoint])
    errors = sum(stats.errors.values()) + len(failed_sign_ins)
    met = p95[worst] < GOAL_MS and p95[worst] / trivial_p95 <= GOAL_RATIO and errors == 0
    return (
        f"GOAL {'MET' if met else 'NOT MET'} (auditor endpoints: p95 < {GOAL_MS:.0f} ms and <= {GOAL_RATIO:g}x "
        f"the trivial endpoint's p95, no errors): worst p95 {p95[worst]:.0f} ms ({worst}) = "
        f"{p95[worst] / trivial_p95:.1f}x the trivial {trivial_p95:.1f} ms; p95 "
        + ", ".join(f"{endpoint} {value:.0f} ms" for endpoint, value in p95.items())
        + f"; errors {errors} (all endpoints, sign-ins included)"
    )


def print_cpu(before: dict[str, float], after: dict[str, float], seconds: float) -> None:
    cores = os.cpu_count() or 1
    used = {name: (after[name] - before[name]) / seconds * 100 for name in before}
    other = used["machine"] - used["gunicorn"] - used["worker"] - used["postgres"] - used["load generator"]
    print(
        f"CPU over the measured window ({cores} cores = {cores * 100}%): machine busy {used['machine']:.0f}%, "
        f"gunicorn {used['gunicorn']:.0f}%, worker {used['worker']:.0f}%, PostgreSQL (all databases) "
        f"{used['postgres']:.0f}%, "
        f"load generator {used['load generator']:.0f}%, other {max(other, 0):.0f}%; "
        f"steal {used['steal']:.0f}% (the host kept the CPUs from this machine)"
    )
    if other > OTHER_WARNING:
        print(
            f"WARNING: other processes used {other:.0f}% CPU during the run: the machine was not quiet, so these "
            "figures are pessimistic; run again when it is"
        )


def report(
    run: Run, seconds: float, cpu: tuple[dict[str, float], dict[str, float]], server: Server, activity: Activity
) -> None:
    stats = run.stats
    trivial_p95 = summarise(stats.latencies.get(TRIVIAL, []))["p95"]
    if not trivial_p95 or math.isnan(trivial_p95):
        raise BenchmarkError("the trivial endpoint was never measured")
    total = sum(len(values) for values in stats.latencies.values())
    saves = stats.statuses.get(SAVE, Counter())
    print(
        f"\nmeasured {seconds:.1f} s: {total} requests ({total / seconds:.1f}/s); saves {saves[302] + saves[303]} "
        f"redirected, {saves[200]} shown again with problems; latency in ms\n"
    )
    print_table(stats, [endpoint for endpoint in ORDER if endpoint in stats.latencies], trivial_p95)
    print(
        "\nsign-in and warm-up (one task list and section per auditor, one preview per coordinator), before the "
        "measured "
        "window, not in the verdict:"
    )
    print_table(
        run.setup,
        [endpoint for endpoint in ("GET /sign-in", "POST /sign-in", *ORDER) if endpoint in run.setup.latencies],
        trivial_p95,
    )
    print()
    print_cpu(*cpu, seconds)
    print(activity.summary())
    for sample in stats.samples + run.setup.samples:
        print(f"error: {sample}")
    problems = server.log_problems()
    print(f"gunicorn log: {problems} error lines" + (f", kept in {server.log.name}" if problems else ""))
    print(auditors_line(stats, trivial_p95))
    print(verdict(stats, trivial_p95, run.failed_sign_ins))


# ---------------------------------------------------------------------------------------------------- main


def _think(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    bounds = (float(low), float(high or low))
    if not 0 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError("think time is LOW-HIGH seconds, for example 1.0-3.0")
    return bounds


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent auditors (default 50)")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds, after sign-in (default 60)")
    parser.add_argument("--think", type=_think, default=(1.0, 3.0), help="think time range in seconds (1.0-3.0)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (default 8)")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which the users sign in (default 10)")
    parser.add_argument(
        "--baseline-interval",
        type=float,
        default=0.2,
        help="seconds between the baseline client's requests (default 0.2)",
    )
    parser.add_argument("--coordinators", type=int, default=2, help="QA coordinators asking for PDFs (default 2)")
    parser.add_argument("--queue", help="the task queue (default: a SQLite file of the run's own; or redis://...)")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="its name must start with auditapp_load")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    return parser.parse_args(argv)


def setup_database(url: str, users: int) -> dict[str, Any]:
    start = time.perf_counter()
    command = [sys.executable, "-m", "benchmarks.load_setup", "create", url, "--users", str(users)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"setting up the database failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    fixture = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"setup: database created, migrated and filled in {time.perf_counter() - start:.1f} s "
        f"({users} auditors, round {fixture['round']}; report of round {fixture['report_round']})",
        flush=True,
    )
    return fixture


def benchmark(args: argparse.Namespace) -> None:
    fixture = setup_database(args.database, args.users)
    with Server(args.database, args.workers, args.threads, args.queue) as server:
        print(
            f"server: gunicorn on 127.0.0.1:{server.port}, pid {server.process.pid}; worker pid {server.worker.pid} "
            f"on {server.queue}; signing in {args.users + args.coordinators} users over {args.ramp:g} s",
            flush=True,
        )
        run = Run(server.port, fixture, args.think, args.ramp, args.baseline_interval, args.coordinators)
        activity = Activity(args.database, run)
        activity.start()
        try:
            seconds, cpu = drive(
                run,
                args.duration,
                lambda: {**cpu_snapshot(server.process.pid), "worker": cpu_seconds(server.worker.pid)},
            )
        finally:
            run.stop.set()
            run.go.set()  # threads still waiting for the start (the run broke before it) end at once
        if not server.alive():
            raise BenchmarkError(f"gunicorn died during the run:\n{server.log_tail()}")
        activity.join(5)
        report(run, seconds, cpu, server, activity)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    database_name(args.database)  # refuses any database but the benchmark's own
    signal.signal(signal.SIGTERM, _interrupt)
    print(
        f"load benchmark: {args.users} auditors + {args.coordinators} coordinators (draft board report PDFs, made by "
        f"the worker) + 1 baseline client; "
        f"{args.duration:g} s measured after sign-in; think {args.think[0]:g}-{args.think[1]:g} s"
    )
    print(
        f"server: gunicorn wsgi:app, {args.workers} workers x {args.threads} threads (gthread), AUDITAPP_ENV=demo; "
        f"database {args.database}; {os.cpu_count()} CPUs shared with the load generator and PostgreSQL"
    )
    print(
        f"trivial endpoint: {TRIVIAL} (a static file, no database); {HEALTHZ} (runs SELECT 1) shown for comparison",
        flush=True,
    )
    try:
        benchmark(args)
    except BenchmarkError as error:
        print(f"the run broke: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if not args.keep_db:
            _drop(args.database)
    return 0


def _drop(url: str) -> None:
    try:
        drop_database(url)
    except Exception as error:
        print(f"could not drop the database {url}: {error}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
