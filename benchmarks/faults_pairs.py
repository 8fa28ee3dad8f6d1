"""Concurrent save pairs: two sessions read the same version of one section, then save it at the same moment.

Optimistic locking must let exactly one win and answer the other with the 409 conflict page. Both acknowledged
means one marker silently replaced the other (a silent overwrite); every pair is checked in the database at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

import psycopg

from benchmarks.faults_http import Client, ServerDown
from benchmarks.faults_work import SaveAttempt, Target, open_form, save_section


@dataclass
class PairStats:
    pairs: int = 0
    one_won: int = 0
    both_conflict: int = 0
    both_acknowledged: int = 0
    silent_overwrites: int = 0
    errors: int = 0  # 5xx or no answer
    other: int = 0  # any other answer (400, 200, a redirect elsewhere)
    overlapping: int = 0  # pairs whose two requests were in flight at the same time
    seconds: float = 0.0
    overwrites: list[str] = field(default_factory=list)  # pairs where the data or the trail disagree with answers
    failures: list[str] = field(default_factory=list)  # pairs with a 5xx, no answer or an unexpected answer


class PairRunner:
    """Fires the pairs on ``target``'s audit, section ``section``, as its auditor signed in twice."""

    def __init__(
        self,
        port: int,
        target: Target,
        section: str,
        password: str,
        database: psycopg.Connection,
        attempts: list[SaveAttempt],
    ) -> None:
        self.target, self.section, self.database, self.attempts = target, section, database, attempts
        self.clients = [Client(port), Client(port)]
        for client in self.clients:
            client.sign_in(target.email, password)
        _, self.second_token = open_form(self.clients[1], target.assignment_id, section)
        self.floor = database.execute("SELECT coalesce(max(id), 0) FROM audit_events").fetchone()[0]
        self.stats = PairStats()

    def run(self, count: int) -> PairStats:
        started = time.perf_counter()
        for number in range(count):
            self._pair(number)
        self.stats.seconds = time.perf_counter() - started
        return self.stats

    def _pair(self, number: int) -> None:
        try:
            version, first_token = open_form(self.clients[0], self.target.assignment_id, self.section)
        except (RuntimeError, ServerDown) as error:
            self.stats.pairs += 1
            self.stats.errors += 1
            self.stats.failures.append(f"pair {number}: reading the form failed: {error}")
            return
        barrier, results = threading.Barrier(2), [None, None]
        spans = [(0.0, 0.0), (0.0, 0.0)]

        def fire(side: int, token: str) -> None:
            request_id = f"pair{number:05d}-{side}-{secrets.token_hex(4)}"
            barrier.wait()
            begin = time.perf_counter()
            try:
                results[side] = save_section(
                    self.clients[side],
                    self.target.assignment_id,
                    self.section,
                    version=version,
                    token=token,
                    request_id=request_id,
                    source="pair",
                    attempts=self.attempts,
                )
            except ServerDown:
                results[side] = None
            spans[side] = (begin, time.perf_counter())

        threads = [
            threading.Thread(target=fire, args=(side, token))
            for side, token in ((0, first_token), (1, self.second_token))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.stats.pairs += 1
        self.stats.overlapping += spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]
        self._judge(number, results)

    def _judge(self, number: int, results: list[SaveAttempt | None]) -> None:
        outcomes = sorted(r.outcome if r else "unknown" for r in results)
        stored, events = self._stored(results)
        markers = {r.marker for r in results if r}
        if outcomes == ["ack", "conflict"]:
            self.stats.one_won += 1
            winner = next(r for r in results if r.outcome == "ack")
            if stored != winner.marker or set(events) != {winner.request_id}:
                self.stats.overwrites.append(f"pair {number}: one won, but stored {stored!r}, events {events}")
        elif outcomes == ["ack", "ack"]:
            self.stats.both_acknowledged += 1
            if stored in markers and len(markers - {stored}) == 1:
                self.stats.silent_overwrites += 1
                self.stats.overwrites.append(
                    f"pair {number}: both acknowledged from version "
                    f"{results[0].loaded_version}; only {stored!r} survives (events {events})"
                )
        elif outcomes == ["conflict", "conflict"]:
            self.stats.both_conflict += 1
        elif "error" in outcomes or "unknown" in outcomes:
            self.stats.errors += 1
            self.stats.failures.append(f"pair {number}: answers {[r.status if r else None for r in results]}")
        else:
            self.stats.other += 1
            self.stats.failures.append(f"pair {number}: answers {[r.status if r else None for r in results]}")

    def _stored(self, results: list[SaveAttempt | None]) -> tuple[str | None, dict[str, int]]:
        row = self.database.execute(
            "SELECT answers->>%s FROM agency_audits WHERE assignment_id = %s",
            [f"evidence__{self.section}", self.target.assignment_id],
        ).fetchone()
        ids = [r.request_id for r in results if r]
        events = dict(
            self.database.execute(
                "SELECT request_id, (details->>'version')::int FROM audit_events "
                "WHERE id > %s AND action = 'audit_saved' AND request_id = ANY(%s)",
                [self.floor, ids],
            )
        )
        return (row[0] if row else None), events
