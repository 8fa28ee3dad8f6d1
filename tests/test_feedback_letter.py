"""The feedback letter to the allocated worker and team manager (issue 15): written once the joint discussion is
complete, a tagged PDF carrying this one child's case reference and nothing about any other child."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from auditapp.domain import audits as audit_domain
from auditapp.domain import feedback_letter as letters
from auditapp.domain import people_around as people
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.errors import DomainError
from auditapp.domain.moderation import joint_tool
from auditapp.extensions import db
from auditapp.models import AuditEvent, Job
from tests.conftest import post_form, soup
from tests.documents import download
from tests.factories import complete_answers, make_round

TODAY = date(2026, 12, 2)
STRENGTHS = "You saw the child alone at every visit and wrote down what she said in her own words."
LEARNING = "Ask the school for attendance before each core group, not after."


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def two_cases(org, users):
    """A two-agency round with two sampled cases; the first one's joint discussion complete, with its panel and the
    worker and manager conversations recorded; the second one's worker recorded too (their name must not leak)."""
    audit_round = make_round(
        mode="multi-agency", agencies=[org.social.name, org.health.name], lead_agency=org.social.name, cases=6, size=2
    )
    first, second = audit_round.sampled[0], audit_round.sampled[1]
    for sampled in (first, second):
        for assignment in sampled.assignments:
            with acting_as(ActorContext(user_id=assignment.auditor_id, email="x", role="auditor")):
                audit = audit_domain.open_audit(assignment)
                tool = audit_domain.tool_for(sampled.round)
                audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), overall_grade="good")
                db.session.flush()
                assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    with acting_as(ActorContext(user_id=users["auditor"].id, email="a", role="auditor")):
        worker = people.ConversationWords(
            name="Priya Shah", role="Social worker", held_on=TODAY, method="phone", said="x"
        )
        manager = people.ConversationWords(
            name="Tom Reid", role="Team manager", held_on=TODAY, method="video", said="y"
        )
        people.save_conversation(first, kind="worker", words=worker, today=TODAY)
        people.save_conversation(first, kind="manager", words=manager, today=TODAY)
        other = people.ConversationWords(name="Other Worker", held_on=TODAY, method="phone", said="z")
        people.save_conversation(second, kind="worker", words=other, today=TODAY)
        panel = people.PanelWords(
            day="20",
            month="11",
            year="2026",
            attendees=f"Asha Bell, Practice lead, {org.social.name}\nKen Obi, Named nurse, {org.health.name}",
        )
        answers = complete_answers(joint_tool(), jd_overall_grade="requires_improvement")
        assert people.record_panel(first, answers=answers, panel=panel, complete=True, today=TODAY) == []
    return first, second


def test_the_letter_is_written_only_once_the_joint_discussion_is_complete(client_for, two_cases):
    _, second = two_cases
    page = soup(client_for("auditor").get(f"/audits/cases/{second.id}/feedback-letter"))
    assert "once the joint discussion is complete" in page.select_one(".govuk-inset-text").get_text()
    assert page.select_one("textarea[name=strengths]") is None
    with pytest.raises(DomainError):
        letters.save_letter(second, letters.LetterWords(worker_name="A", strengths="S", learning="L"))
    pdf = post_form(
        client_for("auditor"),
        f"/audits/cases/{second.id}/feedback-letter.pdf",
        token_from=f"/audits/cases/{second.id}/feedback-letter",
    )
    assert pdf.status_code == 302 and pdf.headers["Location"].endswith(f"/cases/{second.id}/feedback-letter")
    assert (
        db.session.scalars(select(Job).where(Job.kind == "document")).all() == []
    )  # nothing is made before the letter is written


def test_the_letter_page_names_the_recipients_from_the_conversations_and_needs_strengths_and_learning(
    client_for, two_cases
):
    first, _ = two_cases
    qa = client_for("qa_coordinator")
    url = f"/audits/cases/{first.id}/feedback-letter"
    page = soup(qa.get(url))
    assert page.select_one("input[name=worker_name]")["value"] == "Priya Shah"
    assert page.select_one("input[name=manager_name]")["value"] == "Tom Reid"
    missing = post_form(qa, url, {"worker_name": "Priya Shah", "manager_name": "Tom Reid", "strengths": STRENGTHS})
    assert missing.status_code == 400
    assert "Enter the learning from the audit" in soup(missing).select_one(".govuk-error-summary").get_text()
    assert soup(missing).select_one("textarea[name=strengths]").get_text().strip() == STRENGTHS
    assert events("feedback_letter_saved") == []


def test_the_letter_pdf_carries_this_childs_case_only_and_is_tagged(client_for, two_cases):
    pypdf = pytest.importorskip("pypdf")
    first, second = two_cases
    lead_name = next(a.auditor.name for a in first.assignments if a.lead)
    own_ref, other_refs = first.case.case_ref, [s.case.case_ref for s in first.round.sampled if s.id != first.id]
    assert other_refs
    lead = client_for("auditor")
    url = f"/audits/cases/{first.id}/feedback-letter"
    saved = post_form(
        lead,
        url,
        {"worker_name": "Priya Shah", "manager_name": "Tom Reid", "strengths": STRENGTHS, "learning": LEARNING},
    )
    assert saved.status_code == 302 and events("feedback_letter_saved")[-1].details["case_ref"] == first.case.case_ref
    assert soup(lead.get(url)).select_one("button#letter-pdf")["formaction"] == f"{url}.pdf"
    page, response = download(lead, f"{url}.pdf", on=url)
    assert page.select_one("a#job-file").get_text() == f"Download feedback-letter-case-{first.id}.pdf (PDF, 1 page)"
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert own_ref in text and STRENGTHS in text and LEARNING in text
    assert "Dear Priya Shah and Tom Reid" in text and "Requires improvement" in text and "20 November 2026" in text
    assert lead_name in text  # signed by the lead auditor
    assert [ref for ref in other_refs if ref in text] == [] and "Other Worker" not in text
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB" and reader.metadata.title == f"Feedback letter: case {own_ref}"
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()
    assert events("feedback_letter_downloaded")[-1].details == {"case_ref": own_ref, "channel": "web"}
