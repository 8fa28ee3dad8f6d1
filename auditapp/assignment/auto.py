"""Automatic assignment of auditors to a round's sampled cases: no rule broken, load balanced, deterministic.

Each case has places ("slots") by the round's mode: one independent auditor (independent), a peer auditor from
each agency involved in the case (peer), or an auditor from each of the round's chosen agencies, one of them
the lead for the joint discussion (multi-agency).

The plan first fills as many places as the rules allow, and among those plans takes the one whose loads have
the smallest sum of squares, which also makes the most-loaded auditor carry as few cases as possible (the
load vectors of maximum matchings are the bases of a polymatroid, where the two coincide). It is found by
successive shortest augmenting paths: interior steps cost nothing and giving an auditor a (k+1)th case
costs 2k + 1, so each step moves one place to the least-loaded auditor reachable by reassignments. Inputs are
sorted (cases by reference, places by agency, auditors by id) and ties go to the lowest auditor id, so the
same round always gives the same plan whatever the order of the rows.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from auditapp.assignment.rules import (
    INACTIVE,
    LOAD_LIMIT,
    WRONG_AGENCY,
    WRONG_AUDITOR_TYPE,
    AuditorInfo,
    CaseInfo,
    RoundOptions,
    Slot,
    check,
    normalise,
)
from auditapp.vocabulary import AuditorType, RoundMode


@dataclass(frozen=True)
class PlannedAssignment:
    """An auditor given a place on a case; ``agency`` is the place's agency (None: an independent place)."""

    case_ref: str
    auditor_id: int
    agency: str | None
    lead: bool = False


@dataclass(frozen=True)
class UnfilledSlot:
    """A place that could not be filled, why (plain English), and how many auditors each rule ruled out."""

    case_ref: str
    agency: str | None
    auditor_type: AuditorType | None
    reason: str
    breach_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AssignmentPlan:
    """The outcome of ``auto_assign``: new assignments, places left unfilled, and every auditor's load."""

    assignments: tuple[PlannedAssignment, ...]
    unfilled: tuple[UnfilledSlot, ...]
    loads: dict[int, int]

    @property
    def max_load(self) -> int:
        """The most places held by one auditor in the round (existing and new)."""
        return max(self.loads.values(), default=0)


def slots_for(case: CaseInfo, mode: RoundMode, options: RoundOptions) -> list[Slot]:
    """Return the places to fill on ``case`` in ``mode``, sorted by agency; the lead place is marked.

    Raises ValueError for a multi-agency round with no agencies chosen.
    """
    if mode == RoundMode.INDEPENDENT:
        return [Slot(case.case_ref, None, AuditorType.INDEPENDENT)]
    if mode == RoundMode.PEER:
        return [Slot(case.case_ref, agency, AuditorType.PEER) for agency in _distinct(case.agencies_involved)]
    if not options.agencies:
        raise ValueError("Choose the agencies taking part in a multi-agency round.")
    agencies = _distinct(options.agencies)
    lead = next((a for a in agencies if normalise(a) == normalise(options.lead_agency)), agencies[0])
    return [Slot(case.case_ref, agency, None, lead=normalise(agency) == normalise(lead)) for agency in agencies]


def _distinct(agencies: Iterable[str]) -> list[str]:
    """Agencies sorted, with spellings that differ only in case or spacing counted once."""
    chosen: dict[str, str] = {}
    for agency in sorted(agencies):
        chosen.setdefault(normalise(agency), agency)
    return sorted(chosen.values(), key=normalise)


def _slot_key(slot: Slot) -> tuple[str, str]:
    return slot.case_ref, normalise(slot.agency)


class _Planner:
    """Successive shortest augmenting paths over places (left) and auditors (right)."""

    def __init__(self, eligible: list[list[int]], base: list[int], capacity: list[int]) -> None:
        self.eligible = eligible  # place index -> auditor indexes allowed, ascending
        self.load = list(base)  # existing + planned places per auditor
        self.spare = list(capacity)
        self.holder: list[int | None] = [None] * len(eligible)  # place -> auditor
        self.held: list[list[int]] = [[] for _ in base]  # auditor -> places, in order given

    def run(self) -> None:
        while self._augment():
            pass

    def _augment(self) -> bool:
        """Give one more place, to the least-loaded auditor reachable by reassignments. False if none."""
        came_from: dict[int, int] = {}  # auditor -> place it was reached from
        queue = deque(index for index, holder in enumerate(self.holder) if holder is None)
        seen_places = set(queue)
        while queue:
            place = queue.popleft()
            for auditor in self.eligible[place]:
                if auditor in came_from or self.holder[place] == auditor:
                    continue
                came_from[auditor] = place
                for other in self.held[auditor]:
                    if other not in seen_places:
                        seen_places.add(other)
                        queue.append(other)
        open_auditors = [auditor for auditor in came_from if self.spare[auditor] > 0]
        if not open_auditors:
            return False
        target = min(open_auditors, key=lambda auditor: (self.load[auditor], auditor))
        self.load[target] += 1
        self.spare[target] -= 1
        auditor = target
        while True:  # walk back: each place moves to the auditor it reached
            place = came_from[auditor]
            previous = self.holder[place]
            if previous is not None:
                self.held[previous].remove(place)
            self.holder[place] = auditor
            self.held[auditor].append(place)
            if previous is None:
                return True
            auditor = previous


