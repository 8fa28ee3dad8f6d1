"""A small Ofsted Annex A workbook for the browser journey, built the way tests/importers/generators.py builds
``annex_a_workbook``: a referral list, an assessment list and a child protection list, with the authority-style
sheet names and headings the importer copes with.

Every child was referred in 2020, before anything in the demo population, so a round limited to cases referred
on or before 31 December 2020 draws only from these children. Their team is a demo team (North Child Protection
Team), so the import links them to the demo's locality and agency.
"""

from __future__ import annotations

from datetime import date

from tests.importers.generators import COMMON_HEAD, workbook_bytes

REFS = ["E2E001", "E2E002", "E2E003", "E2E004"]
TEAM = "North Child Protection Team"


def annex_a_for_journey() -> bytes:
    """Four children on child protection plans, each referred, assessed and on a plan since 2020."""
    referrals, assessments, plans = [], [], []
    for n, ref in enumerate(REFS):
        dob, referred = date(2012 + n, 3, 1 + n), date(2020, 2, 3 + n)
        head = [ref, ("a) Male", "b) Female")[n % 2], "a) WBRI", dob, 8]
        referrals.append(head + [referred, "b) No", TEAM, "Dana Whitfield"])
        assessments.append(head + [referred, date(2020, 3, 20 + n), TEAM, "Dana Whitfield"])
        plans.append(
            head + [date(2020, 5, 4 + n), "Neglect", date(2024, 1, 10), "a) Yes", None, 0, TEAM, "Dana Whitfield"]
        )
    return workbook_bytes(
        {
            "List 3 Referrals": [
                COMMON_HEAD + ["Date of Referral", "Referral NFA?", "Allocated Team", "Allocated Worker"],
                *referrals,
            ],
            "List 4": [
                COMMON_HEAD
                + [
                    "Continuous Assessment Start Date",
                    "Continuous Assessment Date of Authorisation",
                    "Allocated Team",
                    "Allocated Worker",
                ],
                *assessments,
            ],
            "List 7": [
                COMMON_HEAD
                + [
                    "Child Protection Plan Start Date",
                    "Latest Category of Abuse",
                    "Date of the Last Statutory Visit",
                    "Was the Child Seen Alone?",
                    "Child Protection Plan End Date",
                    "Number of Previous Child Protection Plans",
                    "Allocated Team",
                    "Allocated Worker",
                ],
                *plans,
            ],
        }
    )
