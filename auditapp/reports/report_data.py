"""The board report of a round as plain data: built once from the database, rendered as HTML and PDF.

No Flask request here: the web preview, the PDF, the CLI and the benchmark all call :func:`build_report`.
Pseudonymisation happens here, so no template can leak what it was never given: cases are "Case 1", "Case 2", ...
in sample order, and no name, date of birth, case reference or worker reaches the report.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auditapp.domain.audits import agency_kind_for, tool_for
from auditapp.domain.errors import DomainError
from auditapp.domain.learning import report_lines
from auditapp.domain.moderation import joint_tool, moderation_agreement
from auditapp.domain.sampling import certificate_of
from auditapp.extensions import db
from auditapp.models.audit import AgencyAudit, JointDiscussion
from auditapp.models.audit_round import Assignment, AuditRound, SampledCase
from auditapp.models.case import STATUS_LABELS
from auditapp.models.finding import ACTION_STATUSES, Action, Finding
from auditapp.models.user import User
from auditapp.reports.annex import build_annex
from auditapp.reports.as_it_stood import action_status, audits_as_they_stood
from auditapp.reports.child_results import AskedAudit, agency_grade_rows, asked_only, count_question, joint_grades
from auditapp.reports.front import build_front
from auditapp.reports.other_draws import other_draws
from auditapp.reports.report_types import (
    ActionItem,
    AgencyResult,
    CaseSummary,
    Cover,
    FindingItem,
    Method,
    QuestionResult,
    ReportData,
    Trend,
)
from auditapp.reports.trend import build_trend
from auditapp.stats import SMALL_N, grade_distribution, proportion
from auditapp.tools import GRADE_OPTIONS
from auditapp.tools.model import YES_NO_NA
from auditapp.vocabulary import ActionStatus, AuditState

#: Only these audits count in results: in-progress and returned audits are not finished work.
COUNTED_STATES = (AuditState.SUBMITTED, AuditState.MODERATED)
GRADE_LABELS = dict(GRADE_OPTIONS)
STRATIFY_WORDS = {
    "none": "Not stratified",
    "locality": "Locality",
    "team": "Team",
    "status": "Case status",
    "agency": "Agency",
}


@dataclass
class _Audited:
    """The round's current sample with its counted audits, loaded in a few queries."""

    sampled: list[SampledCase]
    audits: dict[int, list[tuple[Assignment, AgencyAudit]]]  # sampled_case_id -> counted audits
    joints: dict[int, JointDiscussion]
    until: datetime | None = None  # as it stood at this moment (``--as-of``), else as it is now


