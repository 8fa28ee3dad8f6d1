"""Database models, one module per aggregate. Import them all here so Alembic sees every table."""

from auditapp.models.audit import AUDIT_STATES, AgencyAudit, JointDiscussion, SafeguardingConcern, ToolVersion
from auditapp.models.audit_event import AuditChainHead, AuditChainLink, AuditEvent
from auditapp.models.audit_round import MODES, STRATIFY_FIELDS, Assignment, AuditRound, RoundExclusion, SampledCase
from auditapp.models.board import BoardStatement
from auditapp.models.case import STATUS_LABELS, Case, ImportBatch, PendingFile, PendingUpload
from auditapp.models.finding import ACTION_STATUSES, Action, ActionUpdate, Finding, PublishedReport
from auditapp.models.job import Job
from auditapp.models.learning import LEARNING_KINDS, LearningItem, finding_learning_items, round_learning_items  # noqa: F401
from auditapp.models.notification import Notification, NotificationPreference
from auditapp.models.org import Agency, AgencyKind, Locality, Team
from auditapp.models.people_around import CaseConversation, ConversationKind, ConversationMethod  # noqa: F401
from auditapp.models.programme import PlannedRound, SingleAgencyReturn  # noqa: F401 - issue 17
from auditapp.models.sso import SsoAttempt  # noqa: F401 - issue 16: single sign-on
from auditapp.models.user import AuditorType, Role, SignInCounter, SiteSetting, User, UserSession

__all__ = [
    "AuditChainHead",
    "AuditChainLink",
    "BoardStatement",
    "Job",
    "Notification",
    "NotificationPreference",
    "ACTION_STATUSES",
    "Action",
    "ActionUpdate",
    "Finding",
    "PublishedReport",
    "AUDIT_STATES",
    "AgencyAudit",
    "JointDiscussion",
    "SafeguardingConcern",
    "ToolVersion",
    "MODES",
    "STRATIFY_FIELDS",
    "Assignment",
    "AuditRound",
    "RoundExclusion",
    "SampledCase",
    "STATUS_LABELS",
    "Agency",
    "AgencyKind",
    "AuditEvent",
    "Case",
    "ImportBatch",
    "PendingFile",
    "PendingUpload",
    "AuditorType",
    "Locality",
    "Role",
    "SignInCounter",
    "SiteSetting",
    "Team",
    "User",
    "UserSession",
]
