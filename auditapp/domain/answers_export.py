"""Exporting a round's answers in long form: one row per answer, joint discussion and moderation included.

Each row carries its audit's state and its submitted and moderated dates (ISO 8601, UTC), so anyone can recompute
the report of an unfinished round, or as it stood at a date: count the rows whose ``audit_state`` is submitted or
moderated and whose ``submitted_at`` is on or before it. Joint discussion rows carry no state; their
``submitted_at`` is when the discussion was completed (empty for a draft). Withdrawn audits count nowhere and are
left out. ``unit`` is the question's unit (``agency_audit`` or ``child``) and ``lead`` marks the lead agency's audit
("yes" or "no"), which is all the report's child-level rule needs (auditapp/reports/child_results.py): for a child
question, the lead audit's yes or no, else the answer every agency gave, else "agencies disagreed".
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from auditapp.domain.audits import tool_for, tool_for_audit
from auditapp.domain.moderation import joint_for
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from auditapp.importers.export import neutralise
from auditapp.models import AgencyAudit, AuditRound
from auditapp.tools import evidence_key
from auditapp.vocabulary import AuditorType, AuditState

COLUMNS = (
    "round",
    "case_ref",
    "agency",
    "auditor",
    "lead",
    "audit_state",
    "submitted_at",
    "moderated_at",
    "source",
    "question_id",
    "unit",
    "answer",
    "evidence",
)
FORMATS = ("csv", "xlsx", "json")


def export_rows(audit_round: AuditRound) -> list[dict[str, Any]]:
    """Every answer of the round's current sample, in long form."""
    tool = tool_for(audit_round)
    section_of = {q.id: q.section_id for q in tool.questions}
    unit_of = {q.id: q.unit for q in tool.questions}
    rows: list[dict[str, Any]] = []
    for sampled in (s for s in audit_round.sampled if not s.replaced):
        ref = sampled.case.case_ref
        for assignment in sampled.assignments:
            audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == assignment.id))
            if audit is None or audit.state == AuditState.WITHDRAWN:  # withdrawn: kept for the record, not data
                continue
            base = {
                "round": audit_round.name,
                "case_ref": ref,
                "agency": assignment.agency_name or AuditorType.INDEPENDENT,
                "auditor": assignment.auditor.name,
                "lead": "yes" if assignment.lead else "no",
                "audit_state": str(audit.state),
                "submitted_at": _iso(audit.submitted_at),
                "moderated_at": _iso(audit.moderated_at),
            }
            for question in tool_for_audit(audit).questions:  # only those its agency was asked
                if question.id in audit.answers:
                    evidence = audit.answers.get(evidence_key(section_of[question.id]), "")
                    rows.append(
                        {
                            **base,
                            "source": "agency_audit",
                            "question_id": question.id,
                            "unit": unit_of[question.id],
                            "answer": audit.answers[question.id],
                            "evidence": evidence,
                        }
                    )
            for key in ("moderation_decision", "moderated_grade", "moderation_comment"):
                value = getattr(audit, key)
                if value:
                    rows.append(
                        {
                            **base,
                            "source": "moderation",
                            "question_id": key,
                            "unit": "agency_audit",
                            "answer": value,
                            "evidence": "",
                        }
                    )
        joint = joint_for(sampled)
        if joint is not None:
            lead = next((a.auditor.name for a in sampled.assignments if a.lead), "")
            for key, value in joint.answers.items():
                if not key.startswith("evidence__"):
                    rows.append(
                        {
                            "round": audit_round.name,
                            "case_ref": ref,
                            "agency": "joint discussion",
                            "auditor": lead,
                            "lead": "",
                            "audit_state": "",
                            "submitted_at": _iso(joint.completed_at),
                            "moderated_at": "",
                            "source": "joint_discussion",
                            "question_id": key,
                            "unit": "child",
                            "answer": value,
                            "evidence": joint.answers.get(evidence_key(key.removeprefix("jd_")), ""),
                        }
                    )
    return rows


def _iso(moment: datetime | None) -> str:
    """A moment as ISO 8601 in UTC to the second (2026-01-31T09:30:00Z), or "" when there is none."""
    if moment is None:
        return ""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def export_round(audit_round: AuditRound, *, fmt: str) -> bytes:
    """The round's answers as CSV, XLSX or JSON bytes; text that a spreadsheet could run is neutralised. Audited."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    rows = export_rows(audit_round)
    record_event(
        "round_exported", object_type="round", object_id=audit_round.id, details={"format": fmt, "rows": len(rows)}
    )
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1).encode()
    safe = [[neutralise(str(row[c])) for c in COLUMNS] for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(safe)
        return buffer.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("answers")
    sheet.append(list(COLUMNS))
    for values in safe:
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
