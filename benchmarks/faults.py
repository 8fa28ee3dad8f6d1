"""Fault injection: kill -9 the server at random moments during imports and audit saves, restart it, check the data.

Run from the repository root: ``python -m benchmarks.faults [--kills 20] [--pairs 1000] [--seed N] [--rows 30000]``.

A fresh PostgreSQL database (``auditapp_faults_<pid>``, dropped at the end) is migrated and loaded with the demo
data; gunicorn (two sync workers) serves the app in the demo configuration. Four auditor sessions (two per audit)
keep saving sections while the harness, ``--kills`` times, sends SIGKILL to the whole gunicorn process group (master
and workers, so no shutdown code runs), waits until those processes are gone (reaped) and starts it again. The kills
rotate over three situations: during a web import (the QA coordinator uploads a new ``--rows`` case file and confirms
it; the import runs as a background job in a worker; the kill comes either at a random moment up to 1.3 times the
calibrated import time after confirming, or once the job has written a random share of its rows), during saves
alone, and during a CLI ``auditapp cases import`` that is itself killed too (at a random moment, or once it is
inserting cases). After each restart, with the savers paused, it lists the jobs still queued or running and runs
``auditapp audit-trail verify`` (when the app has that command). Then ``--pairs`` concurrent save pairs on one
section of a third audit: two sessions read the same version and save at once; exactly one may win.

Checks (in the database, see ``faults_checks``): no import half present (each file all there or not at all), no
acknowledged import or save lost, the audit trail matches the imports and the saves, job rows agree with the data,
no job left queued or running after a restart, the hash chain verifies, no silent overwrite and no error among the
pairs. Prints what it did, a verdict per check and the totals; exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from benchmarks import faults_checks as checks
from benchmarks.faults_http import Client, ServerDown
from benchmarks.faults_pairs import PairRunner, PairStats
from benchmarks.faults_server import Database, Server, TrailVerifier, cli, cli_process, inserting_cases, kill_group
from benchmarks.faults_work import ImportAttempt, Savers, Target, make_import_file, sections_of, start_web_import

KINDS = ("web-import", "saves", "web-import", "cli-import")
COORDINATOR = "coordinator@demo.auditapp.invalid"
WINDOW = 1.3  # timed kills land up to this many calibrated import times after the import starts
TARGETS_SQL = """
    SELECT a.id, u.email FROM assignments a
    JOIN sampled_cases s ON s.id = a.sampled_case_id JOIN users u ON u.id = a.auditor_id
    LEFT JOIN agency_audits aa ON aa.assignment_id = a.id
    WHERE NOT s.replaced AND aa.id IS NULL ORDER BY a.id LIMIT 3"""


class Harness:
    """One run: the database, the server, the savers and everything attempted, for the checks at the end."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.rng = args, random.Random(args.seed)
        self.folder = Path(tempfile.mkdtemp(prefix="auditapp-faults-"))
        self.database = Database(f"auditapp_faults_{os.getpid()}")
        self.server = Server(self.database, self.folder / "gunicorn.log")
        self.imports: list[ImportAttempt] = []
        self.kinds: Counter = Counter()
        self.landed: Counter = Counter()  # web import kills by the job's state when the kill landed
        self.cli_kills: Counter = Counter()  # CLI import processes killed, by what they were doing
        self.stuck: dict[int, str] = {}  # job id -> status, for jobs seen queued or running after a restart
        self.savers: Savers | None = None
        self.cut_off = 0  # saves whose connection a kill broke, so far
        self.pair_stats = PairStats()
        self.password = ""
        self.estimates = {"web": 3.0, "cli": 4.0}

    # --- setting up -----------------------------------------------------------------------------------------------

    def setup(self) -> None:
        self.database.create()
        for command in (("db", "upgrade"), ("demo",)):
            done = cli(self.database, *command)
            if done.returncode != 0:
                raise SystemExit(f"auditapp {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
        self.password = re.search(r"password for every demo user: ([^)\s]+)", done.stdout).group(1)
        with self.database.connect() as connection:
            rows = connection.execute(TARGETS_SQL).fetchall()
        if len(rows) < 3:
            raise SystemExit("the demo data has fewer than three unopened audits to work on")
        print(
            f"setup: database {self.database.name} migrated, demo data loaded; gunicorn on port {self.server.port}, "
            f"log {self.server.log}"
        )
        print(f"       started in {self.server.start():.1f} s")
        self.targets = [Target(assignment_id, email, []) for assignment_id, email in rows]
        for target in self.targets:
            client = Client(self.server.port)
            client.sign_in(target.email, self.password)
            target.sections = sections_of(client, target.assignment_id)  # opens the audit: version 1
        with self.database.connect() as connection:
            self.baselines = dict(
                connection.execute(
                    "SELECT assignment_id, version FROM agency_audits WHERE assignment_id = ANY(%s)",
                    [[t.assignment_id for t in self.targets]],
                ).fetchall()
            )
        self.coordinator = Client(self.server.port)
        self.coordinator.sign_in(COORDINATOR, self.password)
        self.verifier = TrailVerifier(self.database)
        print(
            f"       savers: assignments {self.targets[0].assignment_id} and {self.targets[1].assignment_id}, two "
            f"sessions each, {len(self.targets[0].sections)} sections; pairs: assignment "
            f"{self.targets[2].assignment_id}; {self.verifier.run()}"
        )

    def _new_import(self, channel: str) -> ImportAttempt:
        prefix = f"F{len(self.imports) + 1:04d}-"
        attempt = make_import_file(self.folder, prefix, self.args.rows, seed=self.args.seed + len(self.imports))
        attempt.channel = channel
        self.imports.append(attempt)
        return attempt

    def _job(self, job_id: int) -> tuple[str, int, int]:
        with self.database.connect() as connection:
            return connection.execute("SELECT status, done, total FROM jobs WHERE id = %s", [job_id]).fetchone()

    def calibrate(self) -> None:
        """One web and one CLI import run to the end, with the savers going: their times set the kill windows."""
        attempt = self._new_import("web")
        started = start_web_import(self.coordinator, attempt)
        status = "queued"
        while status in ("queued", "running") and time.perf_counter() - started < 600:
            time.sleep(0.05)
            status = self._job(attempt.job_id)[0]
        self.estimates["web"] = time.perf_counter() - started
        attempt.acknowledged = status == "done"
        attempt = self._new_import("cli")
        started = time.perf_counter()
        done = cli(self.database, "cases", "import", str(attempt.path))
        self.estimates["cli"] = time.perf_counter() - started
        attempt.acknowledged = "Imported" in done.stdout
        print(
            f"calibration: web import of {self.args.rows:,} rows {status} in {self.estimates['web']:.1f} s "
            f"(confirmation to job done); CLI import exit {done.returncode} in {self.estimates['cli']:.1f} s"
        )

    # --- killing --------------------------------------------------------------------------------------------------

    def kill_cycles(self) -> None:
        self.savers = Savers(
            self.server.port,
            [self.targets[0], self.targets[0], self.targets[1], self.targets[1]],
            self.password,
            seed=self.args.seed,
        )
        self.savers.start()
        self.calibrate()
        for number in range(1, self.args.kills + 1):
            kind = KINDS[(number - 1) % len(KINDS)]
            self.kinds[kind] += 1
            landed = getattr(self, "_kill_during_" + kind.replace("-", "_"))()
            self.savers.pause()  # every saver between two saves: the ones cut off by the kill are settled
            cut, self.cut_off = self._unknown_saves() - self.cut_off, self._unknown_saves()
            restart, after = self._restart()
            print(
                f"kill {number:>3}/{self.args.kills} {kind:<10} {landed}; saves cut off: {cut}; "
                f"restarted in {restart:.1f} s; {after}"
            )

    def _unknown_saves(self) -> int:
        return sum(attempt.outcome == "unknown" for attempt in self.savers.attempts)

    def _start_web_import(self, attempt: ImportAttempt) -> float:
        try:
            return start_web_import(self.coordinator, attempt)
        except (RuntimeError, ServerDown):  # the coordinator's session may need a new sign-in: once more
            self.coordinator.sign_in(COORDINATOR, self.password)
            return start_web_import(self.coordinator, attempt)

    def _kill_during_web_import(self) -> str:
        """Every other time at a random moment after confirming; otherwise once the job has written a random
        share of its rows (its progress, committed per chunk of 5,000), plus up to 0.3 s."""
        attempt = self._new_import("web")
        confirmed = self._start_web_import(attempt)
        if self.kinds["web-import"] % 2:
            delay = self.rng.uniform(0, WINDOW * self.estimates["web"])
            time.sleep(max(0.0, confirmed + delay - time.perf_counter()))
            how = "at random"
        else:
            share = self.rng.uniform(0, 1)
            self._wait_for_progress(attempt.job_id, share)
            time.sleep(self.rng.uniform(0, 0.3))
            how = f"after {share:4.0%} written"
        elapsed = time.perf_counter() - confirmed
        self.server.kill()
        status, done, total = self._job(attempt.job_id)
        attempt.acknowledged = status == "done"
        self.landed[status] += 1
        attempt.killed = f"job {status} {done:,}/{total:,}" if status == "running" else f"job {status}"
        return f"{elapsed:5.2f} s after confirming {attempt.label} ({how}): {attempt.killed}"

    def _wait_for_progress(self, job_id: int, share: float, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, done, total = self._job(job_id)
            if status not in ("queued", "running") or (total and done >= share * total):
                return
            time.sleep(0.01)

    def _kill_during_saves(self) -> str:
        delay = self.rng.uniform(0.2, 2.5)
        time.sleep(delay)
        self.server.kill()
        return f"{delay:5.2f} s into saving"

    def _kill_during_cli_import(self) -> str:
        """Kill the server at a random moment while a CLI import runs, and the CLI process too (see ``_kill_cli``)."""
        attempt, estimate = self._new_import("cli"), self.estimates["cli"]
        output = self.folder / f"{attempt.label}.out"
        server_at = self.rng.uniform(0.2, WINDOW * estimate)
        killer = threading.Timer(server_at, self.server.kill)
        process = cli_process(self.database, ["cases", "import", str(attempt.path)], output)
        killer.start()
        how = self._kill_cli(process, attempt, estimate)
        killer.join()
        process.wait()
        attempt.acknowledged = "Imported" in output.read_text(errors="replace")
        return f"{server_at:5.2f} s into CLI import {attempt.label}; the CLI {how}"

    def _kill_cli(self, process: subprocess.Popen, attempt: ImportAttempt, estimate: float) -> str:
        """Every other time at a random moment; otherwise once it is inserting cases, plus up to 0.5 s."""
        started = time.monotonic()
        if self.kinds["cli-import"] % 2:
            time.sleep(self.rng.uniform(0.25, 1.0) * estimate)  # its first second or so is Python starting
        else:
            while process.poll() is None and not inserting_cases(self.database):
                time.sleep(0.02)
            time.sleep(self.rng.uniform(0, 0.5))
        elapsed = time.monotonic() - started
        if process.poll() is not None:
            return f"finished (exit {process.returncode}) before its kill at {elapsed:.2f} s"
        phase = "mid-insert" if inserting_cases(self.database) else "no insert under way"
        kill_group(process)
        self.cli_kills[phase] += 1
        attempt.killed = f"CLI killed at {elapsed:.2f} s, {phase}"
        return f"was killed at {elapsed:.2f} s ({phase})"

    def _restart(self) -> tuple[float, str]:
        """Start the server again; with the savers parked, list leftover jobs and verify the audit trail."""
        seconds = self.server.start()
        with self.database.connect() as connection:
            stuck = checks.stuck_jobs(connection)
        self.stuck.update(stuck)
        verify = self.verifier.run()
        self.savers.resume()
        names = ", ".join(f"job {job_id} {status}" for job_id, status in stuck) or "none"
        return seconds, f"jobs queued/running: {names}; {verify}"

    # --- pairs and checks -----------------------------------------------------------------------------------------

    def pairs(self) -> None:
        self.savers.stop()
        if self.args.pairs <= 0:
            return
        target = self.targets[2]
        with self.database.connect() as connection:
            runner = PairRunner(
                self.server.port, target, target.sections[0], self.password, connection, self.savers.attempts
            )
            self.pair_stats = runner.run(self.args.pairs)
        stats = self.pair_stats
        print(
            f"pairs: {stats.pairs} on section {target.sections[0]} of assignment {target.assignment_id} in "
            f"{stats.seconds:.1f} s; the two saves overlapped in time in {stats.overlapping}"
        )

    def check(self) -> list[checks.Check]:
        final_verify = self.verifier.run()
        self.server.stop()
        with self.database.connect() as connection:
            facts = checks.import_facts(connection)
            audits = checks.audit_facts(connection, list(self.baselines))
            stuck_now = checks.stuck_jobs(connection)
        import_checks, self.import_states = checks.check_imports(self.imports, facts)
        save_checks, self.tally = checks.check_saves(self.savers.attempts, audits, self.baselines)
        result = [
            *import_checks,
            *save_checks,
            checks.check_import_trail(facts),
            self._stuck_check(stuck_now),
            self._verify_check(final_verify),
            *self._pair_checks(),
        ]
        return result

    def _stuck_check(self, stuck_now: list[tuple[int, str]]) -> checks.Check:
        check = checks.Check("no job left queued or running after a restart")
        check.problems = [f"job {job_id} was {status} after a restart" for job_id, status in sorted(self.stuck.items())]
        check.summary = (
            f"{len(self.stuck)} jobs seen queued/running after restarts; at the end {len(stuck_now)} still are"
        )
        return check

    def _verify_check(self, final: str) -> checks.Check:
        check = checks.Check("audit-trail verify after every restart")
        if not self.verifier.available:
            check.summary = "audit-trail verify: not available (the command does not exist yet): not checked"
            return check
        check.summary = f"{self.verifier.runs} runs, {self.verifier.failures} failed; at the end: {final}"
        if self.verifier.failures:
            check.problems.append(f"{self.verifier.failures} of {self.verifier.runs} runs failed")
        return check

    def _pair_checks(self) -> list[checks.Check]:
        stats = self.pair_stats
        counts = (
            f"{stats.pairs} pairs: one won {stats.one_won}, both conflict {stats.both_conflict}, both "
            f"acknowledged {stats.both_acknowledged}, silent overwrites {stats.silent_overwrites}, errors "
            f"{stats.errors}, other answers {stats.other}"
        )
        overwrite = checks.Check("concurrent pairs: no silent overwrite", summary=counts)
        overwrite.problems = stats.overwrites
        errors = checks.Check(
            "concurrent pairs: every save answered (no 5xx)",
            summary=f"{stats.errors} errors, {stats.other} other answers",
        )
        errors.problems = stats.failures
        return [overwrite, errors]

    def server_errors(self) -> list[str]:
        """The exceptions the server logged (last line of each traceback), most frequent first."""
        if not self.server.log.exists():
            return []
        found: Counter = Counter()
        lines = self.server.log.read_text(errors="replace").splitlines()
        for index, line in enumerate(lines):
            if line.startswith("Traceback"):
                end = next(
                    (j for j in range(index + 1, len(lines)) if not lines[j].startswith((" ", "\t"))), len(lines) - 1
                )
                found[lines[end][:200]] += 1
        return [f"{count} x {last}" for last, count in found.most_common()]

    def cleanup(self, *, failed: bool) -> None:
        """Stop everything started; keep the folder (server log, files) after a crash, the database if asked."""
        if self.savers is not None:
            self.savers.stopping = True
            self.savers.running.set()
        self.server.kill()
        if not self.args.keep_database:
            self.database.drop()
        if failed:
            print(f"Server log and files kept in {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)


def report(harness: Harness, results: list[checks.Check], seconds: float) -> bool:
    tally, states, imports = harness.tally, harness.import_states, harness.imports
    kinds = ", ".join(f"{kind} {count}" for kind, count in harness.kinds.items())
    outcomes = tally.outcomes
    trail = sum(len(c.problems) for c in results if c.name.startswith("audit trail matches"))
    print("\nTotals")
    print(
        f"  kills of the server (SIGKILL to the gunicorn process group): {sum(harness.kinds.values())} ({kinds}); "
        f"CLI import processes killed: {sum(harness.cli_kills.values())} "
        f"({', '.join(f'{phase} {count}' for phase, count in harness.cli_kills.items()) or 'none'})"
    )
    landed = ", ".join(f"{status} {count}" for status, count in sorted(harness.landed.items()))
    print(f"  web import kills by the job's state at the kill (running = mid-import): {landed or 'none'}")
    print(
        f"  imports attempted {len(imports)} (web {sum(a.channel == 'web' for a in imports)}, cli "
        f"{sum(a.channel == 'cli' for a in imports)}): complete {states['complete']}, absent {states['absent']}, "
        f"half present {states['half']}"
    )
    print(
        f"  saves sent {sum(outcomes.values())}: acknowledged {outcomes['ack']}, conflict (409) "
        f"{outcomes['conflict']}, 5xx {outcomes['error']}, other {outcomes['other']}, refused "
        f"{outcomes['not sent']}, cut off by a kill {outcomes['unknown']} (of which committed "
        f"{tally.committed_unacknowledged}); acknowledged but lost {tally.lost}"
    )
    print(f"  audit-trail mismatches: {trail}")
    errors = harness.server_errors()
    print(f"  exceptions in the server log: {sum(int(e.split(' x ')[0]) for e in errors)}")
    for error in errors[:6]:
        print(f"    {error}")
    pairs = harness.pair_stats
    print(
        f"  pairs {pairs.pairs}: one won {pairs.one_won}, both conflict {pairs.both_conflict}, both acknowledged "
        f"{pairs.both_acknowledged}, silent overwrites {pairs.silent_overwrites}, errors (5xx or no answer) "
        f"{pairs.errors}, other answers {pairs.other}"
    )
    print("\nChecks")
    for result in results:
        print("\n".join("  " + line for line in result.lines()))
    failed = [r for r in results if not r.ok]
    verdict = f"FAIL ({len(failed)} of {len(results)} checks failed)" if failed else f"PASS (all {len(results)} checks)"
    print(f"\nVerdict: {verdict}; run time {seconds:.0f} s")
    return not failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="times the server is killed (SIGKILL)")
    parser.add_argument("--pairs", type=int, default=1000, help="concurrent save pairs on one audit section")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: chosen and printed)")
    parser.add_argument("--rows", type=int, default=30_000, help="cases per imported file")
    parser.add_argument("--keep-database", action="store_true", help="leave the database for inspection")
    args = parser.parse_args(argv)
    args.seed = random.randrange(10**6) if args.seed is None else args.seed
    print(
        f"Fault injection on PostgreSQL: {args.kills} kills, {args.pairs} pairs, {args.rows:,} rows per import "
        f"file, seed {args.seed}"
    )
    started = time.perf_counter()
    harness = Harness(args)
    failed = True
    try:
        harness.setup()
        harness.kill_cycles()
        harness.pairs()
        results = harness.check()
        failed = False
    finally:
        if failed:
            harness.cleanup(failed=True)
    passed = report(harness, results, time.perf_counter() - started)
    harness.cleanup(failed=not passed)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
