"""The states and kinds auditapp stores as strings, each named once (issue 12, "One vocabulary").

Pure: only the standard library, so every package may use it, including the pure ones (assignment, sampling,
importers, tools, stats) that never import models, Flask or SQLAlchemy. Each member's value is exactly the string
stored in the database and written to JSON, exports and the audit trail; a ``StrEnum`` member equals, hashes,
formats and serialises as that string, so the columns keep their types and values (no migration).
"""

from __future__ import annotations

from enum import StrEnum


class AuditState(StrEnum):
    """Where an agency audit is: started, submitted, returned by the moderator, moderated, or withdrawn."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    MODERATED = "moderated"
    # Closed without being finished: its round was cancelled, its case replaced or its auditor changed with
    # "start again". Kept (with its answers) for the record; never counted as submitted or outstanding.
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "not_started": "Not started",
            "in_progress": "In progress",
            "submitted": "Submitted",
            "returned": "Returned",
            "moderated": "Moderated",
            "withdrawn": "Withdrawn",
        }[self.value]


class SectionStatus(StrEnum):
    """The task-list status of one section of an audit (not stored: worked out from the answers)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    #: Every question of the section is hidden by answers already given elsewhere (a child never on a plan has no
    #: conference to audit): nothing to do, and the audit can be submitted without it.
    NOT_NEEDED = "not_needed"


class ModerationDecision(StrEnum):
    """The moderator's decision on a submitted audit."""

    AGREED = "agreed"
    RETURNED = "returned"
    REGRADED = "regraded"

    @property
    def label(self) -> str:
        return {"agreed": "Agree", "returned": "Return to the auditor", "regraded": "Re-grade"}[self.value]


class ActionStatus(StrEnum):
    """How far an action of the action plan has got."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @property
    def label(self) -> str:
        return {"open": "Open", "in_progress": "In progress", "done": "Done"}[self.value]


class JobStatus(StrEnum):
    """A background job's state: queued, then running, then done or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RoundMode(StrEnum):
    """A round's audit mode: who audits each sampled case."""

    INDEPENDENT = "independent"
    PEER = "peer"
    MULTI_AGENCY = "multi-agency"

    @property
    def label(self) -> str:
        return {"independent": "Independent", "peer": "Peer", "multi-agency": "Multi-agency"}[self.value]


class AuditorType(StrEnum):
    """Whether an auditor is independent of the partnership's case work or a peer from an agency."""

    INDEPENDENT = "independent"
    PEER = "peer"

    @property
    def label(self) -> str:
        return {"independent": "Independent", "peer": "Peer"}[self.value]


class ReportStatus(StrEnum):
    """Where a published version of a round's board report stands (worked out from the versions and withdrawals,
    not stored): the one the board reads, replaced by a newer version, or withdrawn with a reason."""

    CURRENT = "current"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"current": "Current", "superseded": "Superseded", "withdrawn": "Withdrawn"}[self.value]


class AssuranceLevel(StrEnum):
    """The QA group's judgement for the Board on a round: how far the Board can rely on the work with children
    that the audit looked at (the usual four levels of an audit opinion)."""

    SUBSTANTIAL = "substantial"
    REASONABLE = "reasonable"
    LIMITED = "limited"
    NO_ASSURANCE = "no_assurance"

    @property
    def label(self) -> str:
        return {
            "substantial": "Substantial assurance",
            "reasonable": "Reasonable assurance",
            "limited": "Limited assurance",
            "no_assurance": "No assurance",
        }[self.value]

    @property
    def meaning(self) -> str:
        """What the level means, in one plain line (the form's hint and the report's box)."""
        return {
            "substantial": "The work with children is good: we found few weaknesses and none that leave a child "
            "at risk.",
            "reasonable": "The work with children is mostly sound: there are some weaknesses, and the actions "
            "address them.",
            "limited": "There are significant weaknesses: some children are not getting the help they need, and "
            "the work must improve.",
            "no_assurance": "There are fundamental weaknesses: children may be left at risk, and urgent action is "
            "needed.",
        }[self.value]


