"""The audit trail in words: who did what to which object, for the admin's audit-trail page.

Each event's action code becomes a sentence ("Moderated an audit"), its actor a name and role ("Sam Patel, QA
coordinator"; "the command line (operator root)"), and its object a name ("round Neglect, spring 2026", "user
a.khan@example.org") with the admin page to open when there is one. Names are looked up in one query per kind of
object on the page. An action this table does not know yet is still readable: its code with the underscores gone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from auditapp.extensions import db
from auditapp.models import (
    Agency,
    AgencyAudit,
    AuditEvent,
    AuditRound,
    Case,
    LearningItem,
    Locality,
    PlannedRound,
    Role,
    SafeguardingConcern,
    SingleAgencyReturn,
    Team,
    User,
)

ACTIONS: dict[str, str] = {
    "sign_in": "Signed in",
    "sign_in_failed": "Failed to sign in (wrong email address or password)",
    "sign_in_refused_locked": "Was refused sign-in: too many failed attempts",
    "sign_out": "Signed out",
    "session_timed_out": "Was signed out by the session timeout",
    "session_ended": "A sign-in was ended",
    "sessions_ended": "Every sign-in of the user was ended",
    "two_factor_failed": "Entered a wrong security code",
    "two_factor_replaced": "Set up a new authenticator app",
    "two_factor_reset": "Had two-factor authentication reset",
    "password_changed": "Changed their password",
    "password_reset_by_admin": "Had their password set by an admin",
    "access_refused": "Was refused access to a page",
    "csrf_refused": "Sent a form that had expired or was not from this service",
    "throttled": "Was slowed down: too many requests",
    "user_created": "Created a user",
    "user_updated": "Changed a user",
    "user_activated": "Changed whether a user can sign in",
    "agency_created": "Created an agency",
    "agency_updated": "Changed an agency",
    "locality_created": "Created a locality",
    "locality_updated": "Changed a locality",
    "team_created": "Created a team",
    "team_updated": "Changed a team",
    "cases_imported": "Imported cases",
    "upload_stored": "Uploaded case files to check",
    "upload_discarded": "Discarded uploaded case files",
    "import_check_viewed": "Read the check of an import",
    "case_list_viewed": "Read the list of cases",
    "case_viewed": "Read a child's case",
    "cases_exported": "Exported cases",
    "population_mapping_replaced": "Uploaded the mapping of workers and teams to localities",
    "population_mapping_changed": "Changed the mapping of workers and teams to localities",
    "population_mapping_removed": "Removed a row of the mapping of workers and teams to localities",
    "round_created": "Created an audit round",
    "round_viewed": "Read an audit round",
    "round_exported": "Exported a round's answers",
    "round_edited": "Changed an audit round's settings",
    "round_moderation_changed": "Changed whether a round's audits are moderated blind",
    "round_cancelled": "Cancelled an audit round",
    "sample_drawn": "Drew a round's sample",
    "population_frozen": "Froze a round's population for a witnessed draw",
    "sample_case_replaced": "Replaced a case in a round's sample",
    "certificate_downloaded": "Downloaded a sample's certificate",
    "assignment_made": "Assigned an auditor",
    "assignment_removed": "Removed an auditor's assignment",
    "assignment_reassigned": "Gave an audit to another auditor",
    "assignment_viewed": "Read an auditor's assignment",
    "assignment_proposal_viewed": "Read a proposed automatic assignment of auditors",
    "audit_withdrawn": "Withdrew an audit (its answers are kept)",
    "audit_viewed": "Read an audit",
    "audit_saved": "Saved answers in an audit",
    "audit_submitted": "Submitted an audit",
    "audit_moderated": "Moderated an audit",
    "blind_grade_recorded": "Recorded a moderator's own grade before seeing the auditor's",
    "joint_discussion_saved": "Recorded a joint discussion",
    "concern_raised": "Raised an immediate safeguarding concern",
    "concern_viewed": "Read a safeguarding concern",
    "concern_acknowledged": "Acknowledged a safeguarding concern",
    "findings_viewed": "Read a round's findings",
    "finding_added": "Added a finding",
    "action_added": "Added an action",
    "action_updated": "Recorded progress on an action",
    "finding_edited": "Changed a finding",
    "finding_deleted": "Deleted a finding",
    "action_edited": "Changed an action",
    "action_deleted": "Deleted an action",
    "report_previewed": "Read the draft Board report",
    "report_draft_downloaded": "Downloaded a draft of the Board report",
    "report_published": "Published the Board report",
    "report_downloaded": "Downloaded a published Board report",
    "report_publish_checked": "Checked a round before publishing its Board report",
    "report_superseded": "Replaced a published Board report with a new version",
    "report_withdrawn": "Withdrew a published Board report",
    "board_statement_saved": "Wrote or changed the QA group's statement for the Board",
    "tool_version_loaded": "Loaded an audit tool version",
    "retention_applied": "Applied the retention policy",
    "db_role_granted": "Granted the database role its privileges",
    "tool_exported": "Downloaded an audit tool version as a spreadsheet or JSON file",
    "people_around_viewed": "Read the conversations with the people around a child",
    "case_conversation_saved": "Recorded a conversation with someone around a child",
    "case_conversation_removed": "Removed a conversation with someone around a child",
    "panel_record_saved": "Recorded the panel of a joint discussion",
    "feedback_letter_saved": "Wrote the feedback letter to a child's worker and manager",
    "feedback_letter_downloaded": "Downloaded the feedback letter to a child's worker and manager",
    "learning_item_added": "Added a partnership priority or review learning",
    "learning_item_changed": "Changed a partnership priority or review learning",
    "learning_item_retired": "Retired a partnership priority or review learning",
    "round_learning_linked": "Changed the priorities and review learning a round tests",
    "finding_learning_linked": "Changed the priorities and review learning a finding relates to",
    "reaudit_round_created": "Created a re-audit round from an action",
    "briefing_downloaded": "Downloaded a round's 7-minute briefing",
    # Issue 16, notify (sending messages): the admin's "Send again", each user's choice of messages.
    "notification_resent": "Sent a message again from the delivery log",
    "notification_preferences_changed": "Changed which messages they get",
    # Issue 16, sso (single sign-on and fresh sign-in).
    "sso_sign_in_refused": "Was refused sign-in through their organisation's account",
    "sso_user_created": "Was given an account at their first sign-in, waiting for approval",
    "sso_identity_bound": "Had their account linked to their organisation's account",
    "user_approved": "Approved a user created at their first sign-in",
    "sign_in_refused_password_off": "Was refused a password sign-in: their agency signs in with its own accounts",
    "reauthenticated": "Confirmed who they are before a sensitive change",
    # Issue 16, actions (action owners and the action plan's exports).
    "action_plan_exported": "Exported the action plan",
    # Issue 17, the year's audit schedule (auditapp/programme/schedule.py).
    "planned_round_added": "Added a planned round to the audit schedule",
    "planned_round_changed": "Changed a planned round of the audit schedule",
    "planned_round_dropped": "Dropped a planned round from the audit schedule",
    "planned_round_linked": "Linked a round to a planned round of the audit schedule",
    # Issue 17, single-agency audit returns (auditapp/programme/returns.py).
    "single_agency_return_recorded": "Recorded an agency's single-agency audit return",
    "single_agency_return_corrected": "Corrected an agency's single-agency audit return",
}

OBJECT_WORDS: dict[str, str] = {
    "user": "user",
    "round": "round",
    "agency": "agency",
    "locality": "locality",
    "team": "team",
    "case": "case",
    "agency_audit": "audit",
    "assignment": "assignment",
    "safeguarding_concern": "safeguarding concern",
    "finding": "finding",
    "action": "action",
    "published_report": "published report",
    "pending_upload": "uploaded files",
    "import_batch": "import",
    "case_population": "case population",
    "population_mapping": "mapping of workers and teams to localities",
    "joint_discussion": "joint discussion",
    "tool_version": "audit tool",
    "retention": "retention",
    "db_role": "database role",
    "request": "page",
    "learning_item": "partnership priority or review learning",
    "notification": "message",  # issue 16, notify
    "action_plan": "action plan",  # issue 16, actions
    "planned_round": "planned round",  # issue 17, schedule
    "single_agency_return": "single-agency audit return",  # issue 17, returns
}

#: The admin pages an object opens (the admin may open only these).
LINKS: dict[str, tuple[str, str]] = {
    "user": ("admin.user_edit", "user_id"),
    "agency": ("admin.agency_edit", "agency_id"),
    "locality": ("admin.locality_edit", "locality_id"),
    "team": ("admin.team_edit", "team_id"),
    "learning_item": ("admin.learning_edit", "learning_item_id"),
}


@dataclass(frozen=True)
class DescribedEvent:
    event: AuditEvent
    action: str
    actor: str
    object: str
    link: tuple[str, dict[str, int]] | None


def action_words(code: str) -> str:
    return ACTIONS.get(code) or code.replace("_", " ").capitalize()


def actor_words(event: AuditEvent, names: dict[int, str]) -> str:
    email, role = event.actor_email or "", event.actor_role or ""
    if email.startswith("cli:") or role == "cli":
        return f"The command line (operator {email.removeprefix('cli:') or 'unknown'})"
    if role == "test":
        return "A test operator"
    who = names.get(event.actor_id or 0) or email or "Someone not signed in"
    try:
        return f"{who}, {Role(role).label}"
    except ValueError:
        return who


def _names(model: Any, label: Callable[[Any], str], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {obj.id: label(obj) for obj in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _audit_label(audit: AgencyAudit) -> str:
    assignment = audit.assignment
    if assignment is None:
        return "an audit"
    agency = assignment.auditor.agency.name if assignment.auditor.agency else "an agency"
    return f"{agency}'s audit of case {assignment.sampled_case.case.case_ref}"


NAMERS: dict[str, tuple[Any, Callable[[Any], str]]] = {
    "user": (User, lambda u: f"{u.name} ({u.email})"),
    "round": (AuditRound, lambda r: r.name),
    "agency": (Agency, lambda a: a.name),
    "locality": (Locality, lambda a: a.name),
    "team": (Team, lambda t: t.name),
    "case": (Case, lambda c: c.case_ref),
    "agency_audit": (AgencyAudit, _audit_label),
    "safeguarding_concern": (SafeguardingConcern, lambda c: f"about case {c.sampled_case.case.case_ref}"),
    "learning_item": (LearningItem, lambda i: i.title),
    "planned_round": (PlannedRound, lambda p: f"{p.theme}, {p.month:%B %Y}"),  # issue 17, schedule
    "single_agency_return": (
        SingleAgencyReturn,
        lambda r: f"{r.agency.name}, {r.year}-{(r.year + 1) % 100:02d} Q{r.quarter}",
    ),
}


def describe(events: Iterable[AuditEvent]) -> list[DescribedEvent]:
    """Each event in words, with the admin page of its object when there is one."""
    events = list(events)
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in events:
        if e.actor_id:
            wanted["user"].add(e.actor_id)
        if e.object_type in NAMERS and (e.object_id or "").isdigit():
            wanted[e.object_type].add(int(e.object_id or 0))
    names = {kind: _names(*NAMERS[kind], ids=ids) for kind, ids in wanted.items()}
    users = {i: n.split(" (")[0] for i, n in names.get("user", {}).items()}
    described = []
    for e in events:
        kind, object_id = e.object_type or "", e.object_id or ""
        number = int(object_id) if object_id.isdigit() else None
        name = names.get(kind, {}).get(number or 0)
        if kind == "request":
            page = (e.details or {}).get("path", "")
            text = f"page {page}" if page else "a page"
        elif kind:
            text = f"{OBJECT_WORDS.get(kind, kind.replace('_', ' '))} {name or ''}".strip()
        else:
            text = ""
        link = (LINKS[kind][0], {LINKS[kind][1]: number}) if kind in LINKS and name and number else None
        described.append(DescribedEvent(e, action_words(e.action), actor_words(e, users), text, link))
    return described
