"""Generated inputs for the import benchmark: a generic CSV and a CIN census XML of any size.

Deterministic for a given seed, and built without the importers so the benchmark measures them fairly.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from datetime import date, timedelta

from auditapp.importers.records import CASE_FIELDS, STATUSES

GENERIC_ROWS = 100_000
CIN_CHILDREN = 100_000
_BASE = date(2023, 4, 1)


def _day(rng: random.Random, span: int = 700) -> date:
    return _BASE + timedelta(days=rng.randrange(span))


def generic_rows(count: int = GENERIC_ROWS, *, seed: int = 3) -> Iterator[list[str]]:
    """Rows of the generic format (without header) with realistic spreads of statuses and dates."""
    rng = random.Random(seed)
    for index in range(count):
        status = STATUSES[index % len(STATUSES)]
        referral = _day(rng)
        start = referral + timedelta(days=rng.randrange(1, 10))
        plan = start + timedelta(days=rng.randrange(10, 40)) if status == "cp" else None
        yield [
            f"C{index:07d}", status, "Children's social care", f"Locality {index % 5 + 1}", f"Team {index % 23}",
            f"Worker {index % 400}", (referral - timedelta(days=rng.randrange(365 * 17))).strftime("%d/%m/%Y"),
            ("male", "female", "unknown")[index % 3], referral.isoformat(), start.isoformat(),
            (start + timedelta(days=rng.randrange(10, 70))).isoformat(), "", "",
            plan.isoformat() if plan else "", "", "", "", (referral + timedelta(days=60)).strftime("%d/%m/%Y"),
            ("yes", "no", "")[index % 3], str(index % 3), "neglect" if plan else "",
        ]  # fmt: skip


def generic_csv(count: int = GENERIC_ROWS, *, seed: int = 3) -> bytes:
    """The generic CSV file of `count` cases, UTF-8, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CASE_FIELDS)
    writer.writerows(generic_rows(count, seed=seed))
    return buffer.getvalue().encode()


def _cin_child(rng: random.Random, index: int) -> str:
    referral = _day(rng)
    assessment = referral + timedelta(days=rng.randrange(1, 5))
    closure = referral + timedelta(days=rng.randrange(30, 300)) if index % 3 == 0 else None
    parts = [
        f"<Child><ChildIdentifiers><LAchildID>L{index:07d}</LAchildID><UPN>A{index:012d}</UPN>"
        f"<PersonBirthDate>{referral - timedelta(days=rng.randrange(365 * 17))}</PersonBirthDate>"
        f"<GenderCurrent>{1 + index % 2}</GenderCurrent></ChildIdentifiers>"
        "<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>"
        f"<CINdetails><CINreferralDate>{referral}</CINreferralDate><ReferralSource>1A</ReferralSource>"
        "<PrimaryNeedCode>N1</PrimaryNeedCode>"
    ]
    if closure:
        parts.append(f"<CINclosureDate>{closure}</CINclosureDate><ReasonForClosure>RC1</ReasonForClosure>")
    parts.append(
        f"<Assessments><AssessmentActualStartDate>{assessment}</AssessmentActualStartDate>"
        f"<AssessmentAuthorisationDate>{assessment + timedelta(days=30)}</AssessmentAuthorisationDate>"
        "<FactorsIdentifiedAtAssessment><AssessmentFactors>1C</AssessmentFactors></FactorsIdentifiedAtAssessment>"
        "</Assessments><ReferralNFA>false</ReferralNFA>"
    )
    if index % 4 == 1:
        parts.append(
            f"<ChildProtectionPlans><CPPstartDate>{assessment + timedelta(days=20)}</CPPstartDate>"
            "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse><LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse>"
            "<NumberOfPreviousCPP>0</NumberOfPreviousCPP></ChildProtectionPlans>"
        )
    parts.append("</CINdetails></Child>")
    return "".join(parts)


def cin_census_xml(count: int = CIN_CHILDREN, *, seed: int = 3) -> bytes:
    """A CIN census message with `count` children, each with one episode and an assessment."""
    rng = random.Random(seed)
    head = (
        '<?xml version="1.0" encoding="utf-8"?><Message><Header><CollectionDetails><Collection>CIN</Collection>'
        "<Year>2025</Year><ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L"
        "</SourceLevel><LEA>201</LEA></Source></Header><Children>"
    )
    body = "".join(_cin_child(rng, index) for index in range(count))
    return (head + body + "</Children></Message>").encode()