def build_report(
    audit_round: AuditRound, *, as_of: datetime, partnership: str = "", as_it_stood: bool = False
) -> ReportData:
    """Build the board report of ``audit_round`` as it stands at ``as_of`` (used for overdue flags and ages).

    With ``as_it_stood`` (``auditapp report --as-of``) only what existed at ``as_of`` counts: audits submitted,
    joint discussions completed, findings and actions written by then. Raises DomainError when the round has no
    sample yet, or when ``as_it_stood`` and ``as_of`` is before the day of the draw.
    """
    as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)  # naive: taken as UTC, as the database does
    until = as_of if as_it_stood else None
    if until is not None:
        refuse_before_draw(audit_round, as_of)
    certificate = certificate_of(audit_round)
    tool = tool_for(audit_round)
    audited = _load(audit_round, until)
    pairs = [pair for s in audited.sampled for pair in audited.audits.get(s.id, [])]  # in sample order
    labels = {s.case.case_ref: f"Case {i}" for i, s in enumerate(audited.sampled, start=1)}
    scrub = _scrubber(labels, {s.case.worker for s in audited.sampled if s.case.worker})
    # child -> (lead audit?, answers, agency kind) per counted audit: the kind says which questions it was asked
    by_child: dict[int, list[AskedAudit]] = {}
    for asg, a in pairs:
        kind = agency_kind_for(asg) if tool.has_agency_sections else None
        by_child.setdefault(asg.sampled_case_id, []).append((asg.lead, a.answers, kind))
    grade_labels = _grade_labels(tool)
    questions = _question_results(tool, by_child)
    findings, actions = _findings(audit_round, tool, labels, scrub, as_of, until)
    auditor_grades = grade_distribution(a.answers.get("overall_grade") for _, a in pairs)
    moderated_grades = grade_distribution(a.moderated_grade for _, a in pairs if a.state == AuditState.MODERATED)
    counts = {
        "cases": sum(1 for s in audited.sampled if audited.audits.get(s.id)),
        "sampled": len(audited.sampled),
        "audits": len(pairs),
        "auditors": len({asg.auditor_id for asg, _ in pairs}),
        AuditState.MODERATED: sum(1 for _, a in pairs if a.state == AuditState.MODERATED),
        "actions": len(actions),
        "overdue": sum(1 for a in actions if a.overdue),
        "done": sum(1 for a in actions if a.status == ActionStatus.DONE.label),  # rows carry the label
    }
    return ReportData(
        cover=Cover(
            partnership=partnership,
            round_name=audit_round.name,
            theme=audit_round.theme,
            mode=audit_round.mode_label,
            tool=tool.label,
            drawn_on=audit_round.drawn_at.date() if audit_round.drawn_at else None,
            due_on=audit_round.due_date,
            generated_at=as_of,
        ),
        summary=_summary(
            counts, auditor_grades, moderated_grades, any(q.result.small_n for q in questions), grade_labels
        ),
        headline_findings=[(f.title, f.so_what) for f in findings],
        method=_method(audit_round, certificate, audited, as_of),
        questions=questions,
        auditor_grades=auditor_grades,
        moderated_grades=moderated_grades,
        trend=_trend(audit_round, tool, until),
        agencies=_agencies(pairs, {q.id: q.meets_standard for q in yes_no_questions(tool)}),
        findings=findings,
        actions=actions,
        cases=[
            _case_summary(labels[s.case.case_ref], s, audited, as_of.date(), scrub, grade_labels)
            for s in audited.sampled
        ],
        counts=counts,
        front=build_front(
            audit_round,
            questions=questions,
            joints=[audited.joints[s.id] for s in audited.sampled if s.id in audited.joints],
            as_of=as_of,
            until=until,
            scrub=scrub,
            make_scrubber=_scrubber,
        ),
        question_grades=agency_grade_rows(tool, by_child),  # reports/child_results.py: plan quality, per audit
        joint_grades=joint_grades(
            joint_tool(),
            [audited.joints[s.id].answers for s in audited.sampled if s.id in audited.joints],
            sampled=len(audited.sampled),
        ),
        annex=build_annex(
            audit_round, certificate, questions, tool.grade_scale
        ),  # the technical annex (reports/annex.py)
        learning=report_lines(audit_round),  # issue 15 (helper E): the priorities and review learning it tests
    )


def _load(audit_round: AuditRound, until: datetime | None = None) -> _Audited:
    sampled = list(
        db.session.scalars(
            select(SampledCase)
            .where(SampledCase.round_id == audit_round.id, SampledCase.replaced.is_(False))
            .order_by(SampledCase.stratum, SampledCase.position)
            .options(
                selectinload(SampledCase.case),
                selectinload(SampledCase.assignments).selectinload(Assignment.auditor).selectinload(User.agency),
            )
        )
    )
    counted = (
        select(Assignment, AgencyAudit)
        .join(AgencyAudit, AgencyAudit.assignment_id == Assignment.id)
        .join(SampledCase, SampledCase.id == Assignment.sampled_case_id)
        .where(SampledCase.round_id == audit_round.id, AgencyAudit.state.in_(COUNTED_STATES))
        .order_by(Assignment.lead.desc(), Assignment.id)
    )
    # As it stood (reports/as_it_stood.py): audits submitted by then, moderated only if moderated by then.
    rows = db.session.execute(counted) if until is None else audits_as_they_stood(audit_round.id, until)
    audits: dict[int, list[tuple[Assignment, AgencyAudit]]] = {}
    for assignment, audit in rows:
        audits.setdefault(assignment.sampled_case_id, []).append((assignment, audit))
    completed = (
        select(JointDiscussion)
        .join(SampledCase)
        .where(SampledCase.round_id == audit_round.id, JointDiscussion.completed_at.is_not(None))
    )  # not drafts
    if until is not None:  # as it stood: only discussions completed by then
        completed = completed.where(JointDiscussion.completed_at <= until)
    joints = {j.sampled_case_id: j for j in db.session.scalars(completed)}
    return _Audited(sampled=sampled, audits=audits, joints=joints, until=until)


