"""The learning loop (issue 15): partnership priorities and learning from reviews, what tests them, and the
re-audit that checks whether an action worked.

Items are kept, never deleted: a retired item stays linked to the rounds and findings it was linked to, and is
simply no longer offered for new links.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from sqlalchemy import Table, delete, insert, select

from auditapp.domain.errors import DomainError
from auditapp.domain.rounds import RoundSettings, create_round, settings_of, update_round, without_nul
from auditapp.domain.tool_versions import DEFAULT_TOOL_KEY, newest_agency_tools
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.models import (
    LEARNING_KINDS,
    Action,
    AuditRound,
    Finding,
    LearningItem,
    finding_learning_items,
    round_learning_items,
)
from auditapp.models.learning import REVIEW_LEARNING
from auditapp.models.types import utcnow

NAME_LIMIT = 120  # AuditRound.name
REAUDIT_DESCRIPTION_CHARS = 60


# -- The items themselves (admin) --------------------------------------------------------------------------------


def list_items(*, active_only: bool = False) -> list[LearningItem]:
    """Every item, priorities first, then by title."""
    query = select(LearningItem).order_by(LearningItem.kind, LearningItem.title, LearningItem.id)
    if active_only:
        query = query.where(LearningItem.active.is_(True))
    return list(db.session.scalars(query))


def _fields(item: LearningItem) -> dict[str, object]:
    return {
        "kind": item.kind,
        "title": item.title,
        "description": item.description,
        "source": item.source,
        "active": item.active,
    }


def save_item(
    item: LearningItem | None,
    *,
    kind: str,
    title: str,
    description: str = "",
    source: str | None = None,
    active: bool = True,
) -> LearningItem:
    """Add an item (``item`` None) or change one. Learning from a review needs its source. Raises DomainError
    naming the field at fault. Audited ("learning_item_added", or "learning_item_changed" with what changed)."""
    title, description = without_nul(title).strip(), without_nul(description).strip()
    source = without_nul(source or "").strip() or None
    if kind not in LEARNING_KINDS:
        raise DomainError("Select whether this is a partnership priority or learning from a review", field="kind")
    if not title:
        raise DomainError("Enter the title", field="title")
    if len(title) > 200:
        raise DomainError("The title must be 200 characters or fewer", field="title")
    if kind == REVIEW_LEARNING and not source:
        raise DomainError("Enter the review the learning comes from", field="source")
    if source and len(source) > 300:
        raise DomainError("The source must be 300 characters or fewer", field="source")
    before = _fields(item) if item is not None else None
    if item is None:
        item = LearningItem()
        db.session.add(item)
    item.kind, item.title, item.description, item.source, item.active = kind, title, description, source, active
    db.session.flush()
    after = _fields(item)
    if before is None:
        record_event("learning_item_added", object_type="learning_item", object_id=item.id, details=after)
    else:
        changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if changed:
            record_event(
                "learning_item_changed", object_type="learning_item", object_id=item.id, details={"changed": changed}
            )
    return item


def retire_item(item: LearningItem) -> None:
    """Stop offering ``item`` for new links; existing links stay. Raises DomainError when already retired.
    Audited ("learning_item_retired")."""
    if not item.active:
        raise DomainError(f"'{item.title}' is already retired")
    item.active = False
    db.session.flush()
    record_event("learning_item_retired", object_type="learning_item", object_id=item.id, details={"title": item.title})


def choosable_items(linked: Iterable[LearningItem] = ()) -> list[LearningItem]:
    """The active items, plus any retired item already ``linked`` (it stays choosable where it is linked)."""
    items = {i.id: i for i in list_items(active_only=True)}
    for item in linked:
        items.setdefault(item.id, item)
    return sorted(items.values(), key=lambda i: (i.kind, i.title, i.id))


# -- Links: rounds and findings ----------------------------------------------------------------------------------


def _linked(table: Table, column: str, owner_id: int) -> list[LearningItem]:
    query = (
        select(LearningItem)
        .join(table, table.c.learning_item_id == LearningItem.id)
        .where(table.c[column] == owner_id)
        .order_by(LearningItem.kind, LearningItem.title, LearningItem.id)
    )
    return list(db.session.scalars(query))


def items_for_round(audit_round: AuditRound) -> list[LearningItem]:
    """The priorities and review learning ``audit_round`` tests."""
    return _linked(round_learning_items, "round_id", audit_round.id)


def items_for_finding(finding: Finding) -> list[LearningItem]:
    """The priorities and review learning ``finding`` relates to."""
    return _linked(finding_learning_items, "finding_id", finding.id)


def items_by_finding(findings: Iterable[Finding]) -> dict[int, list[LearningItem]]:
    """{finding id: its items} for a page of findings, in one query."""
    ids = [f.id for f in findings]
    result: dict[int, list[LearningItem]] = {i: [] for i in ids}
    if not ids:
        return result
    query = (
        select(finding_learning_items.c.finding_id, LearningItem)
        .join(LearningItem, finding_learning_items.c.learning_item_id == LearningItem.id)
        .where(finding_learning_items.c.finding_id.in_(ids))
        .order_by(LearningItem.kind, LearningItem.title)
    )
    for finding_id, item in db.session.execute(query):
        result[finding_id].append(item)
    return result


def _wanted(item_ids: Iterable[int], current: list[LearningItem]) -> list[LearningItem]:
    """The items for ``item_ids``: each must exist, and be active unless it is already linked."""
    current_ids = {i.id for i in current}
    items = []
    for item_id in sorted(set(item_ids)):
        item = db.session.get(LearningItem, item_id)
        if item is None or (not item.active and item_id not in current_ids):
            raise DomainError("Select priorities and review learning from the list", field="learning_items")
        items.append(item)
    return items


def _set_links(table: Table, column: str, owner_id: int, items: list[LearningItem]) -> None:
    db.session.execute(delete(table).where(table.c[column] == owner_id))
    if items:
        db.session.execute(insert(table), [{column: owner_id, "learning_item_id": item.id} for item in items])


def link_round(audit_round: AuditRound, item_ids: Iterable[int]) -> bool:
    """Set what ``audit_round`` tests to exactly ``item_ids``. Returns whether anything changed. Raises
    DomainError for an unknown or retired item. Audited ("round_learning_linked", with before and after)."""
    current = items_for_round(audit_round)
    items = _wanted(item_ids, current)
    before, after = sorted(i.title for i in current), sorted(i.title for i in items)
    if {i.id for i in current} == {i.id for i in items}:
        return False
    _set_links(round_learning_items, "round_id", audit_round.id, items)
    record_event(
        "round_learning_linked", object_type="round", object_id=audit_round.id, details={"items": [before, after]}
    )
    return True


def link_finding(finding: Finding, item_ids: Iterable[int]) -> bool:
    """Set what ``finding`` relates to, to exactly ``item_ids``. Returns whether anything changed. Raises
    DomainError for an unknown or retired item. Audited ("finding_learning_linked", with before and after)."""
    current = items_for_finding(finding)
    items = _wanted(item_ids, current)
    if {i.id for i in current} == {i.id for i in items}:
        return False
    _set_links(finding_learning_items, "finding_id", finding.id, items)
    record_event(
        "finding_learning_linked",
        object_type="finding",
        object_id=finding.id,
        details={"round_id": finding.round_id, "items": [sorted(i.title for i in current), [i.title for i in items]]},
    )
    return True


def unlink_finding(finding: Finding) -> list[str]:
    """Remove a finding's links before it is deleted (the deletion's own event records it). Returns the titles."""
    titles = [i.title for i in items_for_finding(finding)]
    db.session.execute(delete(finding_learning_items).where(finding_learning_items.c.finding_id == finding.id))
    return titles


def create_round_linked(settings: RoundSettings, *, created_by_id: int | None) -> AuditRound:
    """Create a round (:func:`auditapp.domain.rounds.create_round`) and link what it tests
    (``settings.learning_item_ids``). Raises DomainError naming the field at fault. Audited."""
    _wanted(settings.learning_item_ids, [])  # refuse a bad choice before the round exists
    audit_round = create_round(settings, created_by_id=created_by_id)
    link_round(audit_round, settings.learning_item_ids)
    return audit_round


def update_round_linked(audit_round: AuditRound, settings: RoundSettings) -> bool:
    """Change a round's settings (:func:`auditapp.domain.rounds.update_round`) and what it tests
    (``settings.learning_item_ids``). Returns whether anything changed. Raises DomainError as update_round does.
    Audited."""
    changed = bool(update_round(audit_round, settings))
    return link_round(audit_round, settings.learning_item_ids) or changed


# -- Re-audit: a new round to see whether an action worked ---------------------------------------------------------


def _shortened(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word to at most ``limit`` characters, with "…" when cut."""
    text = " ".join(text.split()).rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:- ")
    return (cut or text[: limit - 1]) + "…"


