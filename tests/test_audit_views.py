"""Penetration-test finding "audit-trail gaps": every page or download that shows children's data is recorded.

The round page, the findings page, the sampling certificate, the report preview and the draft report PDF each
write an audit event naming the round, with no child data in its details.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from auditapp.extensions import db
from auditapp.models import AuditEvent
from tests.conftest import post_form
from tests.documents import ask_for
from tests.factories import make_round


@pytest.fixture
def audit_round(actor, org, users):
    """A drawn and assigned round of 4 cases out of 8."""
    return make_round(cases=8, size=4, tool_version=2)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _assert_one_event_naming_the_round_only(action: str, audit_round, users) -> AuditEvent:
    events = _events(action)
    assert len(events) == 1, action
    event = events[0]
    assert (event.object_type, event.object_id) == ("round", str(audit_round.id))
    assert event.actor_id == users["qa_coordinator"].id and event.actor_role == "qa_coordinator"
    details = json.dumps(event.details)
    for sampled in audit_round.sampled:  # no child data: not even the case references
        case = sampled.case
        assert case.case_ref not in details
        assert not case.worker or case.worker not in details
    return event


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/rounds/{id}", "round_viewed"),
        ("/rounds/{id}/findings", "findings_viewed"),
        ("/rounds/{id}/certificate.json", "certificate_downloaded"),
        ("/rounds/{id}/report", "report_previewed"),
    ],
)
def test_each_view_of_a_rounds_data_is_an_audit_event(client_for, users, audit_round, path, action):
    assert _events(action) == []
    response = client_for("qa_coordinator").get(path.format(id=audit_round.id))
    assert response.status_code == 200
    _assert_one_event_naming_the_round_only(action, audit_round, users)


def test_the_certificate_event_says_what_was_downloaded_without_the_case_references(client_for, users, audit_round):
    body = json.loads(client_for("qa_coordinator").get(f"/rounds/{audit_round.id}/certificate.json").data)
    event = _assert_one_event_naming_the_round_only("certificate_downloaded", audit_round, users)
    assert event.details["population_size"] == body["population_size"] == 8
    assert event.details["sample_size"] == len(body["sample"]) == 4


def test_the_draft_pdf_is_recorded_when_it_is_downloaded_with_its_pages(client_for, users, audit_round):
    client = client_for("qa_coordinator")
    page = ask_for(client, f"/rounds/{audit_round.id}/report.pdf", on=f"/rounds/{audit_round.id}/report")
    assert _events("report_draft_downloaded") == []  # made by the worker, not yet seen
    response = client.get(page.select_one("a#job-file")["href"])
    assert response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f"attachment; filename=draft-report-round-{audit_round.id}.pdf"
    event = _assert_one_event_naming_the_round_only("report_draft_downloaded", audit_round, users)
    assert event.details["pages"] >= 1 and event.details["as_of"]
    client.get(page.select_one("a#job-file")["href"])
    assert len(_events("report_draft_downloaded")) == 2  # each download is a view


def test_every_view_is_recorded_not_only_the_first(client_for, users, audit_round):
    client = client_for("qa_coordinator")
    for _ in range(3):
        assert client.get(f"/rounds/{audit_round.id}").status_code == 200
    assert len(_events("round_viewed")) == 3


def test_saving_a_finding_records_the_finding_and_the_page_shown_after_it(client_for, users, audit_round):
    client = client_for("qa_coordinator")
    url = f"/rounds/{audit_round.id}/findings"
    saved = post_form(client, url, {"title": "Plans not SMART", "so_what": "Families did not know what to change"})
    assert saved.status_code == 302
    client.get(url)
    assert len(_events("finding_added")) == 1
    # One view to load the form (for its CSRF token), one after the redirect: the POST itself shows nothing.
    assert len(_events("findings_viewed")) == 2


def test_a_round_without_a_sample_has_no_certificate_and_records_no_download(client_for, actor, users):
    from auditapp.domain.rounds import RoundSettings, create_round

    undrawn = create_round(RoundSettings(name="Not drawn yet"), created_by_id=None)
    assert client_for("qa_coordinator").get(f"/rounds/{undrawn.id}/certificate.json").status_code == 404
    assert _events("certificate_downloaded") == []


# -- Finding "opening an audit's task list (a GET) creates a database row" -----------------------------------------


@pytest.fixture
def mine(org, users):
    """The factory auditor's assignment (lead) in a two-agency round."""
    audit_round = make_round(
        mode="multi-agency",
        agencies=[org.social.name, org.health.name],
        lead_agency=org.social.name,
        cases=6,
        size=2,
        tool_version=2,
    )
    return next(a for s in audit_round.sampled for a in s.assignments if a.auditor_id == users["auditor"].id)


