"""The people around the child in the demo's completed round (issue 15): the lead auditors' conversations with the
allocated worker and the team manager, the family's views (not sought for one child, with the reason), the panel
record of each joint discussion (disagreements for two children) and the feedback letters' words.

Idempotent: a case whose worker conversation, panel or letter is recorded already is left as it is. Everything
here is invented.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from auditapp.demo.audits import _as
from auditapp.demo.facts import DemoSummary
from auditapp.domain import feedback_letter as letters
from auditapp.domain import people_around as people
from auditapp.domain.moderation import joint_for
from auditapp.extensions import db
from auditapp.models import AuditRound, SampledCase, User
from auditapp.models.types import utcnow

MANAGERS = ("Helen Achterberg", "Marcus Boateng", "Sinead Gallagher", "Imran Qureshi", "Joanne Whitfield")
WORKER_SAID = (
    "Said the first months were hard: the family moved twice and the school changed, so she relied on the health "
    "visitor for what was happening day to day. Visits were weekly once the plan started.",
    "Felt the chronology was behind: it was updated only before conferences. She saw the children alone at most "
    "visits but did not always write down what they said in their own words.",
    "Described a good working relationship with the mother, who was open about her drinking. The hardest part was "
    "getting father to engage; he did not come to the first two core groups.",
    "Said she had 24 children at the time and could not visit as often as the plan said. She raised this in "
    "supervision twice. The direct work with the children was done by the family support worker.",
    "Was proud of the work: the plan was clear, the school and the health visitor shared what they saw and the "
    "children's attendance improved. She would have stepped the case down a month sooner.",
)
MANAGER_SAID = (
    "Agreed the caseload was too high over the winter; supervision was monthly but often cancelled. Has since "
    "moved two children to a newly qualified worker with more support.",
    "Said the team's practice standard is a chronology updated at every visit; this case fell short. Will use it "
    "in the next team learning session.",
    "Thought the worker's analysis was strong and the plan was reviewed on time. The delay was in the initial "
    "health assessment, which the team escalated.",
    "Recognised that the children's voice was missing from the assessment. The team now records each child's "
    "words at the top of the visit note.",
)
FAMILY = (
    (
        "Mother",
        "phone",
        "Said she felt listened to by the social worker but did not understand the plan at first. "
        "It helped when the worker wrote it down in plain words.",
    ),
    (
        "Mother and the young person",
        "in_person",
        "The young person said the worker was the first adult who asked "
        "what he wanted. Mother said there were too many meetings with too many people.",
    ),
    (
        "Father",
        "phone",
        "Said he was left out at the start and only heard about the conference the day before. "
        "Since then the worker has phoned him after every visit.",
    ),
    (
        "Grandmother (kinship carer)",
        "video",
        "Said she got help quickly once she asked, but had to chase the "
        "school for the children's reports. She would like one person to contact.",
    ),
)
NOT_SOUGHT = 5  # the case (by position) whose family's views were not sought, and why
NOT_SOUGHT_REASON = (
    "Care proceedings were under way and the family's solicitor asked that they were not contacted by the audit. "
    "The social worker agreed this would add to the pressure on the mother at the time."
)
DISAGREEMENTS = {
    2: "Health graded planning as requires improvement and social care as good. The panel agreed requires "
    "improvement: the plan's review date slipped twice, which the health record showed and the social care "
    "file did not.",
    6: "The agencies did not agree whether the child was seen alone often enough. Social care counted the visits "
    "at school; health did not. The panel agreed visits at school count when recorded in the child's words.",
}
STRENGTHS = {
    True: (
        "The child's voice runs through the file: what she said at each visit is written in her own words and it "
        "shaped the plan. The chronology was up to date and shared with health before every core group.",
        "The plan was clear, specific and reviewed on time, and every agency knew its part. The worker's analysis "
        "of the risks was balanced and explained to the family in plain words.",
    ),
    False: (
        "The worker built a trusting relationship with the mother, who was open about what was happening at home. "
        "Visits were regular and the children were seen.",
        "Concerns were shared quickly with the school and the health visitor, and the strategy discussion was held "
        "the same day.",
    ),
}
LEARNING = {
    True: (
        "Keep doing what works: share this file in the team's learning session as an example of recording the "
        "child's words.",
        "Step down sooner when the plan's outcomes are met: the panel thought the last two months added little.",
    ),
    False: (
        "Update the chronology at every visit, not only before conferences, so that patterns of neglect are seen "
        "early.",
        "Record what the child says in their own words, and how it changed the plan. Ask for help in supervision "
        "when the caseload stops you visiting as the plan says.",
    ),
}


def _held(drawn: date, today: date, days: int) -> date:
    """A date ``days`` after the draw, never after today."""
    return min(drawn + timedelta(days=days), today)


def _conversations(sampled: SampledCase, index: int, *, drawn: date, today: date) -> int:
    """The worker, manager and family conversations of one case; returns how many were recorded."""
    worker = people.ConversationWords(
        name=sampled.case.worker or "Sam Okafor",
        role="Social worker",
        held_on=_held(drawn, today, 8 + index % 3),
        method=("in_person", "video", "phone")[index % 3],
        said=WORKER_SAID[index % len(WORKER_SAID)],
    )
    manager = people.ConversationWords(
        name=MANAGERS[index % len(MANAGERS)],
        role="Team manager",
        held_on=_held(drawn, today, 10 + index % 4),
        method=("video", "in_person")[index % 2],
        said=MANAGER_SAID[index % len(MANAGER_SAID)],
    )
    if index == NOT_SOUGHT:
        family = people.ConversationWords(sought="no", not_sought_reason=NOT_SOUGHT_REASON)
    else:
        who, method, said = FAMILY[index % len(FAMILY)]
        family = people.ConversationWords(
            sought="yes", name=who, held_on=_held(drawn, today, 12 + index % 5), method=method, said=said
        )
    for kind, words in (("worker", worker), ("manager", manager), ("family", family)):
        people.save_conversation(sampled, kind=kind, words=words, today=today)
    return 3


def _panel(sampled: SampledCase, index: int, *, today: date, chair: User) -> None:
    lines = [f"{chair.name}, Chair (QA coordinator), Partnership"]
    for assignment in sampled.assignments:
        if assignment.agency_name:
            role = "Lead auditor" if assignment.lead else "Auditor"
            lines.append(f"{assignment.auditor.name}, {role}, {assignment.agency_name}")
    panel = people.PanelWords(
        day=str(today.day),
        month=str(today.month),
        year=str(today.year),
        attendees="\n".join(lines),
        disagreements=DISAGREEMENTS.get(index, ""),
    )
    errors = people.save_panel(sampled, panel=panel, today=today)
    if errors:
        raise RuntimeError(f"demo panel record did not save: {errors}")


def _letter(sampled: SampledCase, index: int) -> None:
    joint = joint_for(sampled)
    assert joint is not None
    good = joint.answers.get("jd_overall_grade") in ("outstanding", "good")
    words = letters.letter_words(sampled, joint)
    letters.save_letter(
        sampled,
        letters.LetterWords(
            worker_name=words.worker_name,
            manager_name=words.manager_name,
            strengths=STRENGTHS[good][index % 2],
            learning=LEARNING[good][index % 2],
        ),
    )


def load_people_around_the_child(summary: DemoSummary) -> None:
    """Add the conversations, panel records and feedback letters of the completed round's cases where missing."""
    from auditapp.demo.audits import COMPLETED_ROUND
    from auditapp.demo.facts import DOMAIN

    audit_round = db.session.scalar(select(AuditRound).where(AuditRound.name == COMPLETED_ROUND))
    chair = db.session.scalar(select(User).where(User.email == f"coordinator@{DOMAIN}"))
    if audit_round is None or chair is None or audit_round.drawn_at is None:
        return
    today, drawn = utcnow().date(), audit_round.drawn_at.date()
    cases = sorted((s for s in audit_round.sampled if not s.replaced), key=lambda s: (s.stratum, s.position))
    for index, sampled in enumerate(cases):
        lead = next((a for a in sampled.assignments if a.lead), None)
        if lead is None:
            continue
        with _as(lead.auditor):
            if recorded := people.conversations_for(sampled):
                summary.existing += len(recorded)
            else:
                summary.created += _conversations(sampled, index, drawn=drawn, today=today)
            joint = letters.completed_joint(sampled)
            if joint is None:
                continue
            if joint.panel_date is None:
                _panel(sampled, index, today=today, chair=chair)
                summary.created += 1
            else:
                summary.existing += 1
            if joint.letter_strengths is None:
                _letter(sampled, index)
                summary.created += 1
            else:
                summary.existing += 1
