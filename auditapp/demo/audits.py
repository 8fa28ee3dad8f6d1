"""Demo audits: a completed, moderated multi-agency round and the demo round in progress.

Everything goes through the domain layer, acting as the person who would do it (the auditor fills in and submits
their audit, the QA coordinator draws, moderates and acknowledges, the lead auditor records the joint discussion),
so the audit trail reads as in real use. Deterministic (fixed seeds) and idempotent: a round already there is left
alone. Every word of the free text is invented and names nobody.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from auditapp.demo.answers import GRADES, _agency_answers, _shift, tool_for_audit
from auditapp.demo.facts import DEMO_DRAWN_AT, DEMO_DRAWS, DEMO_WITNESS
from auditapp.demo.texts import EVIDENCE, SUMMARIES
from auditapp.domain.context import ActorContext, acting_as, current_actor
from auditapp.extensions import db
from auditapp.models import AgencyAudit, Assignment, AuditRound, JointDiscussion, SampledCase, User
from auditapp.models import SafeguardingConcern as Concern
from auditapp.models.types import clock_set_to
from auditapp.vocabulary import ModerationDecision, RoundMode

if TYPE_CHECKING:
    from auditapp.demo.facts import DemoSummary
    from auditapp.tools import AuditTool

COMPLETED_ROUND = "Neglect, spring 2026"
TEXT_SEED = 20260316
# The quality of the work with each of the 12 children, in sample order: every grade, mostly good or requires
# improvement as in most real rounds. The lead (social care) auditor grades exactly this; health may differ by one.
CASE_GRADES = (
    "good",
    "requires_improvement",
    "outstanding",
    "good",
    "inadequate",
    "requires_improvement",
    "good",
    "requires_improvement",
    "good",
    "inadequate",
    "outstanding",
    "requires_improvement",
)
# In inadequate case 4 the health auditor raises an immediate safeguarding concern.
CONCERN_CASE = 4
# (case index, lead auditor's audit?): the moderator's grade and reason. The lead is social care, the other health.
REGRADES = {
    (1, False): (
        "inadequate",
        "Three missed health appointments were not followed up and the plan was never "
        "updated; the child's experience did not change: this is not requires improvement.",
    ),
    (8, True): (
        "requires_improvement",
        "The plan has no timescales and the child was not seen for seven weeks in "
        "the spring; good practice is there but not yet consistent enough for good.",
    ),
}
RETURNED = (3, False)  # returned for more evidence, then resubmitted and agreed
# The completed round is moderated blind: the moderator's own grade comes first. It is the grade they settle on,
# except in these near misses, where their blind grade was one step more generous than the auditor's and, having
# read the auditor's reasons, they agreed with the auditor.
BLIND_NEAR_MISSES = ((2, True), (6, False), (9, True))


def _blind_grade(key: tuple[int, bool], auditor_grade: str | None) -> str:
    """The demo moderator's own grade for the audit ``key`` (see BLIND_NEAR_MISSES)."""
    if key in REGRADES:
        return REGRADES[key][0]
    grades = ("outstanding", "good", "requires_improvement", "inadequate")
    index = grades.index(auditor_grade) if auditor_grade in grades else 1
    return grades[max(0, index - 1)] if key in BLIND_NEAR_MISSES else grades[index]


@contextmanager
def _as(user: User) -> Iterator[None]:
    """Act as ``user`` within the command's context (same request id and channel, so the run can be traced)."""
    outer = current_actor()
    ctx = ActorContext(
        user_id=user.id, email=user.email, role=user.role.value, request_id=outer.request_id, channel=outer.channel
    )
    with acting_as(ctx):
        yield


def witnessed_draw(audit_round: AuditRound) -> None:
    """Draw ``audit_round`` as a real round is drawn (hashrank-v2): the acting coordinator freezes the population,
    then the Board's scrutineer witnesses the draw with their value; the server value is the demo's fixed one."""
    from auditapp.domain.sampling import demo_server_random, draw_witnessed, freeze_population

    witness_value, server_value = DEMO_DRAWS[audit_round.name]
    freeze_population(audit_round)
    with demo_server_random(server_value):
        draw_witnessed(
            audit_round,
            witness_name=DEMO_WITNESS[0],
            witness_role=DEMO_WITNESS[1],
            witness_value=witness_value,
        )


def _save(audit: AgencyAudit, tool: AuditTool, answers: dict[str, str], sections: list[str] | None = None) -> None:
    from auditapp.domain.audits import _section_keys, save_section

    for section in tool.sections:
        if sections is None or section.id in sections:
            keys = _section_keys(tool, section.id)
            save_section(
                audit,
                section_id=section.id,
                values={k: v for k, v in answers.items() if k in keys},
                loaded_version=audit.version,
            )


