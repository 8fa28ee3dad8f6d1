"""What the QA group writes for the Board about a round: the front section of its report (issue 14).

The QA coordinator chooses an assurance level and writes the statement, what is working, what worries the group,
what children and families told us and the asks of the Board. The report adds the evidence from the data
(reports/front.py). The text goes to the Board: the report's scrubber replaces case references and workers'
names, but the hints ask the coordinator not to identify a child at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from auditapp.domain.context import current_actor
from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import ensure_open, without_nul
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import AuditRound, BoardStatement
from auditapp.models.types import utcnow
from auditapp.vocabulary import AssuranceLevel

#: The longest text accepted per part: the front section is 2 to 3 printed pages in all.
MAX_STATEMENT = 2000
MAX_PART = 3000
MAX_ASKS = 8
MAX_ASK = 400


@dataclass(frozen=True)
class BoardWords:
    """What the coordinator wrote, as the form gives it (not yet checked)."""

    assurance_level: str
    statement: str
    working: str
    worried: str
    voices: str
    asks: str


#: (field, what to enter, longest): the parts that must be written, in the order the form shows them.
_REQUIRED = (
    ("statement", "Enter the assurance statement for the Board", MAX_STATEMENT),
    ("working", "Enter what is working well for children", MAX_PART),
    ("worried", "Enter what the QA group is worried about", MAX_PART),
    ("voices", "Enter what children and families told us", MAX_PART),
)
_WORDS = {
    "statement": "The assurance statement",
    "working": "What is working",
    "worried": "What we are worried about",
    "voices": "What children and families told us",
}


def statement_for(audit_round: AuditRound) -> BoardStatement | None:
    """The round's Board statement, or None when the QA group has not written it yet."""
    return db.session.scalar(select(BoardStatement).where(BoardStatement.round_id == audit_round.id))


def ask_lines(asks: str) -> list[str]:
    """The asks of the Board, one a line, without blank lines or list marks typed by the writer ("1.", "-")."""
    lines = []
    for line in asks.splitlines():
        text = line.strip().lstrip("-*•").strip()
        head, _, rest = text.partition(" ")
        if head.rstrip(".)").isdigit() and head[-1:] in ".)" and rest:
            text = rest.strip()
        if text:
            lines.append(text)
    return lines


def _clean(words: BoardWords) -> BoardWords:
    """The words without NUL characters (PostgreSQL refuses them) and outer spaces; Windows line ends made plain."""

    def tidy(text: str | None) -> str:
        return without_nul(text or "").replace("\r\n", "\n").replace("\r", "\n").strip()

    return BoardWords(
        assurance_level=tidy(words.assurance_level),
        statement=tidy(words.statement),
        working=tidy(words.working),
        worried=tidy(words.worried),
        voices=tidy(words.voices),
        asks=tidy(words.asks),
    )


def _check(words: BoardWords) -> None:
    if words.assurance_level not in set(AssuranceLevel):
        raise DomainError("Select the level of assurance the QA group gives the Board", field="assurance_level")
    for name, missing, longest in _REQUIRED:
        text = getattr(words, name)
        if not text:
            raise DomainError(missing, field=name)
        if len(text) > longest:
            raise DomainError(f"{_WORDS[name]} must be {longest:,} characters or less", field=name)
    asks = ask_lines(words.asks)
    if len(asks) > MAX_ASKS:
        raise DomainError(f"Enter at most {MAX_ASKS} asks of the Board, one a line", field="asks")
    if any(len(ask) > MAX_ASK for ask in asks):
        raise DomainError(f"Each ask of the Board must be {MAX_ASK} characters or less", field="asks")


def save_statement(audit_round: AuditRound, words: BoardWords) -> tuple[BoardStatement, list[str]]:
    """Write or change the round's Board statement. Returns it and the parts that changed (none: nothing is
    recorded). Raises DomainError naming the field at fault, or when the round was cancelled. Audited
    ("board_statement_saved", with the level and the parts changed; the texts are in the statement itself)."""
    ensure_open(audit_round)
    words = _clean(words)
    _check(words)
    words = BoardWords(**{**words.__dict__, "asks": "\n".join(ask_lines(words.asks))})
    statement = statement_for(audit_round)
    created = statement is None
    if statement is None:
        statement = BoardStatement(round_id=audit_round.id)
        db.session.add(statement)
    changed = [name for name, value in words.__dict__.items() if created or getattr(statement, name) != value]
    if not changed:
        return statement, []
    for name, value in words.__dict__.items():
        setattr(statement, name, value)
    statement.updated_by_id = current_actor().user_id
    statement.updated_at = utcnow()
    db.session.flush()
    record_event(
        "board_statement_saved",
        object_type="round",
        object_id=audit_round.id,
        details={"assurance_level": statement.assurance_level, "changed": changed, "new": created},
    )
    return statement, changed


def words_of(statement: BoardStatement | None) -> BoardWords | None:
    """The statement's words, to prefill the form."""
    if statement is None:
        return None
    return BoardWords(
        assurance_level=statement.assurance_level,
        statement=statement.statement,
        working=statement.working,
        worried=statement.worried,
        voices=statement.voices,
        asks=statement.asks,
    )
