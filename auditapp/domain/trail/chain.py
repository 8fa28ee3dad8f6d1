"""A hash chain over the audit trail, so an altered, deleted or slipped-in event is detected.

Events are written (flushed) with the change they record, as before. When the transaction commits, ``seal`` (run by
``unit_of_work`` before the commit) locks the single chain-head row, appends one ``audit_chain`` link per new event in
commit order, and moves the head. Each link's hash is SHA-256 over the previous link's hash and a canonical form of
the event, so ``verify`` can recompute the chain from the first event and name every event that no longer matches.

The lock is held only from the link writes to the commit, not for the whole request. Linking at commit time also
keeps the chain in commit order on PostgreSQL, where ids are handed out when rows are inserted, not committed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA
from sqlalchemy.orm import Session

from auditapp.extensions import db
from auditapp.models import AuditChainHead, AuditChainLink, AuditEvent

GENESIS = "0" * 64
HEAD_ID = 1
UNSEALED = "auditapp_unsealed_events"


#: The event's fields, in the order they are hashed.
FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_email",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "ip_address",
    "request_id",
    "details",
)


def _content(values: Sequence[Any]) -> bytes:
    """The hashed bytes of an event's values (in FIELDS order, details already as JSON gives them back)."""
    content = list(values)
    content[1] = content[1].isoformat(timespec="microseconds")
    content[10] = content[10] or {}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical(audit_event: AuditEvent) -> bytes:
    """The event's content as stable bytes (the same whether built in memory or read back from the database)."""
    values = [getattr(audit_event, name) for name in FIELDS]
    values[10] = json.loads(json.dumps(values[10] or {}, default=str))  # as the database will return it
    return _content(values)


def _hash(previous: str, seq: int, content: bytes) -> str:
    return hashlib.sha256(f"{previous}\n{seq}\n".encode() + content).hexdigest()


def link_hash(previous: str, seq: int, audit_event: AuditEvent) -> str:
    return _hash(previous, seq, canonical(audit_event))


def remember(session: Session, audit_event: AuditEvent) -> None:
    """Note an event written in this transaction, to be linked into the chain when it commits."""
    session.info.setdefault(UNSEALED, []).append(audit_event)


#: PostgreSQL: the whole of :func:`link_events` in one statement, so the head's row lock is held for one round trip
#: and the commit, not for four (under load every request's view event queues on this lock). It locks the head,
#: chains the events in id order with the same hash as :func:`_hash` (SHA-256 over "previous\nseq\n" and the
#: canonical content, computed here in Python), inserts the links and moves the head. No head row yet (the first
#: event ever): it returns nothing and :func:`link_events` does it in Python.
_LINK_SQL = text(
    """
    WITH RECURSIVE head AS (
        SELECT seq, hash FROM audit_chain_head WHERE id = :head_id FOR UPDATE
    ), new_events AS (
        SELECT e.event_id, e.content, e.n
        FROM unnest(:event_ids, :contents) WITH ORDINALITY AS e(event_id, content, n)
    ), chained(n, seq, hash, event_id) AS (
        SELECT CAST(0 AS bigint), head.seq, CAST(head.hash AS text), CAST(NULL AS integer) FROM head
        UNION ALL
        SELECT new_events.n, chained.seq + 1,
               encode(sha256(convert_to(chained.hash || E'\\n' || CAST(chained.seq + 1 AS text) || E'\\n', 'UTF8')
                             || new_events.content), 'hex'),
               new_events.event_id
        FROM chained JOIN new_events ON new_events.n = chained.n + 1
    ), inserted AS (
        INSERT INTO audit_chain (seq, event_id, hash) SELECT seq, event_id, hash FROM chained WHERE n > 0
    ), last AS (
        SELECT seq, hash FROM chained ORDER BY n DESC LIMIT 1
    )
    UPDATE audit_chain_head SET seq = last.seq, hash = last.hash FROM last
    WHERE audit_chain_head.id = :head_id
    RETURNING audit_chain_head.seq
    """
).bindparams(
    bindparam("event_ids", type_=ARRAY(AuditEvent.__table__.c.id.type)),
    bindparam("contents", type_=ARRAY(BYTEA())),
)


def _link_in_one_statement(session: Session, events: list[AuditEvent]) -> bool:
    """PostgreSQL: link ``events`` with :data:`_LINK_SQL`; False when there is no head row yet."""
    ordered = sorted(events, key=lambda e: e.id)
    linked = session.execute(
        _LINK_SQL,
        {"head_id": HEAD_ID, "event_ids": [e.id for e in ordered], "contents": [canonical(e) for e in ordered]},
    ).first()
    return linked is not None


