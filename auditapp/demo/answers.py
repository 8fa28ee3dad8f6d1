"""The demo auditors' answers, for any audit tool: the questions walked in form order (routing questions first,
answered from the case's facts; hidden questions never), each answered as an auditor would for the quality of the
work (the grade), with the demo's own words for the questions it knows (the v2 ids the 2026 tool keeps).
Deterministic for a given random generator. Every word is invented and names nobody.
"""

from __future__ import annotations

import random
from datetime import date
from typing import TYPE_CHECKING

from auditapp.demo.texts import (
    EVIDENCE,
    GENERIC_EVIDENCE,
    GENERIC_TEXT,
    HEALTH_NOTE,
    NOT_ALONE,
    NOT_APPLICABLE_NOTE,
    OBSERVED,
    SUMMARIES,
)
from auditapp.tools import override_key, visible_questions

if TYPE_CHECKING:
    from auditapp.models import AgencyAudit, Case, SampledCase
    from auditapp.tools import AuditTool, Question

GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
P_YES = {"outstanding": 0.95, "good": 0.82, "requires_improvement": 0.55, "inadequate": 0.25}
P_NO_CHRONOLOGY = {"outstanding": 0.0, "good": 0.1, "requires_improvement": 0.35, "inadequate": 0.75}
# Child 6 of a round (when old enough to be seen alone) is disabled and non-verbal.
DISABLED_CHILD = 6


def _shift(grade: str, by: int) -> str:
    return GRADES[min(max(GRADES.index(grade) + by, 0), len(GRADES) - 1)]


def _computed(tool: AuditTool, proposals: dict, grade: str, rng: random.Random, override: bool) -> dict[str, str]:
    """Confirm each computed proposal, answer from the file when the dates do not settle it, or override one."""
    answers = {}
    for question in tool.computed_questions:
        proposal = proposals.get(question.id)
        if proposal is None or proposal.answer is None:
            answers[question.id] = "yes" if rng.random() < P_YES[grade] else "no"
        elif override and question.id == "assessment_timely":
            answers[question.id] = "yes" if proposal.answer == "no" else "no"
            answers[f"{question.id}__override_reason"] = (
                "The completion date imported is when the manager signed the assessment off; the assessment "
                "itself was finished and shared with the family within the timescale."
                if proposal.answer == "no"
                else "The assessment recorded as complete belongs to the previous referral; the assessment for "
                "this referral was finished well outside the timescale."
            )
        else:
            answers[question.id] = proposal.answer
    return answers


def tool_for_audit(audit: AgencyAudit) -> AuditTool:
    """The tool as this audit sees it: the round's pinned tool narrowed to the audit's agency kind."""
    from auditapp.domain.audits import tool_for_audit as narrowed

    return narrowed(audit)


def _months(sampled: SampledCase) -> int:
    from auditapp.demo.cases import AS_AT  # ages at the population's "as at" date: the same whenever it is loaded

    dob = sampled.case.date_of_birth
    return (AS_AT - dob).days * 12 // 365 if dob else 120


def _seen_alone(sampled: SampledCase, index: int, grade: str, rng: random.Random) -> tuple[str, str]:
    months = _months(sampled)
    if months < 24:  # a baby or toddler is observed, never "seen alone"
        return "not_applicable", (
            f"Pre-verbal, aged {max(months, 1)} months: observed with the parent at "
            "each visit, including a mealtime; the home and the child's care were recorded."
        )
    if months < 48:
        return "not_applicable", (
            f"Aged {months // 12}, too young to talk about home life: observed at play at "
            "home and at nursery, with nursery staff's observations recorded."
        )
    if index == DISABLED_CHILD:
        return "not_applicable", (
            "Disabled child, non-verbal: observed with the carer at home and at school; "
            "views gathered with the child's communication symbols and their teacher."
        )
    if grade == "inadequate" or (grade == "requires_improvement" and rng.random() < 0.5):
        return "no", rng.choice(NOT_ALONE)
    return "yes", ""


def _option(question: Question, *words: str) -> str | None:
    """The first option whose value or label starts with one of ``words`` (None: no such option)."""
    for word in words:  # in the order of preference
        for value, label in question.options:
            if value.startswith(word) or label.lower().startswith(word):
                return value
    return None


def _communication(tool: AuditTool, sampled: SampledCase, index: int) -> dict[str, str]:
    """The 2026 tool's way: how the child communicates, and the under-2s (and non-verbal) observed."""
    ids = {q.id for q in tool.questions}
    months, answers = _months(sampled), {}
    kind = "baby" if months < 24 else "toddler" if months < 48 else "disabled" if index == DISABLED_CHILD else None
    if "child_communication" in ids:
        question = tool.question("child_communication")
        words = {"baby": ("pre",), "toddler": ("pre", "limited"), "disabled": ("non",)}.get(kind or "", ("verbal",))
        answers["child_communication"] = _option(question, *words) or question.option_values[0]
    if kind and "child_observed" in ids:
        answers["child_observed"] = _option(tool.question("child_observed"), "yes") or "yes"
        answers[tool.question("child_observed").section_id + "__observed"] = OBSERVED[kind]
    if kind and "communication_aids" in ids:  # a baby has none to use; the others used theirs
        answers["communication_aids"] = "not_applicable" if kind == "baby" else "yes"
    return answers