def reaudit_name(action: Action, *, when: date) -> str:
    """The re-audit round's name: 'Re-audit: <the action, shortened> (<Month year>)', within 120 characters."""
    suffix = f" ({when:%B %Y})"
    prefix = "Re-audit: "
    # About 60 characters of the action: a name to read in a list, not the action itself (the round page links it).
    limit = min(REAUDIT_DESCRIPTION_CHARS, NAME_LIMIT - len(prefix) - len(suffix))
    return prefix + _shortened(action.description, limit) + suffix


def reaudit_settings_for(action: Action, *, today: date | None = None) -> RoundSettings:
    """The new-round form's settings for re-auditing ``action``: the original round's theme, tool (its newest
    version), population filter, sample and auditor settings; due by the action's re-audit date when set. Case
    exclusions are not copied (they were about the old sample); the usual "leave out cases sampled recently"
    keeps the original round's cases out."""
    original = action.finding.audit_round
    when = action.reaudit_date or today or utcnow().date()
    tool_key = original.tool_key if original.tool_key in newest_agency_tools() else DEFAULT_TOOL_KEY
    return replace(
        settings_of(original),
        name=reaudit_name(action, when=when),
        named_exclusions=[],
        tool_key=tool_key,
        tool_version=None,  # the newest version of that tool
        due_date=action.reaudit_date,
        learning_item_ids=[i.id for i in reaudit_items_for(action)],
    )


