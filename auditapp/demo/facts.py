"""The demo partnership's fixed facts (its agencies, people, password and round names) and the summary of a load.

Shared by ``load`` (organisation, people, population) and ``audits`` (the rounds' audits), which both import
from here rather than from each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from auditapp.models import AgencyKind, AuditorType, Role
from auditapp.vocabulary import ActionStatus, Rag

DEMO_PASSWORD = "demo-only-harbour-lantern-57"  # noqa: S105 - printed on screen; demo data only
DOMAIN = "demo.auditapp.invalid"

# The partnership's agencies. The order matters: the first two (social care, and the community health trust whose
# health visitors and school nurses see children every week) are the neglect rounds' agencies, and the e2e journey
# relies on it.
AGENCIES = [
    ("Northshire Children's Social Care", AgencyKind.SOCIAL_CARE),
    ("Northshire Community Health NHS Trust", AgencyKind.HEALTH),  # health visiting, school nursing
    ("Northshire Police", AgencyKind.POLICE),
    ("Northshire Schools and Early Years", AgencyKind.EDUCATION),
    ("Northshire Integrated Care Board and GP practices", AgencyKind.HEALTH),
    ("Northshire Hospitals NHS Foundation Trust", AgencyKind.HEALTH),  # the acute trust: maternity, A&E, paediatrics
    ("Probation Service, Northshire", AgencyKind.PROBATION),
    ("Northshire Homes", AgencyKind.HOUSING),
]
LOCALITIES = ["North", "South", "East", "West"]
# (team name pattern, agency index): one team of each per locality. The first four are the social care teams that
# hold the population's cases (demo/cases.py); new patterns go at the end, as USERS refers to teams by index.
TEAM_PATTERNS = [
    ("{loc} Assessment Team", 0),
    ("{loc} Child Protection Team", 0),
    ("{loc} Children in Care Team", 0),
    ("{loc} Health Visiting Team", 1),
    ("{loc} Public Protection Unit", 2),
    ("{loc} Schools Inclusion Team", 3),
    ("{loc} Early Help Team", 0),
    ("{loc} School Nursing Team", 1),
    ("{loc} Primary Care Network", 4),
    ("{loc} Midwifery Team", 5),
    ("{loc} Probation Team", 6),
    ("{loc} Tenancy Services", 7),
]

# (email local part, name, role, auditor type, agency index, team (locality, pattern index))
USERS = [
    ("admin", "Alex Adams", Role.ADMIN, None, None, None),
    ("coordinator", "Chris Coleman", Role.QA_COORDINATOR, None, None, None),
    ("board", "Bea Barker", Role.BOARD_MEMBER, None, None, None),
    ("independent", "Ines Moreau", Role.AUDITOR, AuditorType.INDEPENDENT, 0, None),
    ("independent2", "Ivan Petrov", Role.AUDITOR, AuditorType.INDEPENDENT, 0, None),
    ("peer.socialcare", "Priya Patel", Role.AUDITOR, AuditorType.PEER, 0, ("North", 1)),
    ("peer.socialcare2", "Sam Okafor", Role.AUDITOR, AuditorType.PEER, 0, ("South", 0)),
    ("peer.health", "Hana Kowalski", Role.AUDITOR, AuditorType.PEER, 1, ("East", 3)),
    ("peer.health2", "Harry Evans", Role.AUDITOR, AuditorType.PEER, 1, ("West", 3)),
    ("peer.police", "Paul Nguyen", Role.AUDITOR, AuditorType.PEER, 2, ("South", 4)),
    ("peer.education", "Eve Campbell", Role.AUDITOR, AuditorType.PEER, 3, ("West", 5)),
    ("peer.police2", "Pat Doherty", Role.AUDITOR, AuditorType.PEER, 2, ("North", 4)),
    ("peer.education2", "Elif Demir", Role.AUDITOR, AuditorType.PEER, 3, ("East", 5)),
    ("peer.gp", "Dr Gita Rao", Role.AUDITOR, AuditorType.PEER, 4, ("North", 8)),
    ("peer.hospital", "Helen Marsh", Role.AUDITOR, AuditorType.PEER, 5, ("South", 9)),
    ("peer.probation", "Owen Price", Role.AUDITOR, AuditorType.PEER, 6, ("East", 10)),
    ("peer.housing", "Nadia Haddou", Role.AUDITOR, AuditorType.PEER, 7, ("West", 11)),
    # Issue 16: the people who own the action plan's actions and record their progress.
    ("owner.qa", "Olivia Grant", Role.ACTION_OWNER, None, 0, None),
    ("owner.cp", "Dana Whitfield", Role.ACTION_OWNER, None, 0, None),
    ("owner.health", "Marcus Bell", Role.ACTION_OWNER, None, 1, None),
    ("owner.inclusion", "Ruth Okoye", Role.ACTION_OWNER, None, 3, None),
    ("owner.police", "Kiran Shah", Role.ACTION_OWNER, None, 2, None),
]

# Issue 16: each agency's named safeguarding lead (agency index -> email local part), told at once of an immediate
# concern about one of its files: existing demo people in a fitting post (social care's is the QA coordinator).
SAFEGUARDING_LEADS = {
    0: "coordinator",
    1: "owner.health",
    2: "owner.police",
    3: "owner.inclusion",
    4: "peer.gp",
    5: "peer.hospital",
    6: "peer.probation",
    7: "peer.housing",
}

# Issue 16: the action plan's owners by the post named in the demo's actions (email local part). The posts left out
# (the Principal Social Worker, the Service Manager for Assessment) have no account: those actions keep the name.
ACTION_OWNERS = {
    "Head of Quality Assurance": "owner.qa",
    "Service Manager, Child Protection": "owner.cp",
    "Named Nurse for Safeguarding": "owner.health",
    "Head of Inclusion": "owner.inclusion",
    "Detective Inspector, Public Protection": "owner.police",
}
# The evidence the owners give with some progress notes (by the note), and the RAG each status is given (an
# overdue action's update is red: demo/earlier.py demo_progress).
ACTION_EVIDENCE = {
    "New template in use in all four localities.": "The template on the procedures site, version 4 (January 2026)",
    "Dip sample: summaries at 9 of 10 core groups.": "The Named Nurse's dip-sample report to the QA group, March",
    "Awaiting sign-off by two academy trusts; the others share attendance already.": "The signed agreements, "
    "held by the Schools Inclusion Team",
    "Pilot running in the South since May.": "The pilot's request log, kept by the Public Protection Unit",
    "Rota drafted; cover for school holidays still to agree.": "The draft rota on the health safeguarding team's "
    "shared drive",
}
ACTION_RAG: dict[str, Rag] = {
    ActionStatus.DONE: Rag.GREEN,
    ActionStatus.IN_PROGRESS: Rag.AMBER,
    ActionStatus.OPEN: Rag.GREEN,
}


@dataclass
class DemoSummary:
    created: int = 0
    existing: int = 0
    sign_ins: list[tuple[str, str]] = field(default_factory=list)


DEMO_ROUND = "Child protection plans, autumn 2026"

# The demo's story, in order (the later rounds carry the fixed dates of DEMO_DRAWN_AT; the earlier round, played
# out on a demo clock by demo/earlier.py, carries its own dates):
# - EARLIER_ROUND: drawn 15 September 2025, audited, moderated (openly: blind moderation came later) and published
#   in November 2025; most of its actions were done by the spring, one is still in progress and one is overdue.
# - "Neglect, spring 2026" (demo/audits.py COMPLETED_ROUND): the same theme and tool, moderated blind, published.
# - DEMO_ROUND: the round in progress.
# Drawn more than 12 months before the later rounds' draws (DEMO_DRAWN_AT), the earlier round's cases are not left
# out of them (their samples are as they were before it was added).
EARLIER_ROUND = "Neglect, autumn 2025"

# The demo's witnessed draws (hashrank-v2): the Board's independent scrutineer witnesses them. A real draw's server
# value comes from ``secrets`` at the moment of the draw; the demo fixes it (``demo_server_random``) only so that
# the demo tells the same story every time it is loaded. Its certificates verify like any other.
DEMO_WITNESS = ("Dr Rana Haddad", "Independent Scrutineer, Northshire Safeguarding Children Partnership")
# When the later rounds were created and drawn. Fixed, like the earlier round's dates, so that what the demo says does
# not drift with the day it is loaded: computed answers (a plan of two years or more, an assessment overdue) are worked
# out to the date of the draw, and each draw leaves out the cases audited in the 12 months before it.
DEMO_DRAWN_AT = {
    "Neglect, spring 2026": datetime(2026, 10, 5, 10, 0, tzinfo=UTC),
    DEMO_ROUND: datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
}

DEMO_DRAWS = {  # round name -> (the witness's value, the demo's fixed server value)
    "Neglect, spring 2026": ("kingfisher 4127", "5e1f0c3a9d7b2e48a6c1f09b3d5e7a2c4b6d8f0e1a3c5e7f9b1d3f5a7c9e1b3d"),
    DEMO_ROUND: ("harbour 8853", "a3c9e1b7d5f3a1c8e6b4d2f0a9c7e5b3d1f8a6c4e2b0d9f7a5c3e1b8d6f4a2c0"),
}
