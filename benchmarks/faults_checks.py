"""What the fault harness checks in the database once the killing is over (plain SQL, not the app's models).

Imports: each file's batch is complete (cases, batch row and ``cases_imported`` event all count the file's rows) or
absent (none of its cases, no batch); an acknowledged import is complete; the job row agrees with the data.
Saves: every acknowledged save is stored, or a later committed save of the same section replaced it. Audit trail:
the audit's version rises by one per ``audit_saved`` event, and each section's stored answer is the one written by
that section's latest event (no change without its event, no event for a change that is absent).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import psycopg

from benchmarks.faults_work import ImportAttempt, SaveAttempt

SHOWN = 8  # problems printed per check


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        head = f"{'PASS' if self.ok else 'FAIL'}  {self.name}: {self.summary or 'ok'}"
        more = [f"        ... and {len(self.problems) - SHOWN} more"] if len(self.problems) > SHOWN else []
        return [head, *(f"        - {p}" for p in self.problems[:SHOWN]), *more]


# --- imports ---------------------------------------------------------------------------------------------------


@dataclass
class ImportFacts:
    batches: dict[str, list[tuple[int, int]]]  # sha256 -> [(batch id, new_count)]
    by_prefix: Counter  # "F0001-" -> cases
    by_batch: Counter  # batch id -> cases created by it
    events: dict[int, int]  # batch id -> number of new cases its cases_imported event names
    event_counts: Counter  # batch id -> cases_imported events
    jobs: dict[int, tuple[str, str | None]]  # job id -> (status, message)


def import_facts(connection: psycopg.Connection) -> ImportFacts:
    batches: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for batch_id, sha, new_count in connection.execute("SELECT id, sha256, new_count FROM import_batches"):
        batches[sha].append((batch_id, new_count))
    prefixes = Counter(
        dict(
            connection.execute(
                "SELECT split_part(case_ref, '-', 1) || '-', count(*) FROM cases WHERE case_ref LIKE 'F%-%' GROUP BY 1"
            )
        )
    )
    by_batch = Counter(
        dict(
            connection.execute(
                "SELECT created_batch_id, count(*) FROM cases WHERE created_batch_id IS NOT NULL GROUP BY 1"
            )
        )
    )
    events, event_counts = {}, Counter()
    for object_id, new in connection.execute(
        "SELECT object_id, json_array_length(details->'new') FROM audit_events WHERE action = 'cases_imported'"
    ):
        events[int(object_id)] = new
        event_counts[int(object_id)] += 1
    jobs = {row[0]: (row[1], row[2]) for row in connection.execute("SELECT id, status, message FROM jobs")}
    return ImportFacts(batches, prefixes, by_batch, events, event_counts, jobs)


def import_state(attempt: ImportAttempt, facts: ImportFacts) -> tuple[str, str]:
    """("complete" | "absent" | "half", why) for one file."""
    batches, cases = facts.batches.get(attempt.sha256, []), facts.by_prefix.get(attempt.prefix, 0)
    if not batches and cases == 0:
        return "absent", ""
    if len(batches) == 1:
        batch_id, new_count = batches[0]
        counts = (new_count, facts.by_batch.get(batch_id, 0), cases, facts.events.get(batch_id))
        if all(count == attempt.rows for count in counts):
            return "complete", ""
        return "half", (
            f"batch {batch_id}: new_count {counts[0]}, cases of the batch {counts[1]}, cases of the "
            f"file {counts[2]}, event names {counts[3]} (file has {attempt.rows})"
        )
    return "half", f"{len(batches)} batches with this file's sha256, {cases} of its {attempt.rows} cases stored"


def check_imports(attempts: list[ImportAttempt], facts: ImportFacts) -> tuple[list[Check], Counter]:
    whole, acknowledged, jobs = (
        Check("no import half present"),
        Check("no acknowledged import lost"),
        Check("job status agrees with the data"),
    )
    states: Counter = Counter()
    for attempt in attempts:
        state, why = import_state(attempt, facts)
        states[state] += 1
        if state == "half":
            whole.problems.append(f"{attempt.label} ({attempt.channel}, kill: {attempt.killed or 'none'}): {why}")
        if attempt.acknowledged and state != "complete":
            acknowledged.problems.append(f"{attempt.label} ({attempt.channel}) was acknowledged but is {state}")
        if attempt.job_id is not None:
            status, message = facts.jobs.get(attempt.job_id, ("missing", None))
            if (status == "done") != (state == "complete"):
                jobs.problems.append(
                    f"job {attempt.job_id} ({attempt.label}) is {status} ({message}) but the import is {state}"
                )
    whole.summary = (
        f"{len(attempts)} imports attempted: {states['complete']} complete, {states['absent']} absent, "
        f"{states['half']} half present"
    )
    acknowledged.summary = f"{sum(a.acknowledged for a in attempts)} acknowledged, {len(acknowledged.problems)} lost"
    jobs.summary = f"{sum(a.job_id is not None for a in attempts)} web import jobs"
    return [whole, acknowledged, jobs], states


def check_import_trail(facts: ImportFacts) -> Check:
    check = Check("audit trail matches the imports")
    batch_ids = {batch_id for rows in facts.batches.values() for batch_id, _ in rows}
    for batch_id in sorted(batch_ids):
        if facts.event_counts.get(batch_id, 0) != 1:
            check.problems.append(f"batch {batch_id} has {facts.event_counts.get(batch_id, 0)} cases_imported events")
    check.problems.extend(
        f"a cases_imported event names batch {b}, which is absent" for b in sorted(set(facts.event_counts) - batch_ids)
    )
    check.summary = f"{len(batch_ids)} batches, {sum(facts.event_counts.values())} cases_imported events"
    return check


def stuck_jobs(connection: psycopg.Connection) -> list[tuple[int, str]]:
    return list(connection.execute("SELECT id, status FROM jobs WHERE status IN ('queued', 'running') ORDER BY id"))


# --- saves -----------------------------------------------------------------------------------------------------


@dataclass
class Audit:
    assignment_id: int
    audit_id: int
    version: int
    answers: dict[str, str]
    events: list[tuple[int, str, str]]  # (version, section, request id), in version order


def audit_facts(connection: psycopg.Connection, assignment_ids: list[int]) -> dict[int, Audit]:
    audits: dict[int, Audit] = {}
    for assignment_id, audit_id, version, answers in connection.execute(
        "SELECT assignment_id, id, version, answers FROM agency_audits WHERE assignment_id = ANY(%s)", [assignment_ids]
    ):
        audits[assignment_id] = Audit(assignment_id, audit_id, version, answers or {}, [])
    by_audit_id = {audit.audit_id: audit for audit in audits.values()}
    for object_id, version, section, request_id in connection.execute(
        "SELECT object_id, (details->>'version')::int, details->>'section', request_id FROM audit_events "
        "WHERE action = 'audit_saved' AND object_type = 'agency_audit' AND object_id = ANY(%s) ORDER BY id",
        [[str(a) for a in by_audit_id]],
    ):
        by_audit_id[int(object_id)].events.append((version, section, request_id))
    for audit in audits.values():
        audit.events.sort()
    return audits


@dataclass
class SaveTally:
    outcomes: Counter = field(default_factory=Counter)
    committed_unacknowledged: int = 0
    lost: int = 0


def _latest_by_section(audit: Audit) -> dict[str, tuple[int, str]]:
    latest: dict[str, tuple[int, str]] = {}
    for version, section, request_id in audit.events:
        latest[section] = (version, request_id)  # events are in version order: the last one wins
    return latest


def _trail_problems(audit: Audit, baseline: int, attempts: dict[str, SaveAttempt]) -> list[str]:
    """Where the audit's stored answers and its audit_saved events disagree."""
    problems, name = [], f"assignment {audit.assignment_id}"
    versions = [version for version, _, _ in audit.events]
    if versions != list(range(baseline + 1, audit.version + 1)):
        problems.append(
            f"{name}: version {audit.version} (from {baseline}) but audit_saved events carry versions {_span(versions)}"
        )
    for _, section, request_id in audit.events:
        attempt = attempts.get(request_id)
        if attempt is None or attempt.section != section or attempt.assignment_id != audit.assignment_id:
            problems.append(f"{name}: an audit_saved event ({section}, request {request_id}) matches no save sent")
    by_marker = {a.marker: a for a in attempts.values() if a.assignment_id == audit.assignment_id}
    latest = _latest_by_section(audit)
    sections = {key.removeprefix("evidence__") for key in audit.answers if key.startswith("evidence__")}
    for section in sorted(sections | set(latest)):
        stored = by_marker.get(audit.answers.get(f"evidence__{section}", ""))
        event = latest.get(section)
        if stored is None:
            problems.append(
                f"{name} {section}: stored evidence {audit.answers.get('evidence__' + section)!r} "
                f"is from no save sent (latest event: {event})"
            )
        elif event is None or event[1] != stored.request_id:
            problems.append(
                f"{name} {section}: stored answer from request {stored.request_id}, but the section's "
                f"latest audit_saved event is {event}: a change without its event, or an event "
                "for a change that is absent"
            )
    return problems