def agency_of(assignment: Assignment) -> str:
    """The agency an audit speaks for: its place in a multi-agency round, else the auditor's own agency."""
    if assignment.agency_name:
        return assignment.agency_name
    agency = assignment.auditor.agency if assignment.auditor else None
    return agency.name if agency else "Independent (no agency)"


def yes_no_questions(tool) -> list:
    return [q for q in tool.questions if q.type == YES_NO_NA]  # the questions the results and trend count


def _grade_labels(tool) -> dict[str, str]:
    """The round's tool's names for the grades (the standard names for any the tool does not rename)."""
    return GRADE_LABELS | dict(tool.grade_scale.options)


def _question_results(tool, by_child: dict[int, list[AskedAudit]]) -> list[QuestionResult]:
    """% meeting the standard per yes/no question, from each child's counted audits (lead audit?, answers, agency
    kind) that were asked it, at the question's unit (reports/child_results.py): over agency audits, clustered by
    child, or once per child."""
    sections = {s.id: s.title for s in tool.sections}
    results = []
    for question in yes_no_questions(tool):
        counted = count_question(question, asked_only(question, by_child))
        results.append(
            QuestionResult(
                question_id=question.id,
                section=sections[question.section_id],
                text=question.text,
                result=counted.result,
                not_applicable=counted.not_applicable,
                meets_standard=question.meets_standard,
                unit=counted.unit,
                disagreed=counted.disagreed,
            )
        )
    return results


def _method(audit_round: AuditRound, certificate: dict, audited: _Audited, as_of: datetime) -> Method:
    """The Board-facing method: plain words only (the seed, hashes and commands are in the annex)."""
    stratify_by = certificate.get("stratify_by")
    auditors: dict[int, User] = {a.auditor_id: a.auditor for s in audited.sampled for a in s.assignments}
    by_kind = Counter(
        (u.auditor_type.label if u.auditor_type else "Not recorded", u.agency.name if u.agency else "No agency")
        for u in auditors.values()
    )
    return Method(
        population_size=certificate["population_size"],
        filter_words=_filter_words(certificate["filter"]),
        exclusions=sorted(certificate.get("exclusion_counts", {}).items()),
        stratified_by=STRATIFY_WORDS.get(stratify_by or "none", str(stratify_by)),
        strata=[(_stratum_name(s["name"], stratify_by), s["N"], s["n"]) for s in certificate["strata"]],
        sample_size=len(certificate.get("current_sample") or certificate["sample"]),
        auditors=[(kind, agency, count) for (kind, agency), count in sorted(by_kind.items())],
        agreement=moderation_agreement(audit_round, until=audited.until),  # as it stood, with --as-of
        other_draws=other_draws(audit_round, as_of=as_of),
    )


def refuse_before_draw(audit_round: AuditRound, as_of: datetime) -> None:
    """Raise DomainError when ``as_of`` is before the day the round's sample was drawn (nothing existed then)."""
    drawn = audit_round.drawn_at
    if drawn is not None and as_of.date() < drawn.date():
        raise DomainError(
            f"The report cannot be as of {as_of.day} {as_of:%B %Y}: the sample for {audit_round.name} was drawn "
            f"on {drawn.day} {drawn:%B %Y}. Give a date on or after the draw."
        )


