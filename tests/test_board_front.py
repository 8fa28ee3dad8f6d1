"""The report written for the Board (issue 14): the QA group's statement, and the front section a Board member reads
first: the assurance level and statement, what is working and what worries us (with the questions that back it),
what children and families told us, what happened to the last round's actions, the asks of the Board, and the
immediate safeguarding concerns raised and how each was handled, without identifying the child."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from auditapp.domain import audits as audit_domain
from auditapp.domain import publishing
from auditapp.domain.board_statement import BoardWords, ask_lines, save_statement, statement_for
from auditapp.domain.concerns import raise_concern
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.errors import DomainError
from auditapp.domain.findings import add_action, add_finding, add_update
from auditapp.domain.moderation import moderate
from auditapp.domain.rounds import cancel_round
from auditapp.extensions import db
from auditapp.models import AuditEvent, BoardStatement, JointDiscussion, PublishedReport
from auditapp.reports.front import evidence
from auditapp.reports.render import SECTIONS, render_data_html
from auditapp.reports.report_data import build_report
from auditapp.reports.report_types import QuestionResult
from auditapp.stats import clustered_proportion
from auditapp.vocabulary import ActionStatus, AssuranceLevel
from tests.conftest import csrf_token, post_form, soup
from tests.factories import complete_answers, make_round

AS_OF = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)
WORDS = BoardWords(
    assurance_level=AssuranceLevel.LIMITED,
    statement="We give limited assurance.\nPlans drift.",
    working="Children are seen.",
    worried="History is not used.",
    voices="Children said they wanted to be asked.",
    asks="1. Fund family conversations\n\n- Ask health to join strategy discussions\n",
)
FORM = {
    "assurance_level": "reasonable",
    "statement": "Mostly sound work.",
    "working": "Visits on time.",
    "worried": "Plans drift.",
    "voices": "Families want one worker.",
    "asks": "Ask one\nAsk two",
}
FRONT = ["assurance", "working", "voices", "last-actions", "asks", "concerns"]  # the front section's parts, in order
SECRET = "Bruises seen on the child's arm at the visit"  # a concern's description: never in the report


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


def _submit(assignment, *, moderated: bool = False, **answers: str):
    with acting_as(ActorContext(user_id=assignment.auditor_id, email="x", role="auditor")):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), overall_grade="good", **answers)
        db.session.flush()
        assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    if moderated:
        moderate(audit, decision="agreed")
    return audit


@pytest.fixture
def rounds(actor, org, users):
    """This round (drawn 1 May 2025, two concerns, a joint discussion), the round before it with four actions, a
    cancelled round and a later round with actions in between (which the front section must pass over)."""
    earlier = make_round("Winter round", cases=8, size=4, exclude_audited_within_months=0)
    earlier.drawn_at = _at(2025, 1, 10)
    finding = add_finding(earlier, title="Chronologies", so_what="History lost")
    actions = {}
    for key, due in (("done", date(2025, 5, 1)), ("late", date(2025, 6, 1)), ("open", date(2025, 5, 1))):
        actions[key] = add_action(
            finding,
            description=f"Action {key} for {earlier.sampled[0].case.case_ref}",
            agency_id=org.social.id,
            owner_name="Owner",
            due_date=due,
        )
    actions["future"] = add_action(
        finding, description="Action future", agency_id=org.health.id, owner_name="Owner", due_date=date(2030, 1, 1)
    )
    for key, status, when in (
        ("done", ActionStatus.DONE, _at(2025, 3, 1)),
        ("late", ActionStatus.IN_PROGRESS, _at(2025, 4, 1)),
        ("late", ActionStatus.DONE, _at(2025, 7, 15)),  # after the report's date: not counted as done
    ):
        update = add_update(actions[key], note="Progress", status=status)
        update.created_at = when
    cancelled = make_round("Cancelled round", cases=8, size=4, exclude_audited_within_months=0)
    cancelled.drawn_at = _at(2025, 3, 1)
    add_action(
        add_finding(cancelled, title="F", so_what="S"),
        description="Cancelled action",
        agency_id=org.social.id,
        owner_name="O",
        due_date=date(2025, 1, 1),
    )
    cancel_round(cancelled, reason="Wrong population", cancelled_by_id=None)
    later = make_round("Later round", cases=8, size=4, exclude_audited_within_months=0)
    later.drawn_at = _at(2025, 9, 1)
    add_action(
        add_finding(later, title="F", so_what="S"),
        description="Later action",
        agency_id=org.social.id,
        owner_name="O",
        due_date=date(2026, 1, 1),
    )

    this = make_round("Spring round", cases=8, size=4, exclude_audited_within_months=0)
    this.drawn_at = _at(2025, 5, 1)
    for i, sampled in enumerate(this.sampled):
        for assignment in sampled.assignments:
            _submit(assignment, child_seen_alone="yes" if i else "no")
    refs = [s.case.case_ref for s in this.sampled]
    db.session.add(
        JointDiscussion(
            sampled_case_id=this.sampled[1].id,
            completed_at=_at(2025, 6, 1),
            answers={"jd_impact_on_child": f"{refs[1]} is now seen weekly by Wendy Worker."},
        )
    )
    auditor = this.sampled[0].assignments[0].auditor_id
    with acting_as(ActorContext(user_id=auditor, email="x", role="auditor")):
        first = raise_concern(this.sampled[0], description=SECRET)
        second = raise_concern(this.sampled[2], description="Parent drunk at the visit")
    first.raised_at, first.acknowledged_at = _at(2025, 6, 2), _at(2025, 6, 4)
    first.action_taken = f"Referred {refs[0]} to the duty team; Wendy Worker visited the same day"
    second.raised_at = _at(2025, 6, 20)
    db.session.flush()
    return {"this": this, "earlier": earlier, "refs": refs, "first": first, "second": second}


def _html(audit_round, **kwargs) -> str:
    return render_data_html(build_report(audit_round, as_of=AS_OF, partnership="Testshire", **kwargs))


# -- the statement: the domain and the form ---------------------------------------------------------------------------


def test_saving_the_statement_keeps_it_with_a_trail_event_and_tidies_the_asks(rounds):
    audit_round = rounds["this"]
    statement, changed = save_statement(audit_round, WORDS)
    assert statement_for(audit_round) is statement and statement.level is AssuranceLevel.LIMITED
    assert changed == ["assurance_level", "statement", "working", "worried", "voices", "asks"]
    assert statement.asks == "Fund family conversations\nAsk health to join strategy discussions"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "board_statement_saved"))
    assert event.object_type == "round" and event.object_id == str(audit_round.id)
    assert {k: event.details[k] for k in ("assurance_level", "changed", "new")} == {
        "assurance_level": "limited",
        "changed": changed,
        "new": True,
    }
    # The same words again change nothing and record nothing; a new level is one change.
    assert save_statement(audit_round, WORDS)[1] == []
    _, changed = save_statement(audit_round, BoardWords(**{**WORDS.__dict__, "assurance_level": "substantial"}))
    assert changed == ["assurance_level"]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "board_statement_saved")).all()
    assert len(events) == 2 and events[1].details["new"] is False
    assert db.session.scalar(select(BoardStatement.assurance_level)) == "substantial"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"assurance_level": "total"}, "assurance_level", "Select the level of assurance"),
        ({"statement": "  \r\n "}, "statement", "Enter the assurance statement for the Board"),
        ({"working": ""}, "working", "Enter what is working well for children"),
        ({"worried": ""}, "worried", "Enter what the QA group is worried about"),
        ({"voices": "\x00"}, "voices", "Enter what children and families told us"),
        ({"statement": "x" * 2001}, "statement", "The assurance statement must be 2,000 characters or less"),
        ({"asks": "\n".join(f"Ask {i}" for i in range(9))}, "asks", "Enter at most 8 asks of the Board"),
        ({"asks": "y" * 401}, "asks", "Each ask of the Board must be 400 characters or less"),
    ],
)
def test_the_domain_refuses_each_bad_part_naming_its_field(rounds, change, field, message):
    with pytest.raises(DomainError) as refused:
        save_statement(rounds["this"], BoardWords(**{**WORDS.__dict__, **change}))
    assert refused.value.field == field and refused.value.message.startswith(message)
    assert statement_for(rounds["this"]) is None


def test_ask_lines_drop_blank_lines_and_typed_numbers():
    assert ask_lines(" 1. One\n\n2) Two\n• Three\n- Four\n2027 budget agreed") == [
        "One",
        "Two",
        "Three",
        "Four",
        "2027 budget agreed",  # a year is not a list number
    ]


def test_the_page_offers_the_levels_with_their_meanings_and_hints_that_the_text_goes_to_the_board(client_for, rounds):
    coordinator = client_for("qa_coordinator")
    page = soup(coordinator.get(f"/rounds/{rounds['this'].id}/board-statement"))
    radios = page.select("input[name=assurance_level]")
    assert [r["value"] for r in radios] == ["substantial", "reasonable", "limited", "no_assurance"]
    hints = [" ".join(h.get_text().split()) for h in page.select(".govuk-radios__hint")]
    assert hints == [level.meaning for level in AssuranceLevel]
    labels = [" ".join(label.get_text().split()) for label in page.select(".govuk-radios__label")]
    assert labels == ["Substantial assurance", "Reasonable assurance", "Limited assurance", "No assurance"]
    for name in ("statement", "working", "worried", "voices"):
        hint = page.select_one(f"#{name}-hint").get_text()
        assert "goes to the Board" in hint and "do not name or describe a child" in hint, name
    assert "One ask on each line" in page.select_one("#asks-hint").get_text()
    findings = soup(coordinator.get(f"/rounds/{rounds['this'].id}/findings"))
    assert findings.select_one("#board-statement-link")["href"] == f"/rounds/{rounds['this'].id}/board-statement"


def test_the_form_shows_an_error_for_each_missing_part_and_saves_nothing(client_for, rounds):
    coordinator = client_for("qa_coordinator")
    response = post_form(coordinator, f"/rounds/{rounds['this'].id}/board-statement", {"asks": "x"})
    assert response.status_code == 400
    errors = [a.get_text() for a in soup(response).select(".govuk-error-summary a")]
    assert errors == [
        "Select the level of assurance the QA group gives the Board",
        "Enter the assurance statement for the Board",
        "Enter what is working well for children",
        "Enter what the QA group is worried about",
        "Enter what children and families told us",
    ]
    assert statement_for(rounds["this"]) is None


def test_the_form_saves_prefills_and_needs_its_csrf_token(client_for, rounds):
    coordinator = client_for("qa_coordinator")
    url = f"/rounds/{rounds['this'].id}/board-statement"
    assert coordinator.post(url, data=FORM).status_code == 400  # no CSRF token: refused
    assert statement_for(rounds["this"]) is None
    response = post_form(coordinator, url, FORM)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/rounds/{rounds['this'].id}/findings")
    saved = statement_for(rounds["this"])
    assert saved.assurance_level == "reasonable" and saved.asks == "Ask one\nAsk two"
    assert saved.updated_by.role == "qa_coordinator"
    page = soup(coordinator.get(url))
    assert page.select_one("input[name=assurance_level][value=reasonable]").has_attr("checked")
    assert page.select_one("textarea[name=statement]").get_text().strip() == "Mostly sound work."
    assert "Last saved on" in page.select_one("#last-saved").get_text()
    long = post_form(coordinator, url, {**FORM, "working": "w" * 3001})
    assert long.status_code == 400
    errors = soup(long).select_one(".govuk-error-summary").get_text()
    assert "What is working must be 3,000 characters or less" in errors


def test_only_the_coordinator_may_write_it(client_for, rounds):
    url = f"/rounds/{rounds['this'].id}/board-statement"
    for role in ("board_member", "auditor", "admin"):
        client = client_for(role)
        assert client.get(url).status_code == 403, role
        assert client.post(url, data={**FORM, "csrf_token": csrf_token(client, "/home")}).status_code == 403, role
    assert statement_for(rounds["this"]) is None


def test_a_cancelled_rounds_statement_cannot_be_written(client_for, rounds):
    url = f"/rounds/{rounds['this'].id}/board-statement"
    cancel_round(rounds["this"], reason="Wrong theme", cancelled_by_id=None)
    coordinator = client_for("qa_coordinator")
    page = soup(coordinator.get(url))
    assert "can no longer be written" in page.get_text() and page.select_one("form textarea") is None
    refused = coordinator.post(url, data={**FORM, "csrf_token": csrf_token(coordinator, "/home")})
    assert refused.status_code == 400 and "was cancelled" in soup(refused).select_one(".govuk-error-summary").get_text()
    assert statement_for(rounds["this"]) is None


# -- the front section ------------------------------------------------------------------------------------------------


def test_the_front_section_comes_first_and_says_plainly_when_nothing_is_written(app, rounds):
    assert [anchor for anchor, _ in SECTIONS[:6]] == FRONT
    with app.app_context():
        page = soup_of(_html(rounds["this"]))
    front = page.select_one(".app-report__front")
    assert [s["id"] for s in front.select("section")] == FRONT
    text = " ".join(front.get_text().split())
    assert text.count("The QA group has not written its statement for the Board yet.") == 5
    assert "The audit in numbers" in text and "sampled children’s cases were audited" in text  # the summary folded in
    assert page.select_one("#summary") is None and page.select_one("#assurance-level") is None
    assert page.select_one("#cover-judgement") is None  # nothing written: no judgement on the cover either


def test_the_statement_is_shown_with_its_level_prominent_and_the_asks_numbered(app, rounds):
    save_statement(rounds["this"], WORDS)
    with app.app_context():
        page = soup_of(_html(rounds["this"]))
    level = page.select_one("#assurance-level")
    assert "app-report__assurance--limited" in level["class"]
    assert level.select_one(".app-report__assurance-level").get_text() == "Limited assurance"
    assert AssuranceLevel.LIMITED.meaning in level.get_text()
    assurance = [p.get_text() for p in page.select("#assurance > p.govuk-body")]
    assert assurance[:2] == ["We give limited assurance.", "Plans drift."]
    assert "Children are seen." in page.select_one("#working").get_text()
    assert "History is not used." in page.select_one("#working").get_text()
    assert "Children said they wanted to be asked." in page.select_one("#voices").get_text()
    asks = page.select("#asks ol.govuk-list--number li")
    assert [li.get_text() for li in asks] == ["Fund family conversations", "Ask health to join strategy discussions"]
    assert "has not written its statement" not in page.select_one(".app-report__front").get_text()


def test_the_cover_gives_the_judgement_and_the_concerns_before_the_contents(app, rounds):
    save_statement(rounds["this"], WORDS)
    with app.app_context():
        cover = soup_of(_html(rounds["this"])).select_one(".app-report__cover")
    box = cover.select_one("#cover-judgement")
    assert "app-report__assurance--limited" in box["class"]
    text = " ".join(box.get_text().split())
    assert "Limited assurance" in text and AssuranceLevel.LIMITED.meaning in text
    assert "2 immediate safeguarding concerns were raised, and 1 has not been acted on yet." in text
    assert "what the QA group asks of the Board (2 asks)" in text
    assert str(cover).index("cover-judgement") < str(cover).index("contents-title")  # page 1, before the contents


def test_the_evidence_is_the_three_best_and_three_worst_questions_by_percent_meeting_the_standard():
    def row(qid: str, clusters: list[tuple[int, int]]) -> QuestionResult:
        return QuestionResult(qid, "S", qid, clustered_proportion(clusters), not_applicable=0)

    rows = [
        row("none", []),  # no answers: never cited
        row("half", [(1, 2)]),
        row("all_big", [(1, 1)] * 12),
        row("all_small", [(1, 1)] * 2),  # 100% too, but on fewer answers: after all_big
        row("third", [(1, 1), (0, 1), (0, 1)]),
        row("zero", [(0, 1)] * 4),
        row("most", [(1, 1)] * 3 + [(0, 1)]),
        row("tenth", [(1, 1)] + [(0, 1)] * 9),
    ]
    best, worst = evidence(rows)
    assert [q.question_id for q in best] == ["all_big", "all_small", "most"]
    assert [q.question_id for q in worst] == ["zero", "tenth", "third"]
    assert best[1].result.small_n and not best[0].result.small_n  # flagged by the small-n rule (children)
    few_best, few_worst = evidence(rows[:4])  # three answered: the worst take only what is left over
    assert [q.question_id for q in few_best] == ["all_big", "all_small", "half"] and few_worst == []


def test_the_front_section_cites_the_data_with_k_of_n_and_children(app, rounds):
    report = build_report(rounds["this"], as_of=AS_OF, partnership="T")
    answered = [q for q in report.questions if q.result.n]
    by_percent = sorted(answered, key=lambda q: q.result.proportion)
    assert report.front.worst[0].result.proportion == by_percent[0].result.proportion
    assert report.front.best[0].result.proportion == by_percent[-1].result.proportion
    seen = next(q for q in report.front.worst if q.question_id == "child_seen_alone")
    assert (seen.result.k, seen.result.n, seen.result.clusters) == (3, 4, 4)  # one child of four not seen alone
    with app.app_context():
        page = soup_of(render_data_html(report))
    cells = [" ".join(td.get_text().split()) for td in page.select("#front-worst tbody tr")[0].select("td")]
    first = report.front.worst[0].result
    unit = "children" if report.front.worst[0].unit == "child" else "audits"
    assert cells[0] == f"{first.k} of {first.n} {unit}" and cells[2] == str(first.clusters)
    assert "Warning: only 4 children’s files answered this" in page.select_one("#front-worst").get_text()


def test_the_last_rounds_actions_show_their_status_as_it_stood_with_counts(app, rounds):
    report = build_report(rounds["this"], as_of=AS_OF, partnership="T")
    last = report.front.last_round
    assert last.name == "Winter round" and last.drawn_on == date(2025, 1, 10)  # not the cancelled or the later one
    statuses = {a.description.split(" for ")[0]: (a.status, a.overdue) for a in last.actions}
    assert statuses == {
        "Action done": ("Done", False),
        "Action late": ("In progress", True),  # done only after the report's date
        "Action open": ("Open", True),
        "Action future": ("Open", False),
    }
    assert last.counts == "1 of 4 done, 2 overdue"
    assert all(rounds["earlier"].sampled[0].case.case_ref not in a.description for a in last.actions)
    with app.app_context():
        section = soup_of(render_data_html(report)).select_one("#last-actions")
    text = " ".join(section.get_text().split())
    assert "The last round with actions was Winter round" in text and "1 of 4 done, 2 overdue" in text
    assert len(section.select("tbody tr")) == 4 and len(section.select(".app-report__overdue")) == 2


def test_no_earlier_round_with_actions_is_said_plainly(app, rounds):
    report = build_report(rounds["earlier"], as_of=AS_OF, partnership="T")
    assert report.front.last_round is None
    with app.app_context():
        text = soup_of(render_data_html(report)).select_one("#last-actions").get_text()
    assert "There was no earlier audit round with actions, so there is nothing to report here yet." in text


def test_concerns_are_numbered_with_how_each_was_handled_and_never_identify_the_child(app, rounds):
    report = build_report(rounds["this"], as_of=AS_OF, partnership="T")
    first, second = report.front.concerns
    assert (first.number, first.raised_on, first.acted_on, first.days) == (1, date(2025, 6, 2), date(2025, 6, 4), 2)
    assert first.agency == "Test Social Care"
    assert first.action_taken == "Referred the child to the duty team; the worker visited the same day"
    assert (second.number, second.acted_on, second.action_taken) == (2, None, None)
    with app.app_context():
        html = _html(rounds["this"])
    section = soup_of(html).select_one("#concerns")
    text = " ".join(section.get_text().split())
    assert "Concern 1" in text and "Concern 2" in text and "2 days after it was raised" in text
    assert "1 of the 2 concerns raised has not been acted on yet." in section.select_one("#concerns-waiting").get_text()
    assert section.select_one(".app-report__not-acted").get_text() == "Not yet acted on"
    for shown in (SECRET, "Parent drunk", "Case 1", "Case 2", "Case 3", "CP North", "10 to 15", "Wendy Worker"):
        assert shown not in text, shown
    for hidden in (SECRET, "Parent drunk", *rounds["refs"], "Wendy Worker"):
        assert hidden not in html, hidden  # nowhere in the report


def test_the_joint_discussions_offer_supporting_lines_without_a_case_label(app, rounds):
    report = build_report(rounds["this"], as_of=AS_OF, partnership="T")
    assert report.front.supporting == ["the child is now seen weekly by the worker."]


def test_as_it_stood_leaves_out_later_concerns_and_later_handling(rounds):
    report = build_report(rounds["this"], as_of=_at(2025, 6, 3), partnership="T", as_it_stood=True)
    (only,) = report.front.concerns
    assert only.number == 1 and only.acted_on is None and only.action_taken is None  # acted on the next day
    report = build_report(rounds["this"], as_of=_at(2025, 6, 10), partnership="T", as_it_stood=True)
    assert [(c.number, c.days) for c in report.front.concerns] == [(1, 2)]


def test_the_pdf_front_section_holds_every_part(app, rounds):
    import io

    from pypdf import PdfReader

    from auditapp.reports.render import render_report_pdf

    save_statement(rounds["this"], WORDS)
    with app.app_context():
        pdf, pages = render_report_pdf(rounds["this"], as_of=AS_OF, partnership="Testshire")
    texts = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    front = " ".join(texts[1:4])
    for _anchor, heading in SECTIONS[:6]:
        assert heading in front, heading
    assert "Limited assurance" in texts[1] and "not yet acted on" in front.lower()  # a tag: upper case in print
    method = next(i for i, t in enumerate(texts) if t.startswith("Method "))
    assert 2 <= method - 1 <= 3  # the front section: 2 to 3 pages after the cover; the results start a new page
    assert all(ref not in " ".join(texts) for ref in rounds["refs"]) and SECRET not in " ".join(texts)


# -- publishing -------------------------------------------------------------------------------------------------------


@pytest.fixture
def complete(actor, org, users):
    """A round with every audit moderated, a finding with an action and no open concern: only the statement left."""
    audit_round = make_round(cases=4, size=2, tool_version=2)
    for sampled in audit_round.sampled:
        for assignment in sampled.assignments:
            _submit(assignment, moderated=True)
    finding = add_finding(audit_round, title="Plans are clear", so_what="Children know their plan")
    add_action(finding, description="Share", agency_id=org.social.id, owner_name="A", due_date=date(2030, 1, 1))
    db.session.flush()
    return audit_round


def test_a_full_report_needs_the_statement(client_for, complete):
    check = publishing.readiness(complete)
    assert not check.complete and check.missing() == ["The Board statement has not been written"]
    assert check.no_statement[0].link == ("statement", complete.id)
    coordinator = client_for("qa_coordinator")
    url = f"/rounds/{complete.id}/publish"
    page = soup(coordinator.get(url))
    link = page.select_one("#no-statement + ul a")
    assert link["href"] == f"/rounds/{complete.id}/board-statement"
    assert page.select_one("textarea[name=interim_reason]") is not None  # so only an interim report, with a reason
    refused = post_form(coordinator, url, {})
    assert refused.status_code == 400 and db.session.scalar(select(PublishedReport)) is None
    save_statement(complete, WORDS)
    assert publishing.readiness(complete).complete
    page = soup(coordinator.get(url))
    assert "The round is complete" in page.get_text() and page.select_one("textarea") is None
    assert page.select_one("#board-statement-link").get_text() == "Change the statement for the Board"


def test_an_interim_report_still_publishes_without_the_statement_and_says_what_is_missing(client_for, complete):
    coordinator = client_for("qa_coordinator")
    response = post_form(coordinator, f"/rounds/{complete.id}/publish", {"interim_reason": "The Board meets today"})
    assert response.status_code == 302
    assert "as an interim report" in soup(coordinator.get(response.headers["Location"])).get_text()
    report = db.session.scalar(select(PublishedReport))
    assert report.interim and report.missing == ["The Board statement has not been written"]


def soup_of(html: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")