def _span(versions: list[int]) -> str:
    if not versions:
        return "none"
    return f"{versions[0]}..{versions[-1]} ({len(versions)} events, {len(set(versions))} distinct)"


def check_saves(
    attempts: list[SaveAttempt],
    audits: dict[int, Audit],
    baselines: dict[int, int],
) -> tuple[list[Check], SaveTally]:
    lost, trail = Check("no acknowledged save lost"), Check("audit trail matches the saves")
    by_request = {attempt.request_id: attempt for attempt in attempts}
    tally = SaveTally(outcomes=Counter(attempt.outcome for attempt in attempts))
    for assignment_id, baseline in baselines.items():
        audit = audits[assignment_id]
        trail.problems.extend(_trail_problems(audit, baseline, by_request))
        _check_acknowledged(audit, [a for a in attempts if a.assignment_id == assignment_id], lost, tally)
    acknowledged = tally.outcomes["ack"]
    lost.summary = (
        f"{acknowledged} acknowledged, {tally.lost} lost; {tally.committed_unacknowledged} more were "
        f"committed without an answer (killed after the commit)"
    )
    trail.summary = (
        f"{sum(len(a.events) for a in audits.values())} audit_saved events on {len(audits)} audits, "
        f"{len(trail.problems)} mismatches"
    )
    return [lost, trail], tally


def _check_acknowledged(audit: Audit, attempts: list[SaveAttempt], check: Check, tally: SaveTally) -> None:
    versions = {request_id: (version, section) for version, section, request_id in audit.events}
    latest = _latest_by_section(audit)
    for attempt in attempts:
        found = versions.get(attempt.request_id)
        if found and attempt.outcome in ("conflict", "error", "other", "not sent"):
            check.problems.append(
                f"{attempt.request_id} was answered {attempt.status} but was saved (version {found[0]})"
            )
        if found and attempt.outcome == "unknown":
            tally.committed_unacknowledged += 1
        if attempt.outcome != "ack":
            continue
        stored = audit.answers.get(f"evidence__{attempt.section}") == attempt.marker
        superseded = found is not None and latest[attempt.section][0] > found[0]
        if found is None or not (stored or superseded):
            tally.lost += 1
            check.problems.append(
                f"{attempt.request_id} ({attempt.section} of assignment {audit.assignment_id}) "
                f"was acknowledged, event {found}, stored: {stored}"
            )
