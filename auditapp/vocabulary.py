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