def reaudit_items_for(action: Action) -> list[LearningItem]:
    """What a re-audit round of ``action`` tests: the original round's items and its finding's, active or not."""
    items = {i.id: i for i in items_for_round(action.finding.audit_round)}
    for item in items_for_finding(action.finding):
        items.setdefault(item.id, item)
    return sorted(items.values(), key=lambda i: (i.kind, i.title, i.id))


def create_reaudit_round(action: Action, settings: RoundSettings, *, created_by_id: int | None) -> AuditRound:
    """Create the re-audit round of ``action`` from ``settings`` (as the coordinator left them) and link it to the
    action. Raises DomainError when the action already has one, or naming the field at fault. Audited
    ("round_created", "round_learning_linked" and "reaudit_round_created")."""
    if action.reaudit_round_id is not None:
        raise DomainError("This action already has a re-audit round")
    inherited = reaudit_items_for(action)  # kept even if retired since: the re-audit tests what the original did
    wanted = set(settings.learning_item_ids)
    items = [i for i in inherited if i.id in wanted] + _wanted(wanted - {i.id for i in inherited}, [])
    audit_round = create_round(settings, created_by_id=created_by_id)
    link_round_items = sorted(i.title for i in items)
    _set_links(round_learning_items, "round_id", audit_round.id, items)
    if items:
        record_event(
            "round_learning_linked",
            object_type="round",
            object_id=audit_round.id,
            details={"items": [[], link_round_items]},
        )
    action.reaudit_round_id = audit_round.id
    db.session.flush()
    record_event(
        "reaudit_round_created",
        object_type="action",
        object_id=action.id,
        details={
            "round_id": audit_round.id,
            "round": audit_round.name,
            "original_round_id": action.finding.round_id,
            "items": link_round_items,
        },
    )
    return audit_round


def reaudit_origin(audit_round: AuditRound) -> Action | None:
    """The action ``audit_round`` re-audits, or None."""
    return db.session.scalar(select(Action).where(Action.reaudit_round_id == audit_round.id).limit(1))


def choice_pairs(items: Iterable[LearningItem]) -> list[tuple[str, str]]:
    """(value, label) pairs for a form's checkboxes: the title, and for review learning its source."""
    return [(str(i.id), f"{i.title} ({i.source})" if i.source else i.title) for i in items]


def ids_from_form(values: Iterable[str] | None) -> list[int]:
    """The checked item ids (a value that is not a whole number is left to the domain's check as id 0)."""
    ids = []
    for value in values or []:
        ids.append(int(value) if str(value).isdigit() and len(str(value)) < 10 else 0)
    return ids


def report_lines(audit_round: AuditRound) -> list[str]:
    """What the round tests, one line each, for the Board report: "Neglect (partnership priority)"."""
    return [
        f"{i.title} ({i.source})" if i.source else f"{i.title} ({i.kind_label.lower()})"
        for i in items_for_round(audit_round)
    ]