def _audit_rows() -> int:
    from sqlalchemy import func

    from auditapp.models import AgencyAudit

    return db.session.scalar(select(func.count(AgencyAudit.id)))


def test_opening_an_audit_writes_no_row_until_the_first_save_and_every_view_is_recorded(client_for, mine):
    from auditapp.models import AgencyAudit
    from tests.conftest import csrf_token, soup

    client = client_for("auditor")
    before = _audit_rows()
    for path in ("", "", "/section/childs_voice", "/check"):
        page = client.get(f"/audits/{mine.id}{path}")
        assert page.status_code == 200, path
    assert "Not started" in soup(client.get(f"/audits/{mine.id}")).get_text()
    assert _audit_rows() == before  # GETs write no audit row
    views = _events("audit_viewed")
    assert len(views) == 5 and all(v.actor_id == mine.auditor_id for v in views)
    assert {(v.object_type, v.object_id) for v in views} == {("assignment", str(mine.id))}
    assert views[0].details["case_ref"] == mine.sampled_case.case.case_ref

    url = f"/audits/{mine.id}/section/childs_voice"
    version = soup(client.get(url)).select_one("input[name=version]")["value"]
    saved = client.post(
        url,
        data={
            "child_seen_alone": "yes",
            "child_views_on_plan": "yes",
            "version": version,
            "action": "continue",
            "csrf_token": csrf_token(client, url),
        },
    )
    assert saved.status_code == 302
    assert _audit_rows() == before + 1
    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == mine.id))
    assert audit.state == "in_progress" and audit.answers["child_seen_alone"] == "yes"
    assert [e.object_id for e in _events("audit_saved")] == [str(audit.id)]

    client.get(f"/audits/{mine.id}")  # once the row exists, views name the audit itself
    assert _events("audit_viewed")[-1].object_type == "agency_audit"
    assert _events("audit_viewed")[-1].object_id == str(audit.id)
    assert _audit_rows() == before + 1


def test_submitting_an_audit_that_was_never_saved_writes_nothing(client_for, mine):
    from tests.conftest import csrf_token, soup

    client = client_for("auditor")
    before = _audit_rows()
    url = f"/audits/{mine.id}/check"
    # Never saved: version 0 (issue 13: the check page shows no submit form until every section is complete).
    response = client.post(url, data={"version": "0", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 200 and soup(response).select_one(".govuk-error-summary")
    assert _audit_rows() == before


def test_two_first_saves_from_pages_loaded_before_either_keep_the_first(app, users, mine):
    from auditapp.models import AgencyAudit
    from tests.conftest import csrf_token, sign_in, soup

    first, second = app.test_client(), app.test_client()
    sign_in(first, users["auditor"].email)
    sign_in(second, users["auditor"].email)
    url = f"/audits/{mine.id}/section/childs_voice"
    loaded = [soup(c.get(url)).select_one("input[name=version]")["value"] for c in (first, second)]
    assert loaded[0] == loaded[1]
    assert (
        first.post(
            url,
            data={
                "child_seen_alone": "yes",
                "child_views_on_plan": "yes",
                "version": loaded[0],
                "csrf_token": csrf_token(first, url),
            },
        ).status_code
        == 302
    )
    stale = second.post(
        url,
        data={
            "child_seen_alone": "no",
            "seen_alone_rationale": "Asleep",
            "child_views_on_plan": "no",
            "version": loaded[1],
            "csrf_token": csrf_token(second, url),
        },
    )
    assert stale.status_code == 409
    audit = db.session.scalar(select(AgencyAudit).where(AgencyAudit.assignment_id == mine.id))
    assert audit.answers["child_seen_alone"] == "yes"


def test_a_first_save_that_loses_the_race_for_the_row_is_a_conflict(actor, mine):
    """Two first saves at once: both saw no row; the second insert hits the unique assignment and is a conflict,
    with the winner's answers kept."""
    from auditapp.domain import audits as audit_domain
    from auditapp.models import AgencyAudit

    late = audit_domain.view_audit(mine)  # loaded before the winner's row existed
    winner = audit_domain.view_audit(mine)
    audit_domain.save_section(winner, section_id="childs_voice", values={"child_seen_alone": "yes"}, loaded_version=0)
    with pytest.raises(audit_domain.ConflictError) as conflict:
        audit_domain.save_section(late, section_id="childs_voice", values={"child_seen_alone": "no"}, loaded_version=0)
    assert conflict.value.current == {"child_seen_alone": "yes"}
    rows = list(db.session.scalars(select(AgencyAudit).where(AgencyAudit.assignment_id == mine.id)))
    assert len(rows) == 1 and rows[0].answers["child_seen_alone"] == "yes"