class NotifyEvent(StrEnum):
    """What a message tells someone (issue 16). Each carries a prompt and a link, never a child's data."""

    AUDIT_ASSIGNED = "audit_assigned"  # assigned or reassigned: its auditor
    AUDIT_DUE_SOON = "audit_due_soon"  # due in 3 working days: its auditor
    AUDIT_OVERDUE = "audit_overdue"  # overdue: its auditor, at most once a day
    AUDIT_RETURNED = "audit_returned"  # returned by the moderator: its auditor
    CONCERN_RAISED = "concern_raised"  # at once: the coordinators and the agency's named safeguarding lead
    CONCERN_ESCALATED = "concern_escalated"  # not acknowledged within a working day
    CONCERN_ACKNOWLEDGED = "concern_acknowledged"  # the person who raised it
    JOINT_DISCUSSION_READY = "joint_discussion_ready"  # the lead auditor
    ACTION_DUE_SOON = "action_due_soon"  # due in 5 working days: its owner
    ACTION_OVERDUE = "action_overdue"  # overdue: its owner, at most once a week
    REPORT_PUBLISHED = "report_published"  # board members
    RETURN_DUE_SOON = "return_due_soon"  # issue 17: an agency's single-agency return is due: its quality lead
    RETURN_OVERDUE = "return_overdue"  # issue 17: past its due date: its quality lead, at most once a week

    @property
    def label(self) -> str:
        return {
            "audit_assigned": "An audit is assigned to you",
            "audit_due_soon": "An audit of yours is due in 3 working days",
            "audit_overdue": "An audit of yours is overdue",
            "audit_returned": "The moderator returned an audit to you",
            "concern_raised": "An immediate safeguarding concern was raised",
            "concern_escalated": "An immediate safeguarding concern has not been acknowledged",
            "concern_acknowledged": "A concern you raised was acknowledged",
            "joint_discussion_ready": "A joint discussion is ready to arrange",
            "action_due_soon": "An action you own is due in 5 working days",
            "action_overdue": "An action you own is overdue",
            "report_published": "A board report was published",
            "return_due_soon": "Your agency's single-agency audit return is due soon",
            "return_overdue": "Your agency's single-agency audit return is overdue",
        }[self.value]

    @property
    def optional(self) -> bool:
        """Whether a user may turn the message off (concerns about a child's safety always reach their people)."""
        return self not in (NotifyEvent.CONCERN_RAISED, NotifyEvent.CONCERN_ESCALATED)


class DeliveryStatus(StrEnum):
    """Where a message stands: waiting for the worker, being sent, sent, failed after its retries, or not sent
    (the recipient turned it off, or no mail service is configured)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    NOT_SENT = "not_sent"

    @property
    def label(self) -> str:
        return {
            "queued": "Waiting to send",
            "sending": "Sending",
            "sent": "Sent",
            "failed": "Failed",
            "not_sent": "Not sent",
        }[self.value]


class Rag(StrEnum):
    """An action owner's own rating of an action: red (off track), amber (at risk), green (on track)."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"

    @property
    def label(self) -> str:
        return {"red": "Red: off track", "amber": "Amber: at risk", "green": "Green: on track"}[self.value]


class ReturnSource(StrEnum):
    """How a single-agency audit return was recorded (issue 17)."""

    FORM = "form"
    UPLOAD = "upload"

    @property
    def label(self) -> str:
        return {"form": "Form", "upload": "Uploaded sheet"}[self.value]


class ReturnStatus(StrEnum):
    """Where an agency's return for a quarter stands (issue 17): received, not yet due, due (the quarter has ended
    and the due date has not passed) or overdue."""

    RECEIVED = "received"
    NOT_YET_DUE = "not_yet_due"
    DUE = "due"
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return {"received": "Received", "not_yet_due": "Not yet due", "due": "Due", "overdue": "Overdue"}[self.value]


class PlannedStatus(StrEnum):
    """Where a planned round of the year's schedule stands against what was done (issue 17)."""

    PLANNED = "planned"  # its month has not ended and no round carries it out yet
    STARTED = "started"  # a round carries it out and is under way
    DONE = "done"  # the round's report is published
    LATE = "late"  # its month has ended and no round has been drawn for it
    DROPPED = "dropped"  # taken out of the plan, with a reason

    @property
    def label(self) -> str:
        return {
            "planned": "Planned",
            "started": "Started",
            "done": "Done",
            "late": "Late",
            "dropped": "Dropped",
        }[self.value]
