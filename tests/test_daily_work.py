"""The coordinator's and auditors' daily work (issue 13, D): the moderation queue, the moderation page by section
with its conditional re-grade fields, the round page led by progress and the next thing to do, the rounds list,
submitting only once every section is complete, "save and come back later", and the honest concern promise."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from auditapp.domain import audits as audit_domain
from auditapp.domain import round_overview
from auditapp.domain.context import ActorContext, acting_as
from auditapp.domain.moderation import moderate, moderation_queue
from auditapp.extensions import db
from auditapp.models import AgencyAudit
from auditapp.models.types import utcnow
from auditapp.vocabulary import AuditState
from tests.conftest import csrf_token, post_form, soup
from tests.factories import complete_answers, make_round

HOSTILE = ["x" * 5001, "Ünïcødé — 子供 🙂", "<script>alert(1)</script>", "", " " * 10]


def assert_sane(page) -> None:
    """One h1, no repeated id, every aria-describedby and in-page link points at something on the page, and no
    internal code in the words."""
    assert len(page.find_all("h1")) == 1
    ids = Counter(tag["id"] for tag in page.find_all(id=True))
    assert [i for i, n in ids.items() if n > 1] == []
    for tag in page.find_all(attrs={"aria-describedby": True}):
        for ref in tag["aria-describedby"].split():
            assert ref in ids, ref
    for link in page.find_all("a", href=re.compile("^#.")):
        assert link["href"][1:] in ids, link["href"]
    words = re.sub(r"Notes for \w+", "", page.select_one("main").get_text(" "))  # the factory's typed answers
    codes = re.findall(r"\b[a-z]+_[a-z_]+\b", words)
    assert codes == [], codes  # no enum value, question id or answer key reaches the user


def _submitted(assignment, *, days_ago: int = 0, **answers: str) -> AgencyAudit:
    with acting_as(ActorContext(user_id=assignment.auditor_id, email="x", role="auditor")):
        audit = audit_domain.open_audit(assignment)
        tool = audit_domain.tool_for(assignment.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit), **answers)
        db.session.flush()
        assert audit_domain.submit_audit(audit, loaded_version=audit.version) == []
    audit.submitted_at = utcnow() - timedelta(days=days_ago)
    db.session.flush()
    return audit


@pytest.fixture
def two_agency(org, users):
    """A multi-agency round of 2 cases: each has the factory auditor (social care) and the peer (health)."""
    return make_round(
        "Spring round",
        mode="multi-agency",
        agencies=[org.social.name, org.health.name],
        lead_agency=org.social.name,
        cases=6,
        size=2,
        tool_version=2,  # these tests count v2's eight sections; the 2026 tool's pages: tests/test_agency_sections.py
    )


def _assignments(audit_round):
    return [a for s in audit_round.sampled for a in s.assignments]


# --- The moderation queue ---------------------------------------------------------------------------------------


def test_the_queue_lists_submitted_audits_oldest_first_with_round_case_agency_and_days(client_for, two_agency):
    first, second, third, fourth = _assignments(two_agency)
    _submitted(first, days_ago=2)
    _submitted(second, days_ago=9)
    _submitted(third, days_ago=0)
    moderate(_submitted(fourth, days_ago=20), decision="agreed")  # moderated: no longer waiting
    db.session.commit()
    page = soup(client_for("qa_coordinator").get("/home"))
    assert_sane(page)
    heading = page.find("h2", string="Audits waiting for moderation")
    items = heading.find_next("ul").select(".govuk-task-list__item")
    assert len(items) == 3
    expected = [(second, "Waiting 9 days"), (first, "Waiting 2 days"), (third, "Submitted today")]
    for item, (assignment, status) in zip(items, expected, strict=True):
        link = item.select_one("a")
        assert link.get_text(strip=True) == f"Case {assignment.sampled_case.case.case_ref} ({assignment.agency_name})"
        assert link["href"] == f"/moderation/audits/{assignment.audit.id}?from=home"
        assert "Spring round" in item.select_one(".govuk-task-list__hint").get_text()
        assert item.select_one(".govuk-task-list__status").get_text(strip=True) == status


def test_the_queue_leaves_out_withdrawn_audits_and_cancelled_rounds(client_for, two_agency, users):
    first, second, *_ = _assignments(two_agency)
    _submitted(first).state = AuditState.WITHDRAWN
    _submitted(second)
    db.session.flush()
    today = utcnow().date()
    assert [w.audit.assignment_id for w in moderation_queue(today=today)] == [second.id]
    two_agency.cancelled_at = utcnow()
    db.session.commit()
    assert moderation_queue(today=today) == []
    page = soup(client_for("qa_coordinator").get("/home"))
    assert "There are no audits waiting for moderation." in page.get_text()


def test_deciding_from_the_queue_returns_to_the_queue(client_for, two_agency):
    audit = _submitted(_assignments(two_agency)[0])
    db.session.commit()
    coordinator = client_for("qa_coordinator")
    url = f"/moderation/audits/{audit.id}?from=home"
    response = post_form(coordinator, url, {"decision": "agreed"})
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    home = soup(coordinator.get("/home"))
    assert "Moderation decision saved" in home.select_one(".govuk-notification-banner--success").get_text()
    assert "There are no audits waiting for moderation." in home.get_text()


# --- The moderation page ----------------------------------------------------------------------------------------


def test_the_moderation_page_shows_answers_by_section_with_labels_and_evidence(client_for, two_agency):
    audit = _submitted(
        _assignments(two_agency)[0],
        overall_grade="requires_improvement",
        evidence__childs_voice="Seen alone at school on 3 March",
    )
    db.session.commit()
    page = soup(client_for("qa_coordinator").get(f"/moderation/audits/{audit.id}"))
    assert_sane(page)
    tool = audit_domain.tool_for(two_agency)
    cards = page.select(".govuk-summary-card")
    assert [c.select_one(".govuk-summary-card__title").get_text(strip=True) for c in cards] == [
        s.title for s in tool.sections
    ]
    voice = cards[0]
    assert tool.question("child_seen_alone").text in voice.get_text()
    assert "Seen alone at school on 3 March" in voice.select_one(".govuk-grid-column-one-third").get_text()
    overall = cards[-1].get_text()
    assert "Requires improvement" in overall and "requires_improvement" not in overall
    assert "childs_voice" not in page.get_text() and "evidence__" not in page.get_text()


def test_the_regrade_fields_are_a_conditional_reveal_in_the_html(client_for, two_agency):
    audit = _submitted(_assignments(two_agency)[0])
    db.session.commit()
    page = soup(client_for("qa_coordinator").get(f"/moderation/audits/{audit.id}"))
    radios = page.select_one("[data-module=govuk-radios]")
    regrade = radios.find("input", value="regraded")
    revealed = page.find(id=regrade["data-aria-controls"])
    assert "govuk-radios__conditional" in revealed["class"]
    assert revealed.find("select", attrs={"name": "grade"}) and revealed.find("textarea", attrs={"name": "reason"})
    returned = page.find(id=radios.find("input", value="returned")["data-aria-controls"])
    assert returned.find("textarea", attrs={"name": "comment"}) and not returned.find("select")
    assert not radios.find("input", value="agreed").get("data-aria-controls")


def test_without_javascript_the_server_uses_only_the_chosen_decisions_fields(client_for, two_agency):
    first, second, third, _ = _assignments(two_agency)
    agreed, regraded, returned = _submitted(first), _submitted(second), _submitted(third)
    db.session.commit()
    coordinator = client_for("qa_coordinator")
    stale = {"grade": "inadequate", "reason": "Typed, then agreed instead", "comment": "Also stale"}
    assert post_form(coordinator, f"/moderation/audits/{agreed.id}", {"decision": "agreed", **stale}).status_code == 302
    ok = post_form(coordinator, f"/moderation/audits/{regraded.id}", {"decision": "regraded", **stale})
    assert ok.status_code == 302
    back = post_form(coordinator, f"/moderation/audits/{returned.id}", {"decision": "returned", **stale})
    assert back.status_code == 302 and back.headers["Location"] == f"/rounds/{two_agency.id}"
    db.session.expire_all()
    agreed, regraded, returned = (db.session.get(AgencyAudit, a.id) for a in (agreed, regraded, returned))
    assert agreed.moderated_grade == "good" and agreed.moderation_comment is None
    assert regraded.moderated_grade == "inadequate" and regraded.moderation_comment == "Typed, then agreed instead"
    assert returned.state == AuditState.RETURNED and returned.moderation_comment == "Also stale"


def test_a_regrade_needs_its_grade_and_reason_each_named_on_its_field(client_for, two_agency):
    audit = _submitted(_assignments(two_agency)[0])
    db.session.commit()
    coordinator = client_for("qa_coordinator")
    url = f"/moderation/audits/{audit.id}"
    no_grade = soup(post_form(coordinator, url, {"decision": "regraded", "reason": "Plan not SMART"}))
    assert "Select the moderated grade" in no_grade.select_one(".govuk-error-summary").get_text()
    assert no_grade.select_one("#grade-error")
    no_reason = soup(post_form(coordinator, url, {"decision": "regraded", "grade": "inadequate"}))
    assert no_reason.select_one(".govuk-error-summary a[href='#reason']")
    no_comment = soup(post_form(coordinator, url, {"decision": "returned"}))
    assert no_comment.select_one(".govuk-error-summary a[href='#comment']")
    assert db.session.get(AgencyAudit, audit.id).state == AuditState.SUBMITTED


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_moderation_input_is_refused_or_kept_in_words_never_a_500(client_for, two_agency, text):
    audit = _submitted(_assignments(two_agency)[0])
    db.session.commit()
    coordinator = client_for("qa_coordinator")
    url = f"/moderation/audits/{audit.id}"
    for data in (
        {"decision": "regraded", "grade": "outstanding", "reason": text},
        {"decision": "regraded", "grade": text or "nonsense", "reason": "Why"},
        {"decision": text or "nonsense"},
    ):
        response = post_form(coordinator, url, data)
        assert response.status_code in (200, 302), data
        if response.status_code == 200:
            assert soup(response).select_one(".govuk-error-summary"), data
            assert "<script>alert" not in response.get_data(as_text=True)
    long_hidden = post_form(coordinator, url, {"decision": "agreed", "reason": "x" * 6000})
    assert long_hidden.status_code == 302  # a hidden field's text never blocks the decision chosen


def test_an_over_long_reason_is_named_and_nothing_is_saved(client_for, two_agency):
    audit = _submitted(_assignments(two_agency)[0])
    db.session.commit()
    page = soup(
        post_form(
            client_for("qa_coordinator"),
            f"/moderation/audits/{audit.id}",
            {"decision": "regraded", "grade": "good", "reason": "x" * 5001},
        )
    )
    assert "The reason must be 5,000 characters or less" in page.select_one(".govuk-error-summary").get_text()
    assert db.session.get(AgencyAudit, audit.id).moderation_decision is None


# --- The round page and the rounds list ---------------------------------------------------------------------------


def _progress_rows(page) -> dict[str, str]:
    return {
        row.dt.get_text(strip=True): row.dd.get_text(" ", strip=True)
        for row in page.select("#progress .govuk-summary-list__row")
    }


def test_the_round_page_leads_with_progress_and_the_next_thing_to_do(client_for, two_agency):
    first, second, third, fourth = _assignments(two_agency)
    _submitted(first)
    moderate(_submitted(second), decision="agreed")
    with acting_as(ActorContext(user_id=third.auditor_id, email="x", role="auditor")):
        audit_domain.open_audit(third).state = AuditState.IN_PROGRESS
    fourth.due_date = date(2020, 1, 1)  # not started and overdue
    db.session.commit()
    page = soup(client_for("qa_coordinator").get(f"/rounds/{two_agency.id}"))
    assert_sane(page)
    assert _progress_rows(page) == {
        "Cases sampled": "2",
        "Cases with auditors": "2 of 2",
        "Audits started": "3 of 4",
        "Audits submitted": "2 of 4",
        "Audits moderated": "1 of 4",
        "Audits overdue": "1",
    }
    step = page.select_one("#next-step a")
    assert step.get_text(strip=True) == "Moderate 1 audit"
    assert step["href"] == f"/moderation/audits/{first.audit.id}"  # the longest waiting
    assert page.select_one("#moderation").find_next("a")["href"] == f"/moderation/audits/{first.audit.id}"
    headings = [h.get_text(strip=True) for h in page.select("h2")]
    assert headings.index("The next thing to do") < headings.index("Progress") < headings.index("The sample")
    assert headings.index("The sample") < headings.index("The round's settings")


def test_withdrawn_audits_are_not_counted(client_for, two_agency):
    first, second, *_ = _assignments(two_agency)
    _submitted(first).state = AuditState.WITHDRAWN
    _submitted(second)
    db.session.commit()
    rows = _progress_rows(soup(client_for("qa_coordinator").get(f"/rounds/{two_agency.id}")))
    assert rows["Audits submitted"] == "1 of 3" and rows["Audits started"] == "1 of 3"


def test_the_next_thing_to_do_follows_the_round_through_its_year(actor, org, users):
    from auditapp.domain.findings import add_finding
    from auditapp.domain.rounds import RoundSettings, create_round
    from auditapp.domain.sampling import draw_sample

    def step(audit_round):
        cases = audit_domain.round_progress(audit_round)
        return round_overview.next_step(audit_round, round_overview.progress(cases, today=utcnow().date())).text

    fresh = create_round(RoundSettings(name="Fresh", mode="independent", sample_size=3), created_by_id=None)
    assert step(fresh) == "Draw the sample"
    make_round("Other", cases=6, size=1, assign=False)  # cases to draw from
    draw_sample(fresh, seed="s")
    assert step(fresh) == "Assign auditors to 3 cases"
    audit_round = make_round("Busy", cases=0, size=2)
    assert step(audit_round) == "Wait for 2 audits to be submitted"
    audits = [_submitted(a) for a in _assignments(audit_round)]
    assert step(audit_round) == "Moderate 2 audits"
    for audit in audits:
        moderate(audit, decision="agreed")
    assert step(audit_round) == "Write findings"
    tool = audit_domain.tool_for(audit_round)
    add_finding(
        audit_round,
        title="Plans drift",
        so_what="Children wait",
        evidence="",
        question_ids=[tool.questions[0].id],
        case_refs=[audit_round.sampled[0].case.case_ref],
        recommendation="Review plans monthly",
    )
    assert step(audit_round) == "Publish the report"
    audit_round.cancelled_at = utcnow()
    assert step(audit_round) == "Nothing: the round was cancelled"


def test_an_overdue_round_says_chase(actor, org, users):
    audit_round = make_round("Late", cases=4, size=2, due_date=date(2020, 1, 1))
    cases = audit_domain.round_progress(audit_round)
    counts = round_overview.progress(cases, today=utcnow().date())
    assert counts.overdue == 2
    assert round_overview.next_step(audit_round, counts).text == "Chase 2 overdue audits"


def test_the_rounds_list_shows_dates_state_and_progress(client_for, two_agency, actor):
    from auditapp.domain.rounds import RoundSettings, create_round

    two_agency.due_date = date(2027, 3, 31)
    _submitted(_assignments(two_agency)[0])
    create_round(RoundSettings(name="Not yet drawn", mode="independent", sample_size=5), created_by_id=None)
    db.session.commit()
    page = soup(client_for("qa_coordinator").get("/rounds/"))
    assert_sane(page)
    headers = [th.get_text(strip=True) for th in page.select("thead th")]
    assert headers == ["Round", "Sample drawn", "Audits due", "Progress", "Status"]
    rows = {
        r.select_one("a").get_text(strip=True): [td.get_text(" ", strip=True) for td in r.select("td")]
        for r in page.select("tbody tr")
    }
    spring = rows["Spring round"]
    assert spring[1] == f"{two_agency.drawn_at:%-d %b %Y}" and spring[2] == "31 Mar 2027"
    assert spring[3] == "1 of 4 audits submitted" and spring[4] == "In progress"
    assert rows["Not yet drawn"][1:] == ["Not drawn", "No due date", "5 cases to draw", "Not sampled"]


# --- The auditor's audit --------------------------------------------------------------------------------------------


@pytest.fixture
def mine(two_agency, users):
    return next(a for a in _assignments(two_agency) if a.auditor_id == users["auditor"].id)


def _save(client, assignment, section: str, data: dict, action: str = "continue"):
    url = f"/audits/{assignment.id}/section/{section}"
    version = soup(client.get(url)).select_one("input[name=version]")["value"]
    return client.post(url, data={**data, "version": version, "action": action, "csrf_token": csrf_token(client, url)})


def test_save_and_come_back_later_returns_to_the_task_list(client_for, mine):
    client = client_for("auditor")
    response = _save(client, mine, "childs_voice", {"child_seen_alone": "yes"}, action="later")
    assert response.status_code == 302 and response.headers["Location"] == f"/audits/{mine.id}"
    page = soup(client.get(f"/audits/{mine.id}"))
    assert "Your answers have been saved" in page.select_one(".govuk-notification-banner--success").get_text()


def test_until_every_section_is_complete_the_task_list_and_check_page_say_what_is_left(client_for, mine):
    client = client_for("auditor")
    _save(client, mine, "childs_voice", {"child_seen_alone": "yes"})
    tool = audit_domain.tool_for(mine.sampled_case.round)
    page = soup(client.get(f"/audits/{mine.id}"))
    assert_sane(page)
    assert "You have completed 0 of 8 sections." in page.get_text()
    left = [li.get_text(strip=True) for li in page.select("#not-complete li")]
    assert left == [f"{s.title} ({'in progress' if s.id == 'childs_voice' else 'not started'})" for s in tool.sections]
    assert page.select_one("#check-status").get_text(strip=True) == "Cannot submit yet"
    check = soup(client.get(f"/audits/{mine.id}/check"))
    assert_sane(check)
    assert not check.find("button", string=re.compile("Submit the audit"))
    assert "You cannot submit the audit yet" in check.get_text()
    assert len(check.select("#not-complete ~ ul li")) == 8


def test_a_submit_posted_too_soon_is_refused_with_one_clear_message(client_for, mine):
    client = client_for("auditor")
    _save(client, mine, "childs_voice", {"child_seen_alone": "no"})
    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == mine.id))
    url = f"/audits/{mine.id}/check"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "version": str(audit.version)})
    assert response.status_code == 200
    page = soup(response)
    items = page.select(".govuk-error-summary li")
    assert [i.get_text(strip=True) for i in items] == [
        "You cannot submit the audit until every section is complete: 8 sections are not complete yet"
    ]
    assert page.title.get_text().startswith("Error:")
    assert db.session.get(AgencyAudit, audit.id).state == AuditState.IN_PROGRESS


def test_a_complete_audit_can_be_submitted_and_the_check_page_has_change_links(client_for, mine):
    with acting_as(ActorContext(user_id=mine.auditor_id, email="x", role="auditor")):
        audit = audit_domain.open_audit(mine)
        tool = audit_domain.tool_for(mine.sampled_case.round)
        audit.answers = complete_answers(tool, audit_domain.proposals_for(audit))
    db.session.commit()
    client = client_for("auditor")
    task_list = soup(client.get(f"/audits/{mine.id}"))
    assert task_list.select_one("#check-status").get_text(strip=True) == "Ready to submit"
    assert not task_list.select_one("#not-complete")
    check = soup(client.get(f"/audits/{mine.id}/check"))
    assert_sane(check)
    card_links = [a["href"] for a in check.select(".govuk-summary-card__actions a")]
    assert card_links == [f"/audits/{mine.id}/section/{s.id}" for s in tool.sections]
    assert all(
        a.get_text(" ", strip=True).startswith("Change ") for a in check.select(".govuk-summary-card__actions a")
    )
    url = f"/audits/{mine.id}/check"
    version = check.select_one("input[name=version]")["value"]
    done = client.post(url, data={"csrf_token": csrf_token(client, url), "version": version})
    assert done.status_code == 302
    assert db.session.get(AgencyAudit, audit.id).state == AuditState.SUBMITTED


# --- The honest promise of the concern page -------------------------------------------------------------------------


def test_the_concern_page_names_who_sees_it_and_says_email_only_when_mail_is_configured(
    app, client_for, mine, users, monkeypatch
):
    auditor = client_for("auditor")
    url = f"/audits/{mine.id}/concern"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    page = soup(auditor.get(url))
    assert_sane(page)
    promise = page.select_one("#who-is-told").get_text()
    assert f"The QA coordinator ({users['qa_coordinator'].name}) will see it on their home page" in promise
    assert "email" not in promise and "told at once" not in page.get_text()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.test.invalid")
    assert "sent an email" in soup(auditor.get(url)).select_one("#who-is-told").get_text()
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    sent = auditor.post(url, data={"csrf_token": csrf_token(auditor, url), "description": "Bruising not followed up"})
    assert sent.status_code == 302
    banner = soup(auditor.get(f"/audits/{mine.id}")).select_one(".govuk-notification-banner--success").get_text()
    assert users["qa_coordinator"].name in banner and "email" not in banner


def test_the_promise_when_no_coordinator_can_see_it(actor, users):
    from auditapp.audits.forms import who_is_told

    assert "There is no QA coordinator" in who_is_told([], by_email=False)
    assert who_is_told(["Ann", "Bo", "Cy"], by_email=True) == (
        "The QA coordinators (Ann, Bo and Cy) will see it on their home page the next time they sign in. "
        "They are also sent an email now"
    )