def link_events(session: Session, events: list[AuditEvent]) -> None:
    """Append links for ``events`` (already flushed, so they have ids) after the chain head, under its row lock.

    The head row is read FOR UPDATE on PostgreSQL (on SQLite it is first updated, which takes the write lock), so
    two transactions can never link after the same head.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and _link_in_one_statement(session, events):
        return
    head_query = select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == HEAD_ID)
    if dialect == "sqlite":  # no row locks: a write takes the database's write lock first
        session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(seq=AuditChainHead.seq))
    else:
        head_query = head_query.with_for_update()
    head = session.execute(head_query).one_or_none()
    seq, previous = (head.seq, head.hash) if head else (0, GENESIS)
    links = []
    for audit_event in sorted(events, key=lambda e: e.id):
        seq += 1
        previous = link_hash(previous, seq, audit_event)
        links.append({"seq": seq, "event_id": audit_event.id, "hash": previous})
    session.execute(AuditChainLink.__table__.insert(), links)
    if head:
        session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(seq=seq, hash=previous))
    else:
        session.execute(AuditChainHead.__table__.insert().values(id=HEAD_ID, seq=seq, hash=previous))


def seal(session: Session) -> None:
    """Before the commit (a step of ``unit_of_work``): link the transaction's new events into the chain."""
    events = session.info.get(UNSEALED)
    if not events:
        return
    session.flush()  # the change and its events first: a failing change never takes the chain lock
    session.info.pop(UNSEALED, None)
    link_events(session, events)


def forget(session: Session) -> None:
    """After a rollback: the rolled-back events are not linked."""
    session.info.pop(UNSEALED, None)


@dataclass
class ChainReport:
    events: int = 0
    links: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _linked_events(session: Session) -> Iterator[tuple[int, str, int, bytes | None]]:
    """(seq, stored hash, event id, the event's content or None when it is gone) in chain order, streamed as plain
    rows: the details come back from the database already JSON-native, so they are not round-tripped again."""
    events = AuditEvent.__table__
    query = (
        select(AuditChainLink.seq, AuditChainLink.hash, AuditChainLink.event_id, *[events.c[name] for name in FIELDS])
        .select_from(AuditChainLink.__table__.outerjoin(events, events.c.id == AuditChainLink.event_id))
        .order_by(AuditChainLink.seq)
        .execution_options(yield_per=5000)
    )
    for seq, stored, event_id, *values in session.execute(query):
        yield seq, stored, event_id, None if values[0] is None else _content(values)


def verify(session: Session, *, limit: int = 50) -> ChainReport:
    """Recompute the chain from the first link; name each altered, deleted, inserted or unlinked event."""
    report = ChainReport()
    previous, expected_seq = GENESIS, 1
    for seq, stored, event_id, content in _linked_events(session):
        report.links += 1
        if seq != expected_seq:
            report.problems.append(f"Links {expected_seq} to {seq - 1} are missing (events removed from the chain).")
        if content is None:
            report.problems.append(f"Event {event_id} (link {seq}) has been deleted.")
        elif _hash(previous, seq, content) != stored:
            report.problems.append(
                f"Event {event_id} (link {seq}) does not match its hash: it has been altered, "
                "or the chain was rewritten from here."
            )
        previous, expected_seq = stored, seq + 1
    head = session.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one_or_none()
    report.head_seq, report.head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if (report.head_seq, report.head_hash) != (expected_seq - 1, previous):
        report.problems.append(
            f"The chain head says {report.head_seq} links ending {report.head_hash[:12]}, "
            f"but the chain has {expected_seq - 1} ending {previous[:12]}: links were removed "
            "from the end or the head was changed."
        )
    report.events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    unlinked = session.scalars(
        select(AuditEvent.id)
        .outerjoin(AuditChainLink, AuditChainLink.event_id == AuditEvent.id)
        .where(AuditChainLink.seq.is_(None))
        .order_by(AuditEvent.id)
        .limit(limit)
    ).all()
    report.problems.extend(
        f"Event {event_id} is not in the chain (written outside the application)." for event_id in unlinked
    )
    del report.problems[limit:]
    return report


def verify_trail(*, limit: int = 50) -> ChainReport:
    """:func:`verify` over the application's database session (reads only)."""
    return verify(db.session(), limit=limit)
