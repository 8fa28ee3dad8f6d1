"""A small programme of audit rounds with known timestamps for the dashboard's tests (issue 17), built as plain
model rows (the figures read the rows; the domain's own rules are tested elsewhere). Every instant is UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count
from types import SimpleNamespace

from auditapp.extensions import db
from auditapp.models import Case
from auditapp.models.audit import AgencyAudit, SafeguardingConcern
from auditapp.models.audit_round import Assignment, AuditRound, SampledCase
from auditapp.models.finding import Action, Finding, PublishedReport
from auditapp.models.programme import PlannedRound, SingleAgencyReturn

#: The dashboard is built as at this instant (a Friday in January 2027, GMT).
AS_OF = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)

_refs = count(1)


def at(text: str) -> datetime:
    """``"2026-06-30T22:59"`` as a UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_round(
    name: str,
    theme: str | None,
    *,
    drawn: str | None = "2026-03-01T09:00",
    due: date | None = None,
    cancelled: str | None = None,
) -> AuditRound:
    audit_round = AuditRound(
        name=name,
        theme=theme,
        mode="independent",
        drawn_at=at(drawn) if drawn else None,
        due_date=due,
        cancelled_at=at(cancelled) if cancelled else None,
        agencies=[],
    )
    db.session.add(audit_round)
    db.session.flush()
    return audit_round


def add_case(*, agency=None, team=None, locality=None, agency_name: str | None = None) -> Case:
    case = Case(
        case_ref=f"P{next(_refs):05d}",
        status="cin",
        agency_id=agency.id if agency else None,
        agency_name=agency_name or (agency.name if agency else None),
        team_id=team.id if team else None,
        locality_id=locality.id if locality else None,
    )
    db.session.add(case)
    db.session.flush()
    return case


def add_audit(
    audit_round: AuditRound,
    auditor,
    *,
    agency_name: str | None,
    assigned: str,
    case: Case,
    due: date | None = None,
    state: str | None = None,  # None: not started (no AgencyAudit row)
    submitted: str | None = None,
    grade: str | None = None,
    decision: str | None = None,
    moderated_grade: str | None = None,
    moderated: str | None = None,
    blind: tuple[str, str, str] | None = None,  # (moderator's grade, auditor's grade, when)
    replaced: bool = False,
) -> SampledCase:
    sampled = SampledCase(round_id=audit_round.id, case_id=case.id, stratum="all", position=1, replaced=replaced)
    db.session.add(sampled)
    db.session.flush()
    assignment = Assignment(
        sampled_case_id=sampled.id,
        auditor_id=auditor.id,
        agency_name=agency_name,
        due_date=due,
        assigned_at=at(assigned),
    )
    db.session.add(assignment)
    db.session.flush()
    if state is not None:
        answers = {"q1": "yes"} | ({"overall_grade": grade} if grade else {})
        db.session.add(
            AgencyAudit(
                assignment_id=assignment.id,
                state=state,
                answers=answers,
                submitted_at=at(submitted) if submitted else None,
                moderation_decision=decision,
                moderated_grade=moderated_grade,
                moderated_at=at(moderated) if moderated else None,
                blind_grade=blind[0] if blind else None,
                blind_auditor_grade=blind[1] if blind else None,
                blind_graded_at=at(blind[2]) if blind else None,
            )
        )
        db.session.flush()
    return sampled


def add_concern(sampled: SampledCase, raiser, *, raised: str, acknowledged: str | None) -> None:
    db.session.add(
        SafeguardingConcern(
            sampled_case_id=sampled.id,
            raised_by_id=raiser.id,
            raised_at=at(raised),
            description="A concern",
            acknowledged_at=at(acknowledged) if acknowledged else None,
        )
    )


def add_action(finding: Finding, agency, *, due: date, status: str, completed: str | None = None) -> Action:
    action = Action(
        finding_id=finding.id,
        description=f"Action due {due}",
        agency_id=agency.id,
        owner_name="Olive Owner",
        due_date=due,
        status=status,
        completed_at=at(completed) if completed else None,
    )
    db.session.add(action)
    return action