def _routing(question: Question, case: Case, lead: bool, rng: random.Random) -> str | None:
    """A routing question answered from the case's facts (on a plan, in care, closed, referred), else None."""
    words = f"{question.id} {question.text}".lower()
    if "repeat" in words or "second or subsequent" in words:
        fact = "previous" if case.previous_cp_plans else "never"
    elif "protection" in words or question.id.startswith("cp_"):
        fact = "current" if case.status == "cp" else "previous" if case.cp_plan_start_date else "never"
    elif "looked" in words or "in care" in words:
        fact = "current" if case.status in ("looked_after", "care_leaver") else "never"
    elif "closed" in words or "transfer" in words:
        fact = "closed" if case.status == "closed" else "transferred" if rng.random() < 0.2 else "never"
    elif "referral" in words:  # social care receives the referral; the others made it, or had no part in it
        fact = "received" if lead else "made" if rng.random() < 0.6 else "never"
    else:
        return None
    words_for = {
        "current": ("current", "yes", "on_"),
        "previous": ("previous", "past", "yes"),
        "never": ("no", "never", "neither"),
        "closed": ("closed", "yes"),
        "transferred": ("transferred", "yes"),
        "received": ("received", "yes"),
        "made": ("made", "yes"),
    }
    return _option(question, *words_for[fact])


def _special(tool: AuditTool, audit: AgencyAudit, index: int, grade: str, rng: random.Random, override: bool) -> dict:
    """The demo's own answers to the questions it knows (v2's ids, kept by the 2026 tool), before the rest."""
    from auditapp.domain.audits import proposals_for

    sampled, ids = audit.assignment.sampled_case, {q.id for q in tool.questions}
    answers = _computed(tool, proposals_for(audit), grade, rng, override)
    answers.update(_communication(tool, sampled, index))
    if "child_seen_alone" in ids:
        answers["child_seen_alone"], answers["seen_alone_rationale"] = _seen_alone(sampled, index, grade, rng)
    no_chronology = rng.random() < P_NO_CHRONOLOGY[grade] + (0.0 if audit.assignment.lead else 0.15)
    answers["chronology_present"] = "no" if no_chronology else "yes"
    # The demo's story: where health and education joined the strategy discussion, the work was good.
    strategy = grade == "outstanding" or (grade == "good" and rng.random() < 0.5)
    answers["multi_agency_strategy"] = "yes" if strategy else "no"
    if sampled.case.status == "cp" and rng.random() < 0.7:
        answers["transfer_or_closure_appropriate"] = "not_applicable"  # still open on a plan: nothing to transfer
    good_practice, development, so_what = rng.choice(SUMMARIES[grade])
    answers.update(
        plan_quality=_shift(grade, rng.choice((0, 0, 1)) if grade != "inadequate" else 0),
        overall_grade=grade,
        good_practice=good_practice,
        areas_for_development=development,
        so_what=so_what,
        what_will_change="By the next review: " + development[0].lower() + development[1:],
    )
    return answers


def _generic(question: Question, case: Case, grade: str, rng: random.Random) -> str:
    """A sensible answer of the question's type, for a question the demo has no answer of its own for."""
    from auditapp.demo.cases import AS_AT

    good = rng.random() < P_YES[grade]
    if question.type == "yes_no_na":
        return "yes" if good else "no"
    if question.type == "grade":
        return _shift(grade, rng.choice((-1, 0, 0, 1)) if grade != "inadequate" else 0)
    if question.type == "choice":  # choices are mostly written best first (how often, how well)
        return question.option_values[0] if good else rng.choice(question.option_values[1:] or question.option_values)
    if question.type == "date":
        start = case.referral_date or AS_AT
        return date.fromordinal(rng.randint(start.toordinal(), max(start.toordinal(), AS_AT.toordinal()))).isoformat()
    if question.type == "number":
        low, high = int(question.minimum or 0), int(question.maximum if question.maximum is not None else 10)
        return str(rng.randint(low, max(low, min(high, low + 10))))
    text = rng.choice(GENERIC_TEXT[good])
    return text[: question.max_length] if question.max_length else text


def _agency_answers(
    tool: AuditTool, audit: AgencyAudit, index: int, grade: str, rng: random.Random, override: bool = False
) -> dict[str, str]:
    """A whole audit's answers for any tool: the questions walked in form order, so routing questions are answered
    first (from the case's facts) and hidden questions never are; each section's evidence written."""
    from auditapp.demo.facts import AGENCIES

    case, kind = audit.assignment.sampled_case.case, dict(AGENCIES).get(audit.assignment.agency_name or "")
    prefix = {"health": HEALTH_NOTE, "police": ("Police records: ",), "education": ("School records: ",)}
    special, answers = _special(tool, audit, index, grade, rng, override), dict[str, str]()
    routers = {q.show_when.question_id for q in tool.questions if q.show_when}
    for question in tool.questions:
        if question.id not in {q.id for q in visible_questions(tool=tool, answers=answers)}:
            continue
        routed = _routing(question, case, audit.assignment.lead, rng) if question.id in routers else None
        answer = special.get(question.id) or routed or _generic(question, case, grade, rng)
        answers[question.id] = answer
        if override_key(question.id) in special:
            answers[override_key(question.id)] = special[override_key(question.id)]
    for section in tool.sections:
        given = [answers.get(q.id) for q in section.questions if answers.get(q.id) in ("yes", "no")]
        mostly = given.count("yes") * 2 >= len(given)
        if section.id in EVIDENCE and not given:
            note = NOT_APPLICABLE_NOTE
        elif section.id in EVIDENCE:
            note = rng.choice(EVIDENCE[section.id][mostly])
        else:
            note = special.get(f"{section.id}__observed") or rng.choice(GENERIC_EVIDENCE[mostly])
        if kind in prefix and not audit.assignment.lead:  # say whose records the evidence is from
            note = rng.choice(prefix[kind]) + note[0].lower() + note[1:]
        answers[section.evidence_key] = note
    if answers.get("chronology_present") == "no" and "chronology_history" in {s.id for s in tool.sections}:
        answers["evidence__chronology_history"] = (
            "No chronology on the file. " + EVIDENCE["chronology_history"][False][index % 2]
        )
    return answers
