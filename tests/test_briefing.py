"""The 7-minute briefing (issue 15): one A4 page for practitioners, with no child's data at all."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from auditapp.domain import learning
from auditapp.domain.briefing import build_briefing, shorten
from auditapp.domain.findings import add_action, add_finding
from auditapp.extensions import db
from auditapp.models import AuditEvent
from tests.conftest import post_form, soup
from tests.documents import download
from tests.factories import make_round

LONG = (
    "Across the sample, workers described the home in detail but did not say what the child's day was like, "
    "what the child had said, or what needed to change for the child, so that plans were about the house "
    "rather than the child and reviews repeated the same actions month after month without anyone noticing. "
)


def _text(pdf: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _busy_round(org):
    """A round with seven long findings, each naming a sampled case and its worker, and many actions."""
    audit_round = make_round(theme="Neglect and the child's lived experience")
    ref = audit_round.sampled[0].case.case_ref
    worker = audit_round.sampled[0].case.worker
    items = [learning.save_item(None, kind="priority", title="Neglect: recognising cumulative harm").id]
    items += [
        learning.save_item(None, kind="priority", title=f"Priority {n}: " + "seeing the whole family " * 7).id
        for n in range(4)
    ]
    items += [
        learning.save_item(
            None,
            kind="review_learning",
            title=f"Review {n}: " + "the adults around the baby " * 6,
            source="Child Safeguarding Practice Review Panel national review of Arthur and Star (2022) " * 3,
        ).id
        for n in range(5)
    ]
    learning.link_round(audit_round, items)
    for number in range(1, 8):
        finding = add_finding(
            audit_round,
            title=f"Finding {number}: plans for neglected children had no timescales or named owners, so drift "
            f"went unnoticed for months in case {ref}",
            so_what=f"For {ref}, {worker} saw the home. " + LONG * 3,
            evidence=LONG * 5,
            recommendation=f"{worker} and every worker name who does what by when. " + LONG,
        )
        for index in range(number % 3):
            add_action(
                finding,
                description=f"Action {number}.{index}: {worker} reviews {ref}; " + LONG,
                agency_id=org.social.id,
                owner_name="Olive Owner",
                due_date=date(2027, 3, number),
                success_measure="Plans SMART",
                reaudit_date=date(2027, 9, 30),
            )
    return audit_round


def test_the_briefing_is_one_page_with_the_findings_and_actions_and_no_child_data(app, actor, org, users):
    from auditapp.reports.documents import render_briefing_pdf

    audit_round = _busy_round(org)
    refs = {s.case.case_ref for s in audit_round.sampled}
    workers = {s.case.worker for s in audit_round.sampled if s.case.worker}
    briefing = build_briefing(audit_round)
    with app.app_context():
        pdf, pages = render_briefing_pdf(audit_round, partnership="Testshire Safeguarding Children Partnership")
    count, text = _text(pdf)
    assert pages == count == 1
    assert text.startswith("7-minute briefing: Neglect and the child's lived experience")
    for heading in (
        "1. Background",
        "2. What we did",
        "3. What we found",
        "4. What it means for children",
        "5. What will change",
        "6. Questions to reflect on",
        "7. Further reading",
    ):
        assert heading in text
    assert "Finding 1: plans for neglected children had no timescales or named owners" in text
    assert "Action 1.0:" in text and "Test Social Care" in text and "Neglect: recognising cumulative harm" in text
    assert "Review 0: the adults around the baby" in text
    assert briefing.more  # more findings and actions than fit: said, not overflowed
    leaked = [name for name in refs | workers | {"Olive Owner"} if name in text]
    assert leaked == []
    assert "…" in text  # long texts are cut, not overflowed


def test_the_briefing_route_is_for_the_coordinator_and_the_board_once_published_and_is_audited(
    client_for, actor, org, users
):
    from auditapp.domain.publishing import publish
    from auditapp.models.types import utcnow

    audit_round = make_round()
    add_finding(audit_round, title="Children's words were in their plans", so_what="Plans fitted their lives")
    url = f"/rounds/{audit_round.id}/briefing.pdf"
    board = client_for("board_member")
    assert post_form(board, url, token_from="/home").status_code == 404  # not published: not revealed
    qa = client_for("qa_coordinator")
    page, response = download(qa, url, on=f"/rounds/{audit_round.id}/findings")
    assert page.select_one("#job-title").get_text() == f"7-minute briefing: {audit_round.name}"
    assert (
        page.select_one("a#job-file").get_text()
        == f"Download 7-minute-briefing-round-{audit_round.id}.pdf (PDF, 1 page)"
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert _text(response.data)[1].count("Children's words were in their plans") == 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "briefing_downloaded")).all()
    assert [(e.object_type, e.object_id) for e in events] == [("round", str(audit_round.id))]
    publish(audit_round, pdf=b"%PDF-1.7 test", pages=1, as_of=utcnow())
    buttons = [form["action"] for form in soup(board.get("/reports")).select("form")]
    assert url in buttons  # the published reports page offers it beside the report
    assert download(board, url, on="/reports")[1].mimetype == "application/pdf"
    assert post_form(client_for("auditor"), url, token_from="/home").status_code == 403


def test_shorten_cuts_at_a_word_with_an_ellipsis():
    assert shorten("Plans   had\nno dates", 50) == "Plans had no dates"
    assert shorten("Plans had no dates or owners at all", 20) == "Plans had no dates…"
    assert len(shorten("x" * 300, 100)) == 100