def build(org, users) -> SimpleNamespace:
    """The programme. Quarters are of the financial year; the comments say where each boundary case falls."""
    social, health = org.social, org.health
    auditor, peer = users["auditor"], users["peer"]  # of social care, of health
    neglect = add_round("Neglect 2026", "Neglect", drawn="2026-03-01T09:00", due=date(2026, 6, 30))
    exploitation = add_round("Exploitation 2026", "Exploitation", drawn="2026-06-01T09:00")
    cancelled = add_round("Cancelled 2026", "Neglect", cancelled="2026-05-20T09:00")
    untitled = add_round("No theme 2026", None, drawn="2026-01-15T09:00")
    add_round("Not drawn", "Neglect", drawn=None)

    def case(team=org.cp_north, locality=org.north, agency=social):
        return add_case(agency=agency, team=team, locality=locality)

    s = SimpleNamespace(neglect=neglect, exploitation=exploitation, cancelled=cancelled, untitled=untitled)
    # 23:59 BST on 30 June: Q1, on the round's due date (on time); then 00:00 BST on 1 July: Q2, a day late.
    s.a1 = add_audit(
        neglect,
        auditor,
        agency_name=social.name,
        assigned="2026-04-02T09:00",
        case=case(),
        state="moderated",
        submitted="2026-06-30T22:59",
        grade="good",
        decision="agreed",
        moderated="2026-07-02T10:00",
    )
    s.a2 = add_audit(
        neglect,
        peer,
        agency_name=health.name,
        assigned="2026-04-02T09:00",
        case=case(org.hv_north, agency=health),
        state="moderated",
        submitted="2026-06-30T23:00",
        grade="requires_improvement",
        decision="regraded",
        moderated_grade="inadequate",
        moderated="2026-07-05T10:00",
    )
    # 00:30 BST on 1 April 2026 (BST began 29 March): Q1 of 2026-27; assignment due 1 April, so on time.
    s.a3 = add_audit(
        neglect,
        auditor,
        agency_name=social.name,
        assigned="2026-03-02T09:00",
        case=case(),
        due=date(2026, 4, 1),
        state="submitted",
        submitted="2026-03-31T23:30",
        grade="outstanding",
    )
    # No agency on the assignment: the auditor's (health). 23:59 GMT on 31 December: Q3; 1 January: Q4.
    s.a4 = add_audit(
        neglect,
        peer,
        agency_name=None,
        assigned="2026-10-01T09:00",
        case=case(),
        state="submitted",
        submitted="2026-12-31T23:59",
        grade="good",
    )
    s.a5 = add_audit(
        exploitation,
        auditor,
        agency_name=social.name,
        assigned="2026-10-01T09:00",
        case=case(org.cp_south, org.south),
        state="submitted",
        submitted="2027-01-01T00:00",
        grade="good",
    )
    # Left out: a cancelled round's audit, a replaced case's, and a withdrawn audit.
    add_audit(
        cancelled,
        auditor,
        agency_name=social.name,
        assigned="2026-04-02T09:00",
        case=case(),
        state="submitted",
        submitted="2026-05-01T10:00",
        grade="inadequate",
    )
    add_audit(
        neglect,
        auditor,
        agency_name=social.name,
        assigned="2026-04-02T09:00",
        case=case(),
        state="submitted",
        submitted="2026-05-01T10:00",
        grade="inadequate",
        replaced=True,
    )
    add_audit(untitled, auditor, agency_name=social.name, assigned="2026-05-05T09:00", case=case(), state="withdrawn")
    # Outstanding at AS_OF: in progress past its due date; not started with no due date (assigned at 00:00 BST on
    # 1 October: Q3); returned by the moderator (outstanding again, past the round's due date).
    s.a8 = add_audit(
        neglect,
        auditor,
        agency_name=social.name,
        assigned="2026-04-10T09:00",
        case=case(),
        due=date(2026, 12, 1),
        state="in_progress",
    )
    s.a9 = add_audit(
        exploitation, peer, agency_name=health.name, assigned="2026-09-30T23:00", case=case(org.hv_north, agency=health)
    )
    s.a10 = add_audit(
        neglect,
        peer,
        agency_name=health.name,
        assigned="2026-04-02T09:00",
        case=case(org.hv_north, agency=health),
        state="returned",
        decision="returned",
        moderated="2026-08-01T10:00",
    )
    # Blind pairs: matched (and agreed), and not matched (not yet moderated).
    s.a12 = add_audit(
        neglect,
        auditor,
        agency_name=social.name,
        assigned="2026-07-01T09:00",
        case=case(),
        state="moderated",
        submitted="2026-09-10T10:00",
        grade="good",
        decision="agreed",
        moderated="2026-09-13T10:00",
        blind=("good", "good", "2026-09-12T10:00"),
    )
    s.a13 = add_audit(
        exploitation,
        peer,
        agency_name=health.name,
        assigned="2026-07-01T09:00",
        case=case(org.hv_north, agency=health),
        state="submitted",
        submitted="2026-09-11T10:00",
        grade="requires_improvement",
        blind=("good", "requires_improvement", "2026-09-12T11:00"),
    )
    # No theme and no grade; no team or locality. Q4 of 2025-26.
    s.a14 = add_audit(
        untitled,
        auditor,
        agency_name=social.name,
        assigned="2026-02-01T09:00",
        case=case(None, None),
        state="submitted",
        submitted="2026-02-10T10:00",
    )
    # Coverage: the only audits of CP South's cases and of Test South. One on 15 January 2026, exactly 12 months
    # before AS_OF (covered), one on 14 January (23:00 GMT) in another team (not covered).
    add_audit(
        untitled,
        peer,
        agency_name=health.name,
        assigned="2026-01-15T09:00",
        case=case(org.hv_north, org.north, health),
        state="submitted",
        submitted="2026-01-15T10:00",
        grade="good",
    )
    s.a16 = add_audit(
        untitled,
        auditor,
        agency_name=social.name,
        assigned="2026-01-15T09:00",
        case=case(org.cp_south, org.south),
        state="submitted",
        submitted="2026-01-14T23:00",
        grade="good",
    )

    # Concerns: 6 and 10 hours to acknowledge (Q1, social care); raised 00:30 BST on 1 July and never acknowledged
    # (Q2, health); 48 hours (Q2); acknowledged only after AS_OF (unacknowledged at AS_OF); a case named only.
    add_concern(s.a1, auditor, raised="2026-06-30T22:00", acknowledged="2026-07-01T04:00")
    add_concern(s.a3, auditor, raised="2026-05-01T00:00", acknowledged="2026-05-01T10:00")
    add_concern(s.a2, peer, raised="2026-06-30T23:30", acknowledged=None)
    add_concern(s.a10, peer, raised="2026-07-10T00:00", acknowledged="2026-07-12T00:00")
    add_concern(s.a13, peer, raised="2026-07-11T00:00", acknowledged="2027-02-01T00:00")
    named = add_audit(
        exploitation,
        peer,
        agency_name=health.name,
        assigned="2026-10-02T09:00",
        case=add_case(agency_name="Test Police"),
    )
    add_concern(named, peer, raised="2026-11-01T09:00", acknowledged="2026-11-01T10:30")

    finding = Finding(round_id=neglect.id, title="Chronologies", so_what="Risk is missed")
    other = Finding(round_id=exploitation.id, title="Return home interviews", so_what="Missed")
    db.session.add_all([finding, other])
    db.session.flush()
    # Completed 23:30 BST on the due date (on time) and 00:30 BST the day after (late).
    add_action(finding, social, due=date(2026, 6, 30), status="done", completed="2026-06-30T22:30")
    add_action(finding, social, due=date(2026, 6, 30), status="done", completed="2026-06-30T23:30")
    add_action(finding, health, due=date(2026, 9, 30), status="open")
    add_action(finding, health, due=date(2027, 3, 31), status="in_progress")
    add_action(finding, health, due=date(2027, 1, 15), status="open")  # due today: not yet overdue
    add_action(other, social, due=date(2025, 12, 31), status="open")  # overdue; its quarter is not shown

    db.session.add_all(
        [
            PlannedRound(
                month=date(2026, 4, 1), theme="Neglect", agencies=[social.name, health.name], round_id=neglect.id
            ),
            PlannedRound(
                month=date(2026, 6, 1), theme="Exploitation", agencies=[social.name], round_id=exploitation.id
            ),
            PlannedRound(month=date(2026, 8, 1), theme="Domestic abuse", agencies=[health.name]),
            PlannedRound(month=date(2027, 2, 1), theme="Neglect", agencies=[social.name]),
            PlannedRound(
                month=date(2026, 10, 1),
                theme="Neglect",
                agencies=[social.name],
                dropped_at=at("2026-09-01T09:00"),
                dropped_reason="Inspection",
            ),
            PlannedRound(month=date(2026, 9, 1), theme="Neglect", agencies=[health.name], round_id=cancelled.id),
            PlannedRound(month=date(2025, 1, 1), theme="Neglect", agencies=[social.name]),
        ]
    )
    for version, interim in ((1, True), (2, False)):
        db.session.add(
            PublishedReport(
                round_id=neglect.id,
                title="Neglect",
                as_of=at("2026-08-01T09:00"),
                sha256="0" * 64,
                pdf=b"%PDF",
                version=version,
                interim=interim,
                missing=[],
            )
        )
    db.session.add_all(
        [
            SingleAgencyReturn(
                agency_id=social.id,
                year=2026,
                quarter=1,
                audited=10,
                graded_outstanding=2,
                graded_good=5,
                graded_requires_improvement=1,
                graded_inadequate=0,
                themes=["Neglect", "Exploitation"],
                key_learning="Supervision is not recorded",
            ),
            SingleAgencyReturn(
                agency_id=health.id,
                year=2026,
                quarter=2,
                audited=4,
                graded_outstanding=0,
                graded_good=4,
                graded_requires_improvement=0,
                graded_inadequate=0,
                themes=[],
                key_learning="",
            ),
        ]
    )
    db.session.flush()
    return s