def auto_assign(
    cases: Iterable[CaseInfo],
    auditors: Iterable[AuditorInfo],
    *,
    mode: RoundMode,
    options: RoundOptions = RoundOptions(),
    existing: Iterable[PlannedAssignment] = (),
    barred: Iterable[tuple[str, int]] = (),
) -> AssignmentPlan:
    """Plan who audits each case: never breaking a rule, balancing load, the same plan for the same round.

    ``existing`` assignments (e.g. made by hand) keep their places and count towards loads and the load limit.
    ``barred`` pairs (case reference, auditor id) may not be planned: an auditor whose audit of that case was
    withdrawn neither holds a place on it nor may take one again.
    Places no auditor can take are reported in ``unfilled`` with the reason. Raises ValueError for repeated
    case references or auditor ids, or a multi-agency round without agencies.
    """
    case_list = sorted(cases, key=lambda case: case.case_ref)
    people = sorted(auditors, key=lambda auditor: auditor.id)
    _require_unique([c.case_ref for c in case_list], "case reference")
    _require_unique([a.id for a in people], "auditor id")
    taken = list(existing)
    places, unfilled, led_cases = _open_places(case_list, mode, options, taken)
    rules_only = replace(options, max_load=None)  # the load limit is enforced through capacities
    eligible = _eligibility(places, people, rules_only, taken)
    barred_pairs = set(barred)
    if barred_pairs:
        eligible = [
            [index for index in allowed if (case.case_ref, people[index].id) not in barred_pairs]
            for (case, _slot), allowed in zip(places, eligible, strict=True)
        ]
    base_by_id = Counter(assignment.auditor_id for assignment in taken)
    base = [base_by_id[auditor.id] for auditor in people]
    limit = options.max_load if options.max_load is not None else len(places) + max(base, default=0)
    planner = _Planner(eligible, base, [max(0, limit - load) for load in base])
    planner.run()

    assignments = []
    for index, (case, slot) in enumerate(places):
        holder = planner.holder[index]
        if holder is None:
            unfilled.append(_explain(case, slot, people, eligible[index], rules_only, options.max_load))
        else:
            assignments.append(PlannedAssignment(case.case_ref, people[holder].id, slot.agency, slot.lead))
    loads = {auditor.id: planner.load[index] for index, auditor in enumerate(people)}
    for auditor_id, count in base_by_id.items():
        loads.setdefault(auditor_id, count)
    return AssignmentPlan(
        assignments=tuple(_with_lead(assignments, mode, led_cases)),
        unfilled=tuple(sorted(unfilled, key=lambda u: (u.case_ref, normalise(u.agency)))),
        loads=dict(sorted(loads.items())),
    )


def _open_places(
    cases: list[CaseInfo], mode: RoundMode, options: RoundOptions, taken: list[PlannedAssignment]
) -> tuple[list[tuple[CaseInfo, Slot]], list[UnfilledSlot], set[str]]:
    """Return the places still to fill, the cases with no places at all, and the cases that have a lead."""
    filled = {(a.case_ref, normalise(a.agency)): a for a in taken}
    places: list[tuple[CaseInfo, Slot]] = []
    unfilled: list[UnfilledSlot] = []
    led_cases = {a.case_ref for a in taken if a.lead}
    for case in cases:
        slots = slots_for(case, mode, options)
        if not slots:
            unfilled.append(UnfilledSlot(case.case_ref, None, AuditorType.PEER, _NO_AGENCIES))
        for slot in slots:
            if _slot_key(slot) not in filled:
                places.append((case, slot))
            elif slot.lead:
                led_cases.add(case.case_ref)
    return places, unfilled, led_cases


def _eligibility(
    places: list[tuple[CaseInfo, Slot]],
    people: list[AuditorInfo],
    options: RoundOptions,
    taken: list[PlannedAssignment],
) -> list[list[int]]:
    """For each place, the indexes of the auditors who may take it without breaking a rule."""
    on_case: dict[str, set[int]] = {}
    for assignment in taken:
        on_case.setdefault(assignment.case_ref, set()).add(assignment.auditor_id)
    return [
        [
            index
            for index, auditor in enumerate(people)
            if not check(
                case,
                auditor,
                slot=slot,
                options=options,
                current_load=0,
                already_on_case=frozenset(on_case.get(case.case_ref, ())),
            )
        ]
        for case, slot in places
    ]