def _trend(audit_round: AuditRound, tool, as_of: datetime | None = None) -> Trend:
    """The trend against earlier comparable rounds (reports/trend.py has the rules)."""
    return build_trend(audit_round, tool, as_of=as_of, questions=yes_no_questions(tool), describe=_filter_words)


def _agencies(pairs: list[tuple[Assignment, AgencyAudit]], questions: dict[str, str]) -> list[AgencyResult]:
    """Per agency: its yes or no answers pooled (``questions`` maps each question to the answer meeting the
    standard) and its moderated grades; the auditors' own grades are not used here."""
    grouped: dict[str, list[tuple[Assignment, AgencyAudit]]] = {}
    for assignment, audit in pairs:
        grouped.setdefault(agency_of(assignment), []).append((assignment, audit))
    results = []
    for agency in sorted(grouped):
        audits = [audit for _, audit in grouped[agency]]
        values = [(a.answers.get(q), meets) for a in audits for q, meets in questions.items()]
        answered = [(value, meets) for value, meets in values if value in ("yes", "no")]
        moderated = [a for a in audits if a.state == AuditState.MODERATED]
        results.append(
            AgencyResult(
                agency=agency,
                audits=len(audits),
                yes=proportion(k=sum(1 for value, meets in answered if value == meets), n=len(answered)),
                grades=grade_distribution(a.moderated_grade for a in moderated),
                children=len({asg.sampled_case_id for asg, _ in grouped[agency]}),
                awaiting_moderation=len(audits) - len(moderated),
            )
        )
    return results


def _scrubber(labels: dict[str, str], workers: set[str]):
    """Replace case references (with their pseudonyms) and workers' names in free text written by people."""
    names = {**labels, **dict.fromkeys(workers, "the worker")}
    if not names:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda m: names[m.group(0)], text) if text else text


def _findings(
    audit_round: AuditRound,
    tool,
    labels: dict[str, str],
    scrub,
    as_of: datetime,
    until: datetime | None = None,
) -> tuple[list[FindingItem], list[ActionItem]]:
    texts = {q.id: q.text for q in tool.questions}
    found = db.session.scalars(
        select(Finding)
        .where(Finding.round_id == audit_round.id)
        .order_by(Finding.position, Finding.id)
        .options(
            selectinload(Finding.actions).selectinload(Action.agency),
            selectinload(Finding.actions).selectinload(Action.updates),
        )
    )
    findings, actions = [], []
    for finding in found:
        if until is not None and finding.created_at > until:  # as it stood: written later
            continue
        cases = sorted(
            {labels.get(ref, "a case outside this sample") for ref in finding.case_refs},
            key=lambda label: (len(label), label),
        )
        findings.append(
            FindingItem(
                title=scrub(finding.title),
                evidence=scrub(finding.evidence),
                so_what=scrub(finding.so_what),
                recommendation=scrub(finding.recommendation),
                questions=[texts.get(q, q) for q in finding.question_ids],
                cases=cases,
            )
        )
        for action in finding.actions:
            if until is not None and action.created_at > until:
                continue
            # As the report stood at as_of: a later update is not shown (and would make the dates read oddly).
            latest = next((u for u in reversed(action.updates) if u.created_at <= as_of), None)
            status = action_status(action, until)  # with --as-of: its last update's status by then, else open
            actions.append(
                ActionItem(
                    finding=scrub(finding.title),
                    description=scrub(action.description),
                    agency=action.agency.name,
                    owner=action.owner_name,
                    due_on=action.due_date,
                    status=ACTION_STATUSES.get(status, status),
                    overdue=status != ActionStatus.DONE and action.due_date < as_of.date(),
                    latest_update=(latest.created_at.date(), scrub(latest.note)) if latest else None,
                    success_measure=scrub(action.success_measure) if action.success_measure else None,  # issue 15
                    reaudit_on=action.reaudit_date,
                )
            )
    return findings, actions


def age_band(born: date | None, today: date) -> str:
    """The child's age band at ``today`` ("Under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over")."""
    if born is None:
        return "Not recorded"
    if born > today:
        return "Unborn"
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    for upper, band in ((1, "Under 1"), (5, "1 to 4"), (10, "5 to 9"), (16, "10 to 15")):
        if age < upper:
            return band
    return "16 and over"


