"""The dashboard's figures as the pages, the Board's PDF page and the export present them (issue 17): totals per
quarter and per agency summed from the rows of ``figures_types.Dashboard``, percentages said as "k of n (p%)",
and a sentence in words for each figure group. Plain data; the filters' choices are the only database reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from auditapp.domain.quarters import Quarter
from auditapp.programme.figures_audits import MULTI_AGENCY, SINGLE_AGENCY  # GradesRow.source
from auditapp.programme.figures_types import AgreementRow, Dashboard, Filters
from auditapp.stats import percent_text
from auditapp.tools import GRADE_OPTIONS
from auditapp.vocabulary import PlannedStatus, ReturnStatus

GRADES = tuple(value for value, _ in GRADE_OPTIONS)
GRADE_LABELS = dict(GRADE_OPTIONS)


def share(part: int, whole: int, *, empty: str = "no audits") -> str:
    """``18 of 20 (90%)``; ``empty`` when there is nothing to take a share of (never "0%" of nothing)."""
    return f"{part} of {whole} ({percent_text(100 * part / whole)})" if whole else empty


def percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def hours_text(hours: float | None) -> str:
    """Hours to acknowledge, whole hours (a day or more also in days)."""
    if hours is None:
        return "Not applicable"
    whole = round(hours)
    text = f"{whole} hour{'' if whole == 1 else 's'}"
    return f"{text} ({hours / 24:.1f} days)" if hours >= 24 else text


@dataclass(frozen=True)
class AuditTotals:
    label: str  # a quarter's label or an agency's name
    assigned: int
    completed: int
    on_time: int
    no_due_date: int

    @property
    def on_time_text(self) -> str:
        return share(self.on_time, self.completed)


@dataclass(frozen=True)
class Totals:
    """Per quarter, the sums over agencies of a figure group (the keys are the group's fields)."""

    quarter: Quarter
    values: dict[str, int]


@dataclass(frozen=True)
class View:
    dashboard: Dashboard
    title: str
    audits_by_quarter: list[AuditTotals]
    audits_by_agency: list[AuditTotals]
    actions_by_quarter: list[Totals]
    concerns_by_quarter: list[Totals]
    grades_by_quarter: dict[str, list[Totals]]  # source -> per quarter, counts per grade and "ungraded"
    summaries: dict[str, list[str]] = field(default_factory=dict)  # figure group -> sentences


def period_text(first: Quarter, last: Quarter) -> str:
    return first.label if first == last else f"{first.label} to {last.label}"


def title_of(dashboard: Dashboard) -> str:
    return filters_title(dashboard.filters)


def filters_title(filters: Filters) -> str:
    """``Audit programme: 2026-27 Q1 to 2026-27 Q4`` (with the agency or theme filter, when one is set)."""
    extra = [text for text in (filters.agency, filters.theme) if text]
    return f"Audit programme: {period_text(filters.first, filters.last)}" + (f" ({', '.join(extra)})" if extra else "")


def _sum(rows: Iterable[object], fields: tuple[str, ...]) -> dict[str, int]:
    out = dict.fromkeys(fields, 0)
    for row in rows:
        for name in fields:
            out[name] += getattr(row, name)
    return out


AUDIT_FIELDS = ("assigned", "completed", "on_time", "no_due_date")
ACTION_FIELDS = ("due", "completed_on_time", "completed_late", "overdue")
CONCERN_FIELDS = ("raised", "acknowledged", "unacknowledged")


def build_view(dashboard: Dashboard) -> View:
    """The dashboard's figures with their totals and sentences."""
    quarters = dashboard.quarters
    by_quarter = [
        AuditTotals(q.label, **_sum((r for r in dashboard.audits if r.quarter == q), AUDIT_FIELDS)) for q in quarters
    ]
    agencies = sorted({row.agency for row in dashboard.audits})
    by_agency = [AuditTotals(a, **_sum((r for r in dashboard.audits if r.agency == a), AUDIT_FIELDS)) for a in agencies]
    actions = [Totals(q, _sum((r for r in dashboard.actions if r.quarter == q), ACTION_FIELDS)) for q in quarters]
    concerns = [Totals(q, _sum((r for r in dashboard.concerns if r.quarter == q), CONCERN_FIELDS)) for q in quarters]
    grades: dict[str, list[Totals]] = {}
    for source in (MULTI_AGENCY, SINGLE_AGENCY):
        grades[source] = []
        for q in quarters:
            rows = [r for r in dashboard.grades if r.quarter == q and r.source == source]
            counts = {g: sum(r.counts.get(g, 0) for r in rows) for g in GRADES}
            grades[source].append(Totals(q, {**counts, "ungraded": sum(r.ungraded for r in rows)}))
    view = View(
        dashboard=dashboard,
        title=title_of(dashboard),
        audits_by_quarter=by_quarter,
        audits_by_agency=by_agency,
        actions_by_quarter=actions,
        concerns_by_quarter=concerns,
        grades_by_quarter=grades,
    )
    view.summaries.update(_summaries(view))
    return view


def _summaries(view: View) -> dict[str, list[str]]:
    d = view.dashboard
    return {
        "audits": [_audits_sentence(t) for t in view.audits_by_quarter],
        "outstanding": _outstanding_sentences(d),
        "agreement": [_agreement_sentence(r) for r in d.agreement],
        "grades": _grades_sentences(view),
        "concerns": [_concerns_sentence(view, t) for t in view.concerns_by_quarter],
        "actions": [_actions_sentence(t) for t in view.actions_by_quarter] + _overdue_sentence(d),
        "coverage": _coverage_sentences(d),
        "schedule": _schedule_sentences(d),
        "returns": _returns_sentences(d),
    }


def _audits_sentence(t: AuditTotals) -> str:
    if not t.completed:
        return f"In {t.label}, {t.assigned} audits were assigned and none was completed."
    late_free = f"; {t.no_due_date} had no due date" if t.no_due_date else ""
    return (
        f"In {t.label}, {t.assigned} audits were assigned; {share(t.on_time, t.completed)} audits completed were "
        f"completed on time{late_free}."
    )


def _outstanding_sentences(d: Dashboard) -> list[str]:
    outstanding = sum(r.outstanding for r in d.outstanding)
    overdue = sum(r.overdue for r in d.outstanding)
    if not outstanding:
        return ["No audits are outstanding."]
    worst = max(d.outstanding, key=lambda r: (r.overdue, r.outstanding))
    text = f"{outstanding} audits are outstanding, {overdue} of them overdue."
    if worst.overdue:
        text += f" {worst.agency} has the most overdue: {worst.overdue}."
    return [text]


def _agreement_sentence(r: AgreementRow) -> str:
    label = r.quarter.label
    if not r.moderated:
        return f"In {label}, no audits were moderated."
    text = (
        f"In {label}, the moderator agreed with the auditor's grade in {share(r.agreed, r.moderated)} moderated audits."
    )
    if r.blind_pairs:
        text += f" Blind grades matched in {share(r.blind_matched, r.blind_pairs)} pairs."
    return text


def _grades_sentences(view: View) -> list[str]:
    out = []
    for source, name in ((MULTI_AGENCY, "multi-agency audits"), (SINGLE_AGENCY, "single-agency returns")):
        totals = view.grades_by_quarter[source]
        graded = sum(sum(t.values[g] for g in GRADES) for t in totals)
        good = sum(t.values["outstanding"] + t.values["good"] for t in totals)
        if graded:
            out.append(f"Across the period, {share(good, graded)} graded {name} were good or outstanding.")
        else:
            out.append(f"Across the period, no {name} were graded.")
    return out


def _concerns_sentence(view: View, t: Totals) -> str:
    label = t.quarter.label
    if not t.values["raised"]:
        return f"In {label}, no concerns were raised."
    longest = [r.longest_hours for r in view.dashboard.concerns if r.quarter == t.quarter and r.longest_hours]
    acknowledged = share(t.values["acknowledged"], t.values["raised"], empty="none")
    text = f"In {label}, {t.values['raised']} concerns were raised; {acknowledged} were acknowledged"
    if longest:
        text += f", the longest after {hours_text(max(longest))}"
    return text + "."


def _actions_sentence(t: Totals) -> str:
    v = t.values
    if not v["due"]:
        return f"No actions were due in {t.quarter.label}."
    return (
        f"Of the actions due in {t.quarter.label}, {share(v['completed_on_time'], v['due'], empty='none')} were "
        f"completed by their target date; {v['overdue']} are overdue."
    )


def _overdue_sentence(d: Dashboard) -> list[str]:
    count = len(d.overdue_actions)
    return [f"{count} action{'' if count == 1 else 's'} {'is' if count == 1 else 'are'} overdue now."]


def _coverage_sentences(d: Dashboard) -> list[str]:
    out = []
    for kind, plural in (("team", "teams"), ("locality", "localities")):
        rows = [r for r in d.coverage if r.kind == kind]
        covered = sum(r.covered for r in rows)
        text = share(covered, len(rows), empty="")
        out.append(
            f"{text} {plural} had a case audited in the 12 months before {fmt_day(d.as_of.date())}."
            if rows
            else f"There are no {plural} to cover."
        )
    return out


def _schedule_sentences(d: Dashboard) -> list[str]:
    if not d.schedule:
        return ["No rounds are planned in these quarters."]
    counts = {status: sum(r.status == status for r in d.schedule) for status in PlannedStatus}
    kept = len(d.schedule) - counts[PlannedStatus.DROPPED]
    return [
        f"Planned rounds (not dropped): {kept}; done {counts[PlannedStatus.DONE]}, "
        f"started {counts[PlannedStatus.STARTED]}, late {counts[PlannedStatus.LATE]}."
    ]


def _returns_sentences(d: Dashboard) -> list[str]:
    if not d.returns:
        return ["No single-agency returns are expected in these quarters."]
    received = sum(r.status == ReturnStatus.RECEIVED for r in d.returns)
    overdue = sum(r.status == ReturnStatus.OVERDUE for r in d.returns)
    return [
        f"{share(received, len(d.returns), empty='none')} returns expected have been received; {overdue} are overdue."
    ]


def fmt_day(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "Never"


def quarter_choices(today: date, *, years_back: int = 5, years_ahead: int = 1) -> list[Quarter]:
    """The quarters the filters offer: from the financial year ``years_back`` before today's to the one after."""
    year = Quarter.of(today).year
    return [Quarter(y, n) for y in range(year - years_back, year + years_ahead + 1) for n in range(1, 5)]


def filter_names() -> tuple[list[str], list[str]]:
    """Every agency's name and every theme (of rounds, planned rounds and returns) the filters offer."""
    from sqlalchemy import select

    from auditapp.extensions import db
    from auditapp.models import Agency, AuditRound, PlannedRound, SingleAgencyReturn
    from auditapp.programme.figures_audits import theme_name

    agencies = sorted(set(db.session.scalars(select(Agency.name))))
    themes = {theme_name(t) for t in db.session.scalars(select(AuditRound.theme).distinct())}
    themes |= {theme_name(t) for t in db.session.scalars(select(PlannedRound.theme).distinct())}
    for listed in db.session.scalars(select(SingleAgencyReturn.themes)):
        themes |= {theme_name(t) for t in listed or []}
    return agencies, sorted(themes)