_NO_AGENCIES = "No agencies are recorded as involved in this case, so no peer auditor can be chosen."


def _require_unique(values: Sequence[object], what: str) -> None:
    repeated = [value for value, count in Counter(values).items() if count > 1]
    if repeated:
        raise ValueError(f"The {what} {repeated[0]!r} appears more than once.")


def _with_lead(assignments: list[PlannedAssignment], mode: RoundMode, led_cases: set[str]) -> list[PlannedAssignment]:
    """In a multi-agency round, when the lead agency's place is unfilled, the first filled place leads."""
    if mode != RoundMode.MULTI_AGENCY:
        return [replace(a, lead=False) for a in assignments]
    cases_with_lead = led_cases | {a.case_ref for a in assignments if a.lead}
    result = []
    for assignment in assignments:
        if assignment.case_ref not in cases_with_lead:
            assignment = replace(assignment, lead=True)
            cases_with_lead.add(assignment.case_ref)
        result.append(assignment)
    return result


def _describe(slot: Slot) -> str:
    kind = f"{slot.auditor_type.value} auditor" if slot.auditor_type else "auditor"
    return f"{kind} from {slot.agency}" if slot.agency else kind


def _explain(
    case: CaseInfo,
    slot: Slot,
    people: list[AuditorInfo],
    eligible: list[int],
    options: RoundOptions,
    max_load: int | None,
) -> UnfilledSlot:
    """Say why nobody could take ``slot``: nobody of the right kind or active, conflicts, or full loads."""
    breaches = {auditor.id: check(case, auditor, slot=slot, options=options, current_load=0) for auditor in people}
    counts = Counter(breach.code for found in breaches.values() for breach in found)
    wanted = _describe(slot)
    mismatch = {WRONG_AGENCY.code, WRONG_AUDITOR_TYPE.code}
    matching = [a for a in people if not any(b.code in mismatch for b in breaches[a.id])]
    active = [a for a in matching if not any(b.code == INACTIVE.code for b in breaches[a.id])]
    if eligible:
        names = ", ".join(people[index].name for index in eligible)
        reason = f"Every {wanted} free of conflicts ({names}) already has the round's limit of {max_load} cases."
        counts[LOAD_LIMIT.code] += len(eligible)
    elif not matching:
        reason = f"There is no {wanted}."
    elif not active:
        reason = f"No {wanted} has an active account."
    else:
        details = "; ".join(f"{a.name}: {', '.join(b.title for b in breaches[a.id])}" for a in active)
        reason = f"Every active {wanted} has a conflict of interest ({details})."
    return UnfilledSlot(case.case_ref, slot.agency, slot.auditor_type, reason, dict(sorted(counts.items())))


@dataclass(frozen=True)
class LoadShortfall:
    """Places of one kind (an agency's, or independent ones) left unfilled only because of the load limit."""

    agency: str | None
    auditor_type: AuditorType | None
    unfilled: int
    auditors: int  # auditors free of conflicts for these places, every one of them at the limit
    limit: int

    @property
    def message(self) -> str:
        """The shortfall in plain English, naming the agency and suggesting what to do."""
        kind = f"{self.auditor_type.value} auditor" if self.auditor_type else "auditor"
        who = f"{self.agency} has" if self.agency else "There is"
        people = f"{self.auditors} {kind}{'s' if self.auditors != 1 else ''}"
        places = f"{self.unfilled} place{'s' if self.unfilled != 1 else ''}"
        where = f" for {self.agency}" if self.agency else ""
        add = f"{kind}s from {self.agency}" if self.agency else f"{kind}s"
        return (
            f"{who} only {people} free of conflicts for these cases, and no auditor may have more than "
            f"{self.limit} cases in this round: {places}{where} cannot be filled without overloading them. "
            f"Add {add}, or raise the round's limit, then assign again."
        )


def load_shortfalls(plan: AssignmentPlan, limit: int | None) -> list[LoadShortfall]:
    """The unfilled places of ``plan`` that only the load limit left open, grouped by agency (none: no limit)."""
    if limit is None:
        return []
    groups: dict[tuple[str, AuditorType | None], list[UnfilledSlot]] = {}
    agencies: dict[str, str | None] = {}
    for slot in plan.unfilled:
        if slot.breach_counts.get(LOAD_LIMIT.code):
            key = (normalise(slot.agency), slot.auditor_type)
            groups.setdefault(key, []).append(slot)
            agencies.setdefault(key[0], slot.agency)
    return [
        LoadShortfall(
            agency=agencies[key[0]],
            auditor_type=key[1],
            unfilled=len(slots),
            auditors=max(slot.breach_counts[LOAD_LIMIT.code] for slot in slots),
            limit=limit,
        )
        for key, slots in sorted(groups.items(), key=lambda item: (item[0][0], str(item[0][1])))
    ]
