"""Conflict-of-interest rules for assigning auditors to sampled cases.

Pure Python over small dataclasses; the database layer maps its rows to ``CaseInfo`` and ``AuditorInfo``.
Each rule has a stable code (stored with manual overrides and audit events) and a plain-English explanation
for the screen. ``check`` returns the rules an assignment would break; an empty list means it may be made.

People are matched by email or by name, ignoring case and extra spaces, because imported case files name the
allocated worker and team manager as text. A false match can only block an assignment, never allow one.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditapp.vocabulary import AuditorType  # defined once there; still importable from here


@dataclass(frozen=True)
class CaseInfo:
    """What the rules need to know about a sampled case."""

    case_ref: str
    team: str | None = None
    team_manager: str | None = None  # name or email, as imported
    locality: str | None = None
    allocated_worker: str | None = None  # name or email, as imported
    agencies_involved: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AuditorInfo:
    """What the rules need to know about an auditor (a user with the auditor role)."""

    id: int
    name: str
    email: str
    agency: str | None
    auditor_type: AuditorType
    team: str | None = None
    locality: str | None = None
    active: bool = True
    manages_teams: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Slot:
    """One place to fill on a case: an auditor of ``auditor_type`` from ``agency`` (None: any)."""

    case_ref: str
    agency: str | None = None
    auditor_type: AuditorType | None = None
    lead: bool = False


@dataclass(frozen=True)
class RoundOptions:
    """A round's assignment options.

    ``peers_not_from_case_locality`` turns on the locality rule; ``max_load`` is the most cases one auditor
    may take in the round (None: no limit); ``agencies`` are the agencies chosen for a multi-agency round, and
    ``lead_agency`` (else the first chosen agency in alphabetical order) provides the lead for the joint
    discussion.
    """

    peers_not_from_case_locality: bool = False
    max_load: int | None = None
    agencies: tuple[str, ...] = ()
    lead_agency: str | None = None


@dataclass(frozen=True)
class Rule:
    """A named conflict-of-interest rule, as listed on screen."""

    code: str
    title: str
    explanation: str


@dataclass(frozen=True)
class Breach:
    """A rule that an assignment would break, with the specific reason."""

    code: str
    title: str
    detail: str


ALLOCATED_WORKER = Rule(
    "ALLOCATED_WORKER",
    "Allocated worker",
    "Nobody audits a case they are, or were, the allocated worker for.",
)
PEER_SAME_TEAM = Rule(
    "PEER_SAME_TEAM",
    "Peer from the case's team",
    "A peer auditor cannot audit a case held by their own team.",
)
PEER_TEAM_MANAGER = Rule(
    "PEER_TEAM_MANAGER",
    "Peer manages the case's team",
    "A peer auditor cannot audit a case held by a team they manage.",
)
PEER_SAME_LOCALITY = Rule(
    "PEER_SAME_LOCALITY",
    "Peer from the case's locality",
    "When the round asks for it, a peer auditor cannot audit a case from their own locality.",
)
INACTIVE = Rule(
    "INACTIVE",
    "Auditor not active",
    "Only auditors whose accounts are active can be given cases.",
)
WRONG_AGENCY = Rule(
    "WRONG_AGENCY",
    "Wrong agency",
    "Each place on a case is for an auditor from a named agency.",
)
WRONG_AUDITOR_TYPE = Rule(
    "WRONG_AUDITOR_TYPE",
    "Wrong kind of auditor",
    "Each place on a case is for an independent auditor or for a peer auditor, as the audit mode sets.",
)
LOAD_LIMIT = Rule(
    "LOAD_LIMIT",
    "Load limit reached",
    "No auditor is given more cases in a round than the round's limit.",
)
ALREADY_ON_CASE = Rule(
    "ALREADY_ON_CASE",
    "Already auditing this case",
    "One auditor fills one place on a case, so that each agency's view is heard.",
)

RULES: tuple[Rule, ...] = (
    ALLOCATED_WORKER,
    PEER_SAME_TEAM,
    PEER_TEAM_MANAGER,
    PEER_SAME_LOCALITY,
    INACTIVE,
    WRONG_AGENCY,
    WRONG_AUDITOR_TYPE,
    LOAD_LIMIT,
    ALREADY_ON_CASE,
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


def normalise(text: str | None) -> str:
    """Return ``text`` case-folded with whitespace collapsed, for comparing names, teams and places."""
    return " ".join((text or "").split()).casefold()


def same(left: str | None, right: str | None) -> bool:
    """True when both values are given and equal after ``normalise``."""
    return bool(normalise(left)) and normalise(left) == normalise(right)


def is_person(text: str | None, auditor: AuditorInfo) -> bool:
    """True when ``text`` (a name or email from a case file) names ``auditor``."""
    return same(text, auditor.email) or same(text, auditor.name)


def _breach(rule: Rule, detail: str) -> Breach:
    return Breach(code=rule.code, title=rule.title, detail=detail)


def _peer_breaches(case: CaseInfo, auditor: AuditorInfo, options: RoundOptions) -> list[Breach]:
    breaches = []
    if same(auditor.team, case.team):
        breaches.append(_breach(PEER_SAME_TEAM, f"{auditor.name} works in {case.team}, the team holding the case."))
    manages = any(same(team, case.team) for team in auditor.manages_teams)
    if manages or is_person(case.team_manager, auditor):
        breaches.append(_breach(PEER_TEAM_MANAGER, f"{auditor.name} manages {case.team or 'the case team'}."))
    if options.peers_not_from_case_locality and same(auditor.locality, case.locality):
        breaches.append(_breach(PEER_SAME_LOCALITY, f"{auditor.name} works in {case.locality}, the case's locality."))
    return breaches


def _slot_breaches(auditor: AuditorInfo, slot: Slot) -> list[Breach]:
    breaches = []
    if slot.agency is not None and not same(auditor.agency, slot.agency):
        breaches.append(
            _breach(
                WRONG_AGENCY,
                f"This place is for an auditor from {slot.agency}; {auditor.name} is from "
                f"{auditor.agency or 'no agency'}.",
            )
        )
    if slot.auditor_type is not None and auditor.auditor_type != slot.auditor_type:
        breaches.append(
            _breach(
                WRONG_AUDITOR_TYPE,
                f"This place is for a {slot.auditor_type.value} auditor; {auditor.name} is a "
                f"{auditor.auditor_type.value} auditor.",
            )
        )
    return breaches


def check(
    case: CaseInfo,
    auditor: AuditorInfo,
    *,
    slot: Slot,
    options: RoundOptions,
    current_load: int,
    already_on_case: frozenset[int] = frozenset(),
) -> list[Breach]:
    """Return the rules that giving ``slot`` on ``case`` to ``auditor`` would break (empty: allowed).

    ``current_load`` is the number of places the auditor already holds in the round, not counting this one;
    ``already_on_case`` the ids of auditors already holding another place on this case. The order of the
    breaches is the order of ``RULES``.
    """
    breaches = []
    if is_person(case.allocated_worker, auditor):
        breaches.append(_breach(ALLOCATED_WORKER, f"{auditor.name} is the case's allocated worker."))
    if auditor.auditor_type == AuditorType.PEER:
        breaches += _peer_breaches(case, auditor, options)
    if not auditor.active:
        breaches.append(_breach(INACTIVE, f"{auditor.name}'s account is not active."))
    breaches += _slot_breaches(auditor, slot)
    if options.max_load is not None and current_load >= options.max_load:
        breaches.append(
            _breach(
                LOAD_LIMIT,
                f"{auditor.name} already has {current_load} cases in this round; the limit is {options.max_load}.",
            )
        )
    if auditor.id in already_on_case:
        breaches.append(_breach(ALREADY_ON_CASE, f"{auditor.name} already holds another place on this case."))
    return breaches