def _case_summary(
    label: str, sampled: SampledCase, audited: _Audited, today: date, scrub, grade_labels: dict[str, str]
) -> CaseSummary:
    case = sampled.case
    grades = [
        (
            agency_of(asg),
            grade_labels.get(a.answers.get("overall_grade", ""), "Not graded"),
            grade_labels.get(a.moderated_grade or "") if a.state == AuditState.MODERATED else None,
        )
        for asg, a in audited.audits.get(sampled.id, [])
    ]
    joint = audited.joints.get(sampled.id)
    joint_answers = joint.answers if joint else {}
    return CaseSummary(
        label=label,
        status=STATUS_LABELS.get(case.status, case.status),
        age_band=age_band(case.date_of_birth, today),
        team=case.team_name or "Not recorded",
        agency_grades=grades,
        joint_grade=GRADE_LABELS.get(joint_answers.get("jd_overall_grade", "")),
        so_what=scrub(joint_answers.get("jd_so_what")) or None,
    )


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _grade_words(grades: dict[str, int], labels: dict[str, str]) -> str:
    parts = [f"{labels.get(g, g).lower()} in {count}" for g, count in grades.items() if count]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""


def _summary(
    counts: dict[str, int],
    auditor: dict[str, int],
    moderated: dict[str, int],
    small_n: bool,
    labels: dict[str, str] = GRADE_LABELS,
) -> list[str]:
    """The executive summary's plain sentences, generated from the counts (grades named as the tool names them)."""
    cases = "All" if counts["cases"] == counts["sampled"] and counts["cases"] > 1 else f"{counts['cases']} of the"
    lines = [
        f"{cases} {_plural(counts['sampled'], 'sampled child’s case', 'sampled children’s cases')} "
        f"{'was' if counts['cases'] == 1 else 'were'} audited, in {_plural(counts['audits'], 'completed audit')} "
        f"by {_plural(counts['auditors'], 'auditor')}."
    ]
    if sum(auditor.values()):
        lines.append(f"Auditors graded the work as {_grade_words(auditor, labels)} of {sum(auditor.values())} audits.")
    if sum(moderated.values()):
        lines.append(
            f"After moderation of {_plural(counts[AuditState.MODERATED], 'audit')}, "
            f"the grades were {_grade_words(moderated, labels)}."
        )
    if small_n:
        lines.append(
            f"Some results rest on the files of fewer than {SMALL_N} children. They describe these children’s "
            "files and are marked with a warning: they are not a reliable measure for all children."
        )
    if counts["actions"]:
        lines.append(
            f"The action plan has {_plural(counts['actions'], 'action')}: {counts['done']} done and "
            f"{counts['overdue']} overdue."
        )
    return lines


def _filter_words(population_filter: dict) -> list[str]:
    """The round's population filter in plain words, one line per condition."""
    lists = (("statuses", "Case status"), ("localities", "Locality"), ("teams", "Team"), ("agencies", "Agency"))
    words = []
    for key, label in lists:
        values = population_filter.get(key) or []
        if values:
            shown = [STATUS_LABELS.get(v, v) for v in values] if key == "statuses" else values
            words.append(f"{label}: {', '.join(shown)}")
    if population_filter.get("open_from"):
        words.append(f"Open on or after {date.fromisoformat(population_filter['open_from']):%-d %B %Y}")
    if population_filter.get("open_to"):
        words.append(f"Referred on or before {date.fromisoformat(population_filter['open_to']):%-d %B %Y}")
    months = population_filter.get("exclude_audited_within_months")
    if months:
        words.append(f"Cases sampled in another round in the last {_plural(months, 'month')} were left out")
    return words or ["Every case in the population"]


def _stratum_name(name: str, stratify_by: str | None) -> str:
    if not stratify_by or name == "all":
        return "All cases"
    return STATUS_LABELS.get(name, name) if stratify_by == "status" else name
