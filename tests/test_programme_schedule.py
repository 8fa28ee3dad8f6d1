"""Issue 17: the year's audit schedule. The QA coordinator plans rounds month by month, links the round that
carries each out, and drops one with a reason; each change is in the audit trail, and each status (planned,
started, done, late, dropped) follows the rule in auditapp/programme/schedule_status.py."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from auditapp.domain.errors import DomainError
from auditapp.domain.quarters import Quarter, uk_date
from auditapp.domain.rounds import RoundSettings, cancel_round, create_round
from auditapp.extensions import db
from auditapp.models import AuditEvent, PlannedRound
from auditapp.models.types import utcnow
from auditapp.programme import schedule
from auditapp.vocabulary import PlannedStatus
from tests.conftest import post_form, soup
from tests.factories import make_round

TODAY = uk_date(utcnow())
THIS_MONTH = TODAY.replace(day=1)
YEAR = Quarter.of(TODAY).year


def _months_ago(n: int) -> date:
    index = THIS_MONTH.year * 12 + THIS_MONTH.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def events(action: str, planned_id: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action)
    if planned_id is not None:
        query = query.where(AuditEvent.object_type == "planned_round", AuditEvent.object_id == str(planned_id))
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def planned_count() -> int:
    return db.session.scalar(select(func.count(PlannedRound.id))) or 0


def plan(org, *, month: date = THIS_MONTH, theme: str = "Neglect", agencies=None) -> PlannedRound:
    return schedule.add_planned_round(
        month=month, theme=theme, agencies=agencies or [org.social.name, org.health.name], note=None, created_by_id=None
    )


def form_data(org, **overrides) -> dict:
    return {
        "month": f"{THIS_MONTH:%Y-%m}",
        "theme": "Domestic abuse",
        "agencies": [org.social.name, org.health.name],
        "note": "With the police's public protection unit",
        **overrides,
    }


def error_summary(response) -> list[str]:
    box = soup(response).select_one(".govuk-error-summary")
    return [a.get_text(strip=True) for a in box.select("a")] if box else []


# ------------------------------------------------------------------------------------------------ adding


def test_the_coordinator_adds_a_planned_round_and_sees_it_in_its_month(client_for, org):
    client = client_for("qa_coordinator")
    response = post_form(client, f"/programme/schedule/new?year={YEAR}", form_data(org, month=f"{THIS_MONTH:%Y-%m}"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/programme/schedule?year={YEAR}")
    [planned] = db.session.scalars(select(PlannedRound)).all()
    assert (planned.month, planned.theme) == (THIS_MONTH, "Domestic abuse")
    assert planned.agencies == sorted([org.social.name, org.health.name])
    assert planned.note == "With the police's public protection unit"
    [event] = events("planned_round_added", planned.id)
    assert event.details["theme"] == "Domestic abuse" and event.details["month"] == THIS_MONTH.isoformat()
    page = soup(client.get(f"/programme/schedule?year={YEAR}"))
    row = page.select_one(f"#planned-{planned.id}")
    assert row.select_one("th").get_text(strip=True) == f"{THIS_MONTH:%B %Y}"
    assert "Domestic abuse" in row.get_text() and org.health.name in row.get_text()
    assert row.select_one(".govuk-tag").get_text(strip=True) == "Planned"
    assert len(page.select("tbody tr")) == 12  # every month of the year: eleven with nothing planned


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"theme": ""}, "Enter the theme of the round"),
        ({"theme": "x" * 121}, "The theme must be 120 characters or fewer"),
        ({"agencies": []}, "Select at least one agency"),
        ({"agencies": ["No such agency"]}, "Select the agencies from the list"),  # the form's check
        ({"month": ""}, "Select the month the round is to start in"),
        ({"month": "1999-01"}, "Select the month the round is to start in"),
    ],
)
def test_a_planned_round_with_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    client_for, org, overrides, message
):
    client = client_for("qa_coordinator")
    response = post_form(client, f"/programme/schedule/new?year={YEAR}", form_data(org, **overrides))
    assert response.status_code == 400
    assert message in error_summary(response)
    assert planned_count() == 0 and events("planned_round_added") == []


def test_the_domain_refuses_bad_input_too(org):
    with pytest.raises(DomainError, match="Enter the theme") as refused:
        schedule.add_planned_round(
            month=THIS_MONTH, theme="  ", agencies=[org.social.name], note=None, created_by_id=None
        )
    assert refused.value.field == "theme"
    with pytest.raises(DomainError, match="at least one agency"):
        schedule.add_planned_round(month=THIS_MONTH, theme="Neglect", agencies=[], note=None, created_by_id=None)
    with pytest.raises(DomainError, match="Select the month"):
        schedule.add_planned_round(
            month=None, theme="Neglect", agencies=[org.social.name], note=None, created_by_id=None
        )
    assert planned_count() == 0


def test_a_month_is_kept_as_its_first_day(org):
    planned = plan(org, month=date(2026, 9, 17))
    assert planned.month == date(2026, 9, 1)


# ------------------------------------------------------------------------------------------------ changing


def test_the_coordinator_changes_a_planned_round_and_the_trail_keeps_what_changed(client_for, org):
    planned = plan(org, month=date(YEAR, 6, 1))
    client = client_for("qa_coordinator")
    page = soup(client.get(f"/programme/schedule/{planned.id}/edit"))
    assert page.select_one("#theme")["value"] == "Neglect"
    assert page.select_one("#month option[selected]")["value"] == f"{YEAR}-06"
    data = form_data(org, month=f"{YEAR}-07", theme="Neglect and domestic abuse", agencies=[org.social.name], note="")
    response = post_form(client, f"/programme/schedule/{planned.id}/edit", data)
    assert response.status_code == 302
    planned = db.session.get(PlannedRound, planned.id)
    assert (planned.month, planned.theme, planned.agencies, planned.note) == (
        date(YEAR, 7, 1),
        "Neglect and domestic abuse",
        [org.social.name],
        None,
    )
    [event] = events("planned_round_changed", planned.id)
    assert event.details["changed"] == {
        "month": [f"{YEAR}-06-01", f"{YEAR}-07-01"],
        "theme": ["Neglect", "Neglect and domestic abuse"],
        "agencies": [sorted([org.social.name, org.health.name]), [org.social.name]],
    }


def test_saving_a_planned_round_unchanged_records_nothing(org):
    planned = plan(org)
    assert (
        schedule.change_planned_round(
            planned, month=planned.month, theme="Neglect", agencies=list(planned.agencies), note=None
        )
        == {}
    )
    assert events("planned_round_changed") == []


def test_a_change_with_bad_input_is_refused_and_nothing_changes(client_for, org):
    planned = plan(org)
    client = client_for("qa_coordinator")
    response = post_form(client, f"/programme/schedule/{planned.id}/edit", form_data(org, theme="", agencies=[]))
    assert response.status_code == 400
    assert error_summary(response) == ["Enter the theme of the round", "Select at least one agency"]
    planned = db.session.get(PlannedRound, planned.id)
    assert planned.theme == "Neglect" and events("planned_round_changed") == []


# ------------------------------------------------------------------------------------------------ dropping


def test_dropping_needs_a_reason_and_then_shows_it_on_the_schedule(client_for, org):
    planned = plan(org)
    client = client_for("qa_coordinator")
    response = post_form(client, f"/programme/schedule/{planned.id}/drop", {"reason": "  "})
    assert response.status_code == 400
    assert error_summary(response) == ["Enter why the planned round is being dropped"]
    planned = db.session.get(PlannedRound, planned.id)
    assert planned.dropped_at is None
    reason = "The police unit is being restructured; moved to next year"
    response = post_form(client, f"/programme/schedule/{planned.id}/drop", {"reason": reason})
    assert response.status_code == 302
    planned = db.session.get(PlannedRound, planned.id)
    assert planned.dropped_reason == reason and planned.dropped_at is not None
    [event] = events("planned_round_dropped", planned.id)
    assert event.details["reason"] == reason
    row = soup(client.get(f"/programme/schedule?year={YEAR}")).select_one(f"#planned-{planned.id}")
    assert row.select_one(".govuk-tag").get_text(strip=True) == "Dropped"
    assert reason in row.get_text() and "Change" not in row.get_text()


def test_a_dropped_planned_round_can_no_longer_change_or_be_linked(client_for, org):
    planned = plan(org)
    schedule.drop_planned_round(planned, reason="Not needed")
    audit_round = make_round("Neglect now", theme="Neglect")
    with pytest.raises(DomainError, match="dropped"):
        schedule.change_planned_round(planned, month=THIS_MONTH, theme="Other", agencies=[org.social.name], note=None)
    with pytest.raises(DomainError, match="dropped"):
        schedule.link_planned_round(planned, round_id=audit_round.id)
    with pytest.raises(DomainError, match="dropped"):
        schedule.drop_planned_round(planned, reason="Again")
    client = client_for("qa_coordinator")
    for page in ("edit", "link", "drop"):
        response = client.get(f"/programme/schedule/{planned.id}/{page}")
        assert response.status_code == 302 and "/programme/schedule" in response.headers["Location"]
    response = post_form(
        client, f"/programme/schedule/{planned.id}/link", {"round_id": audit_round.id}, token_from="/home"
    )
    assert response.status_code == 302
    planned = db.session.get(PlannedRound, planned.id)
    assert planned.round_id is None and events("planned_round_linked") == []


# ------------------------------------------------------------------------------------------------ linking


def test_linking_offers_first_the_rounds_with_the_theme_and_month_and_records_the_link(client_for, org):
    planned = plan(org, theme="Neglect")
    other = create_round(RoundSettings(name="Domestic abuse now", theme="Domestic abuse"), created_by_id=None)
    same = make_round("Neglect this month", theme="neglect")  # the same theme whatever the letter case
    cancelled = create_round(RoundSettings(name="Cancelled neglect", theme="Neglect"), created_by_id=None)
    cancel_round(cancelled, reason="Wrong settings", cancelled_by_id=None)
    assert schedule.link_candidates(planned) == [same, other]
    client = client_for("qa_coordinator")
    page = soup(client.get(f"/programme/schedule/{planned.id}/link"))
    labels = [label.get_text(strip=True) for label in page.select(".govuk-radios__label")]
    assert labels == ["Neglect this month (same theme, created this month)", "Domestic abuse now"]
    response = post_form(client, f"/programme/schedule/{planned.id}/link", {"round_id": same.id})
    assert response.status_code == 302
    planned = db.session.get(PlannedRound, planned.id)
    assert planned.round_id == same.id
    [event] = events("planned_round_linked", planned.id)
    assert event.details["round_id"] == same.id and event.details["previous_round_id"] is None
    row = soup(client.get(f"/programme/schedule?year={YEAR}")).select_one(f"#planned-{planned.id}")
    link = row.find("a", string="Neglect this month")
    assert link["href"] == f"/rounds/{same.id}"
    assert row.select_one(".govuk-tag").get_text(strip=True) == "Started"


def test_linking_without_a_choice_or_to_a_round_not_offered_is_refused(client_for, org):
    planned = plan(org)
    audit_round = make_round("Neglect this month", theme="Neglect")
    taken = plan(org, theme="Also neglect")
    schedule.link_planned_round(taken, round_id=audit_round.id)
    free = create_round(RoundSettings(name="Free round", theme="Neglect"), created_by_id=None)
    client = client_for("qa_coordinator")
    response = post_form(client, f"/programme/schedule/{planned.id}/link", {})
    assert response.status_code == 400
    assert error_summary(response) == ["Select the round that carries out this planned round"]
    response = post_form(client, f"/programme/schedule/{planned.id}/link", {"round_id": audit_round.id})
    assert response.status_code == 400  # linked to another planned round: not offered
    assert error_summary(response) == ["Select the round that carries out this planned round"]
    planned = db.session.get(PlannedRound, planned.id)
    assert planned.round_id is None
    assert [r.id for r in schedule.link_candidates(planned)] == [free.id]
    with pytest.raises(DomainError, match="already carries out another planned round") as refused:
        schedule.link_planned_round(planned, round_id=audit_round.id)
    assert refused.value.field == "round_id"


def test_a_cancelled_round_cannot_be_linked(org):
    planned = plan(org)
    audit_round = create_round(RoundSettings(name="Soon cancelled", theme="Neglect"), created_by_id=None)
    cancel_round(audit_round, reason="Plans changed", cancelled_by_id=None)
    with pytest.raises(DomainError, match="was cancelled"):
        schedule.link_planned_round(planned, round_id=audit_round.id)
    assert planned.round_id is None


def test_linking_again_to_the_same_round_records_nothing(org):
    planned = plan(org)
    audit_round = make_round("Neglect this month", theme="Neglect")
    assert schedule.link_planned_round(planned, round_id=audit_round.id) is True
    assert schedule.link_planned_round(planned, round_id=audit_round.id) is False
    assert len(events("planned_round_linked", planned.id)) == 1


def test_the_schedule_suggests_an_unlinked_round_with_the_theme_created_in_the_month(client_for, org):
    planned = plan(org, theme="Domestic abuse")
    elsewhere = plan(org, month=_months_ago(2), theme="Domestic abuse")
    audit_round = create_round(RoundSettings(name="DA round", theme="DOMESTIC ABUSE"), created_by_id=None)
    client = client_for("qa_coordinator")
    page = soup(client.get(f"/programme/schedule?year={YEAR}"))
    row = page.select_one(f"#planned-{planned.id}")
    assert "Suggested: DA round" in row.get_text(" ", strip=True).replace("  ", " ")
    assert row.find("a", string="DA round")["href"] == f"/rounds/{audit_round.id}"
    if Quarter.of(elsewhere.month).year == YEAR:  # two months ago may be in last year's schedule
        assert "Suggested" not in page.select_one(f"#planned-{elsewhere.id}").get_text()
    planned = db.session.get(PlannedRound, planned.id)
    assert planned.round_id is None  # a suggestion only: linking is explicit
    schedule.link_planned_round(planned, round_id=audit_round.id)
    assert "Suggested" not in soup(client.get(f"/programme/schedule?year={YEAR}")).get_text()


# ------------------------------------------------------------------------------------------------ statuses


def _status(planned: PlannedRound, today: date = TODAY) -> PlannedStatus:
    db.session.flush()
    db.session.expire_all()
    return schedule.status_of(planned, today=today)


def test_each_status_follows_the_rule(org):
    from auditapp.domain.publishing import publish

    future = plan(org, month=date(2031, 5, 1))
    assert _status(future) == PlannedStatus.PLANNED
    past = plan(org, month=date(2025, 5, 1), theme="Past")
    assert _status(past) == PlannedStatus.LATE
    assert _status(past, today=date(2025, 5, 31)) == PlannedStatus.PLANNED  # its month has not ended yet
    assert _status(past, today=date(2025, 6, 1)) == PlannedStatus.LATE

    undrawn = create_round(RoundSettings(name="Not drawn", theme="Past"), created_by_id=None)
    schedule.link_planned_round(past, round_id=undrawn.id)
    assert _status(past) == PlannedStatus.LATE  # a round not drawn does not carry it out yet

    drawn = make_round("Drawn", theme="Past")
    schedule.link_planned_round(past, round_id=drawn.id)
    assert _status(past) == PlannedStatus.STARTED

    publish(drawn, pdf=b"%PDF-1.7 interim", pages=1, as_of=utcnow(), missing=["2 audits"], interim_reason="Board")
    assert _status(past) == PlannedStatus.STARTED  # an interim report is not the round done
    publish(drawn, pdf=b"%PDF-1.7 full", pages=1, as_of=utcnow(), change_reason="All audits in")
    assert _status(past) == PlannedStatus.DONE

    schedule.drop_planned_round(future, reason="Merged with another round")
    assert _status(future) == PlannedStatus.DROPPED


def test_a_withdrawn_report_or_a_cancelled_round_undoes_done(org):
    from auditapp.domain.publishing import publish, withdraw

    planned = plan(org, month=date(2025, 5, 1))
    audit_round = make_round("Published then withdrawn", theme="Neglect")
    schedule.link_planned_round(planned, round_id=audit_round.id)
    report = publish(audit_round, pdf=b"%PDF-1.7 full", pages=1, as_of=utcnow())
    assert _status(planned) == PlannedStatus.DONE
    withdraw(report, reason="A wrong figure")
    assert _status(planned) == PlannedStatus.STARTED
    cancel_round(audit_round, reason="Abandoned", cancelled_by_id=None)
    assert _status(planned) == PlannedStatus.LATE


def test_the_schedule_page_shows_each_status_with_its_round(client_for, org):
    from auditapp.domain.publishing import publish

    done = plan(org, theme="Done one")
    audit_round = make_round("The done round", theme="Done one")
    schedule.link_planned_round(done, round_id=audit_round.id)
    publish(audit_round, pdf=b"%PDF-1.7 full", pages=1, as_of=utcnow())
    late = plan(org, month=date(YEAR, 4, 1), theme="Late one") if date(YEAR, 4, 1) != THIS_MONTH else None
    client = client_for("qa_coordinator")
    page = soup(client.get(f"/programme/schedule?year={YEAR}"))
    assert page.select_one(f"#planned-{done.id} .govuk-tag").get_text(strip=True) == "Done"
    if late is not None:
        assert page.select_one(f"#planned-{late.id} .govuk-tag").get_text(strip=True) == "Late"
    assert page.select_one("caption").get_text(strip=True) == f"Planned rounds, {Quarter(YEAR, 1).year_label}"


def test_the_year_switcher_shows_another_year_and_ignores_nonsense(client_for, org):
    last_year = plan(org, month=date(YEAR - 1, 10, 1), theme="Last year's")
    client = client_for("qa_coordinator")
    page = soup(client.get("/programme/schedule"))
    assert page.select_one("h1").get_text(strip=True) == f"Audit schedule {Quarter(YEAR, 1).year_label}"
    assert page.select_one(f"#planned-{last_year.id}") is None
    link = page.find("a", string=f"Audit schedule {Quarter(YEAR - 1, 1).year_label}")
    assert link["href"] == f"/programme/schedule?year={YEAR - 1}"
    page = soup(client.get(f"/programme/schedule?year={Quarter(YEAR - 1, 1).year_label}"))
    assert page.select_one(f"#planned-{last_year.id}") is not None
    for nonsense in ("abc", "99999999999999999999", "1066", ""):
        response = client.get(f"/programme/schedule?year={nonsense}")
        assert response.status_code == 200
        assert soup(response).select_one("h1").get_text(strip=True).endswith(Quarter(YEAR, 1).year_label)


# ------------------------------------------------------------------------------------------------ access


@pytest.mark.parametrize("role", ["auditor", "board_member", "admin"])
def test_only_the_coordinator_may_use_the_schedule(client_for, org, role):
    planned = plan(org)
    client = client_for(role)
    for path in ("", "/new", f"/{planned.id}/edit", f"/{planned.id}/link", f"/{planned.id}/drop"):
        assert client.get(f"/programme/schedule{path}").status_code == 403
    response = post_form(client, f"/programme/schedule/{planned.id}/drop", {"reason": "No"}, token_from="/home")
    assert response.status_code == 403
    planned = db.session.get(PlannedRound, planned.id)
    assert planned.dropped_at is None


def test_a_missing_planned_round_is_a_404(client_for, org):
    client = client_for("qa_coordinator")
    for page in ("edit", "link", "drop"):
        assert client.get(f"/programme/schedule/999999/{page}").status_code == 404


def test_the_trail_describes_the_schedule_in_words(org):
    from auditapp.domain.trail.describe import describe

    planned = plan(org, month=date(2026, 9, 1), theme="Neglect")
    [described] = describe(events("planned_round_added", planned.id))
    assert described.action == "Added a planned round to the audit schedule"
    assert described.object == "planned round Neglect, September 2026"


# ------------------------------------------------------------------------------------------------ the demo's data


def test_the_demos_returns_are_plausible_and_the_same_on_every_load():
    from auditapp.demo.facts import AGENCIES
    from auditapp.demo.programme import RETURN_SHAPES, _return_numbers, demo_return_quarters
    from auditapp.models import Agency

    quarters = demo_return_quarters(date(2026, 12, 3))
    # today is in 2026-27 Q3 (October to December): the six quarters before it
    assert [q.key for q in quarters] == ["2025-q1", "2025-q2", "2025-q3", "2025-q4", "2026-q1", "2026-q2"]
    for name, kind in AGENCIES:
        agency = Agency(id=1, name=name, kind=kind)
        (low, high), themes, _ = RETURN_SHAPES[kind]
        for quarter in quarters:
            returned = _return_numbers(agency, quarter)
            assert low <= returned.audited <= high
            assert 0 <= returned.ungraded <= returned.audited
            assert all(count >= 0 for count in returned.grade_counts().values())
            assert 1 <= len(returned.themes) <= 3 and set(returned.themes) <= set(themes)
            assert returned.key_learning.endswith(".")
            again = _return_numbers(agency, quarter)
            assert (again.audited, again.grade_counts(), again.themes) == (
                returned.audited,
                returned.grade_counts(),
                returned.themes,
            )


def test_the_dashboard_gives_each_planned_round_the_status_the_schedule_gives_it(org):
    from auditapp.domain.publishing import publish
    from auditapp.programme.figures import build_dashboard
    from auditapp.programme.figures_types import Filters

    done = plan(org, month=date(YEAR, 4, 1), theme="Done one")
    audit_round = make_round("The done round", theme="Done one")
    schedule.link_planned_round(done, round_id=audit_round.id)
    publish(audit_round, pdf=b"%PDF-1.7 full", pages=1, as_of=utcnow())
    plan(org, month=date(YEAR, 4, 1), theme="Late unless April")
    plan(org, month=date(YEAR + 1, 3, 1), theme="Still to come")
    schedule.drop_planned_round(plan(org, month=date(YEAR, 5, 1), theme="Dropped one"), reason="Not needed")
    started = plan(org, month=date(YEAR, 6, 1), theme="Started one")
    schedule.link_planned_round(started, round_id=make_round("The started round", theme="Started one").id)
    db.session.flush()
    on_page = {entry.planned.id: str(entry.status) for entry in schedule.schedule(YEAR)}
    dashboard = build_dashboard(Filters(first=Quarter(YEAR, 1), last=Quarter(YEAR, 4)), as_of=utcnow())
    assert {row.planned_id: row.status for row in dashboard.schedule} == on_page
    assert len(set(on_page.values())) >= 4  # done, dropped, started, planned (and late unless it is April)