def _submit(audit: AgencyAudit) -> None:
    from auditapp.domain.audits import submit_audit

    errors = submit_audit(audit, loaded_version=audit.version)
    if errors:  # the demo's answers are built to be valid: a problem here is a bug, not a user's mistake
        raise RuntimeError(f"demo audit {audit.id} did not submit: {[(e.field, e.message) for e in errors]}")


def _joint_answers(index: int, grade: str, audits: list[AgencyAudit], rng: random.Random) -> dict[str, str]:
    graded = "; ".join(f"{a.assignment.agency_name}: {a.moderated_grade.replace('_', ' ')}" for a in audits)
    impact = " ".join(dict.fromkeys(a.answers["so_what"] for a in audits))
    answers = {
        "jd_recognition_of_need": _shift(grade, rng.choice((-1, 0, 0))),
        "jd_assessment": _shift(grade, rng.choice((0, 0, 1))),
        "jd_planning_intervention": grade,
        "jd_joint_working": _shift(grade, rng.choice((-1, 0, 1))),
        "jd_overall_grade": grade,
        "jd_impact_on_child": impact,
        "jd_so_what": rng.choice(SUMMARIES[grade])[2],
        "evidence__overall": f"Moderated agency grades: {graded}.",
    }
    for section, source in (
        ("recognition_of_need", "chronology_history"),
        ("assessment", "referral_assessment"),
        ("planning_intervention", "planning"),
        ("joint_working", "multi_agency"),
    ):
        pool = EVIDENCE[source][grade in GRADES[:2]]
        answers[f"evidence__{section}"] = "Both agencies agreed: " + pool[index % len(pool)]
    return answers


def _records(audit_round: AuditRound) -> int:
    """The audits, joint discussions and concerns recorded in a round."""
    ids = select(SampledCase.id).where(SampledCase.round_id == audit_round.id)
    queries = [select(func.count(AgencyAudit.id)).join(Assignment).where(Assignment.sampled_case_id.in_(ids))]
    queries += [select(func.count(m.id)).where(m.sampled_case_id.in_(ids)) for m in (JointDiscussion, Concern)]
    return sum(db.session.scalar(q) or 0 for q in queries)


def _fill_completed(audit_round: AuditRound, cases: list[SampledCase], rng: random.Random) -> dict:
    """Every agency audit filled in and submitted by its auditor; one concern raised on the way."""
    from auditapp.domain.audits import open_audit, proposals_for
    from auditapp.domain.concerns import raise_concern

    overrides_left, audits, concern = {"yes": 1, "no": 1}, {}, None
    for index, sampled in enumerate(cases):
        grade = CASE_GRADES[index % len(CASE_GRADES)]
        for assignment in sorted(sampled.assignments, key=lambda a: not a.lead):
            audit_grade = grade if assignment.lead else _shift(grade, rng.choice((0, 0, 0, -1, 1)))
            with _as(assignment.auditor):
                audit = open_audit(assignment)
                tool = tool_for_audit(audit)
                timely = proposals_for(audit).get("assessment_timely")
                override = bool(timely and overrides_left.get(timely.answer) and audit_grade != "inadequate")
                if override:  # one proposal overridden each way, with the reason
                    overrides_left[timely.answer] -= 1
                _save(audit, tool, _agency_answers(tool, audit, index, audit_grade, rng, override))
                if index == CONCERN_CASE and not assignment.lead:
                    concern = raise_concern(
                        sampled,
                        description=(
                            "The health record shows a new adult has moved into the home who is known to police for "
                            "violence. This is not in the social care file and no strategy discussion has been held. "
                            "The school nurse noted two unexplained bruises on the child this month."
                        ),
                    )
                _submit(audit)
            audits.setdefault(index, []).append(audit)
    return {"audits": audits, "concern": concern}


