"""What the load benchmark watches while it runs: CPU per process group, and the database's backends."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.load_setup import database_name, server_conninfo

if TYPE_CHECKING:
    from benchmarks.load import Run


# ---------------------------------------------------------------------------------------------------- CPU


TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: str) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds of it and its reaped children) of a process, or None when it is gone.

    Counting the reaped children keeps the CPU of PostgreSQL backends that ended (closed connections) with the
    postmaster, so the sum over the live processes never goes down.
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
    return name, int(rest[1]), sum(int(value) for value in rest[11:15]) / TICK


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: the whole machine (busy), gunicorn (master and workers), PostgreSQL, this process."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    snapshot = {
        "machine": (user + nice + system + irq + softirq) / TICK,
        "steal": steal / TICK,
        "gunicorn": 0.0,
        "postgres": 0.0,
        "load generator": sum(os.times()[:2]),
    }
    for pid in filter(str.isdigit, os.listdir("/proc")):
        found = _proc_stat(pid)
        if found is None:
            continue
        name, parent, seconds = found
        if int(pid) == server_pid or parent == server_pid:
            snapshot["gunicorn"] += seconds
        elif name == "postgres":
            snapshot["postgres"] += seconds
    return snapshot


# ---------------------------------------------------------------------------------------------------- PostgreSQL


ACTIVITY = (
    "SELECT state, wait_event_type, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) FROM pg_stat_activity "
    "WHERE datname = %s AND pid <> pg_backend_pid()"
)


class Activity(threading.Thread):
    """Samples the benchmark database's backends (pg_stat_activity) while the run lasts: how many are running a
    statement, how many sit in an open transaction, how many wait for a lock, and on which statements."""

    def __init__(self, url: str, run: Run, every: float = 0.25) -> None:
        super().__init__(daemon=True, name="pg-activity")
        self.url, self.run_, self.every = url, run, every
        self.samples: list[Counter] = []
        self.waiting_on: Counter = Counter()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(**server_conninfo(self.url), autocommit=True) as connection:
            self.run_.go.wait()
            while not self.run_.stop.wait(self.every):
                self._sample(connection.execute(ACTIVITY, (database_name(self.url),)).fetchall())

    def _sample(self, rows: list[tuple[str, str, str]]) -> None:
        counts = Counter()
        for state, wait_type, query in rows:
            counts[state] += 1
            if wait_type == "Lock":
                counts["lock"] += 1
                self.waiting_on[query] += 1
        self.samples.append(counts)

    def summary(self) -> str:
        if not self.samples:
            return "PostgreSQL activity: no samples"
        parts = []
        for key, label in (
            ("active", "running a statement"),
            ("idle in transaction", "in an open transaction"),
            ("lock", "waiting for a lock"),
        ):
            values = [sample[key] for sample in self.samples]
            parts.append(f"{label} mean {sum(values) / len(values):.1f} max {max(values)}")
        top = "; ".join(f"{count}x {query!r}" for query, count in self.waiting_on.most_common(2))
        return (
            f"PostgreSQL backends of the database ({len(self.samples)} samples, every {self.every:g} s): "
            + ", ".join(parts)
            + (f"; lock waits on: {top}" if top else "")
        )