def _completed_round(summary: DemoSummary) -> None:
    from auditapp.demo.facts import AGENCIES, DOMAIN
    from auditapp.domain.assignments import assign_automatically
    from auditapp.domain.concerns import acknowledge
    from auditapp.domain.moderation import moderate, record_blind_grade, record_joint
    from auditapp.domain.rounds import RoundSettings, create_round

    coordinator = db.session.scalar(select(User).where(User.email == f"coordinator@{DOMAIN}"))
    rng = random.Random(TEXT_SEED)
    with _as(coordinator), clock_set_to(lambda: DEMO_DRAWN_AT[COMPLETED_ROUND]):  # created and drawn then
        audit_round = create_round(
            RoundSettings(
                name=COMPLETED_ROUND,
                theme="Neglect",
                mode=RoundMode.MULTI_AGENCY,
                statuses=["cin", "cp"],
                sample_size=12,
                stratify_by="locality",
                min_per_stratum=True,
                agencies=[AGENCIES[0][0], AGENCIES[1][0]],
                lead_agency=AGENCIES[0][0],
                blind_moderation=True,
                tool_version=2,  # audited in the spring, before the 2026 tool
            ),
            created_by_id=coordinator.id,
        )
        witnessed_draw(audit_round)
    with _as(coordinator):
        assign_automatically(audit_round)
    cases = sorted((s for s in audit_round.sampled if not s.replaced), key=lambda s: (s.stratum, s.position))
    filled = _fill_completed(audit_round, cases, rng)
    with _as(coordinator):
        acknowledge(
            filled["concern"],
            action_taken=(
                "Phoned the team manager the same day: a strategy discussion with police and health was held the next "
                "morning, a child protection medical arranged and the plan reviewed. The finding is logged for the "
                "partnership's learning."
            ),
        )
    for index, case_audits in filled["audits"].items():
        for audit in case_audits:
            key = (index, audit.assignment.lead)
            with _as(coordinator):
                record_blind_grade(audit, grade=_blind_grade(key, audit.answers.get("overall_grade")))
                if key in REGRADES:
                    moderate(
                        audit, decision=ModerationDecision.REGRADED, grade=REGRADES[key][0], comment=REGRADES[key][1]
                    )
                    continue
                if key == RETURNED:
                    moderate(
                        audit,
                        decision=ModerationDecision.RETURNED,
                        comment="Please add the evidence for the planning section: "
                        "where in the file did you find the plan's review?",
                    )
            if key == RETURNED:  # the auditor adds the evidence and submits again
                with _as(audit.assignment.auditor):
                    extra = (
                        audit.answers.get("evidence__planning", "") + " Plan reviewed at the core group in "
                        "week 10 (minutes on the health record)."
                    )
                    _save(audit, tool_for_audit(audit), {**audit.answers, "evidence__planning": extra}, ["planning"])
                    _submit(audit)
            with _as(coordinator):
                moderate(audit, decision=ModerationDecision.AGREED)
    for index, sampled in enumerate(cases):
        lead = next(a for a in sampled.assignments if a.lead)
        with _as(lead.auditor):
            answers = _joint_answers(index, CASE_GRADES[index % len(CASE_GRADES)], filled["audits"][index], rng)
            errors = record_joint(sampled, answers=answers, complete=True)
        if errors:
            raise RuntimeError(f"demo joint discussion did not complete: {errors}")
    summary.created += 1 + _records(audit_round)


def _in_progress_round(summary: DemoSummary) -> None:
    """The demo's open round: the first case's audits (one per agency) submitted, three audits part-way through,
    the rest not started."""
    from auditapp.demo.facts import DEMO_ROUND
    from auditapp.domain.audits import open_audit

    audit_round = db.session.scalar(select(AuditRound).where(AuditRound.name == DEMO_ROUND))
    if audit_round is None or (started := _records(audit_round)):  # under way (an earlier run, or people using it)
        summary.existing += started if audit_round else 0
        return
    rng = random.Random(TEXT_SEED + 1)
    cases = sorted((s for s in audit_round.sampled if not s.replaced), key=lambda s: (s.stratum, s.position))
    assignments = [a for s in cases for a in sorted(s.assignments, key=lambda a: not a.lead)]
    plan: list[int | None] = [None] * len(cases[0].assignments) + [3, 1, 5]  # None: all, then submitted
    grades = ("good", "requires_improvement", "good", "good", "inadequate", "requires_improvement", "good")
    for number, (assignment, sections) in enumerate(zip(assignments, plan, strict=False)):
        with _as(assignment.auditor):
            audit = open_audit(assignment)
            tool = tool_for_audit(audit)
            answers = _agency_answers(tool, audit, number, grades[number % len(grades)], rng)
            if sections == 1 and "child_seen_alone" in answers:  # saved part-way: the rationale still to write
                answers.update(child_seen_alone="no", seen_alone_rationale="")
            _save(audit, tool, answers, None if sections is None else [s.id for s in tool.sections][:sections])
            if sections is None:
                _submit(audit)
    summary.created += _records(audit_round)


def load_completed_round(summary: DemoSummary) -> None:
    """Add the completed round when it is missing (a re-run changes nothing)."""
    done = db.session.scalar(select(AuditRound).where(AuditRound.name == COMPLETED_ROUND))
    if done is None:
        _completed_round(summary)
    else:
        summary.existing += 1 + _records(done)


def load_in_progress_audits(summary: DemoSummary) -> None:
    """Add the audits under way in the round in progress when they are missing (a re-run changes nothing)."""
    _in_progress_round(summary)
