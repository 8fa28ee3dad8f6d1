"""Admin pages: users, agencies, localities and teams, each change an audit event."""

from __future__ import annotations

from sqlalchemy import select

from auditapp.extensions import db
from auditapp.models import Agency, AuditEvent, AuditorType, Locality, Role, Team, User
from tests.conftest import post_form, soup


def last_event(action: str) -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()


def test_admin_creates_a_peer_auditor_and_the_change_is_audited(client_for, org, users):
    admin = client_for("admin")
    response = post_form(
        admin,
        "/admin/users/new",
        {
            "name": "Pat Peer",
            "email": "Pat.Peer@Example.org",
            "role": "auditor",
            "auditor_type": "peer",
            "agency_id": str(org.social.id),
            "team_id": str(org.cp_south.id),
            "active": "y",
            "password": "a-long-enough-pass-phrase",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "pat.peer@example.org"))
    assert user.role is Role.AUDITOR and user.auditor_type is AuditorType.PEER and user.team_id == org.cp_south.id
    event = last_event("user_created")
    assert event.object_id == str(user.id) and event.actor_id == users["admin"].id
    assert event.details["role"] == "auditor" and "password" not in str(event.details)


def test_creating_a_user_with_problems_names_each_one(client_for, users):
    admin = client_for("admin")
    response = post_form(
        admin, "/admin/users/new", {"name": "", "email": "not-an-email", "role": "auditor", "password": "x"}
    )
    assert response.status_code == 400
    summary = soup(response).select_one(".govuk-error-summary").get_text()
    assert "Enter the user's full name" in summary
    assert "Enter an email address in the correct format" in summary
    assert "Select whether the auditor is independent or a peer" in summary


def test_a_peer_auditor_needs_a_team_of_their_agency(client_for, org):
    admin = client_for("admin")
    response = post_form(
        admin,
        "/admin/users/new",
        {
            "name": "Pat",
            "email": "pat@example.org",
            "role": "auditor",
            "auditor_type": "peer",
            "agency_id": str(org.health.id),
            "team_id": str(org.cp_south.id),
            "password": "a-long-enough-pass-phrase",
        },
    )
    assert response.status_code == 400
    assert "The team must belong to the selected agency" in soup(response).get_text()
    assert db.session.scalar(select(User).where(User.email == "pat@example.org")) is None


def test_a_duplicate_email_is_refused(client_for, users):
    response = post_form(
        client_for("admin"),
        "/admin/users/new",
        {
            "name": "Again",
            "email": users["auditor"].email.upper(),
            "role": "board_member",
            "password": "a-long-enough-pass-phrase",
        },
    )
    assert response.status_code == 400
    assert "already exists" in soup(response).get_text()


def test_admin_edits_a_user_and_only_the_changes_are_recorded(client_for, users, org):
    board = users["board_member"]
    response = post_form(
        client_for("admin"),
        f"/admin/users/{board.id}",
        {"name": "Bea Renamed", "email": board.email, "role": "board_member", "active": "y"},
    )
    assert response.status_code == 302
    assert db.session.get(User, board.id).name == "Bea Renamed"
    assert last_event("user_updated").details["changes"] == {"name": ["Board", "Bea Renamed"]}


def test_admin_cannot_deactivate_themselves(client_for, users):
    admin = client_for("admin")
    response = post_form(
        admin, f"/admin/users/{users['admin'].id}", {"name": "Admin", "email": users["admin"].email, "role": "admin"}
    )
    assert response.status_code == 400
    assert db.session.get(User, users["admin"].id).active


def test_admin_manages_agencies_localities_and_teams(client_for, org):
    admin = client_for("admin")
    assert (
        post_form(admin, "/admin/agencies/new", {"name": "Test Police", "kind": "police", "active": "y"}).status_code
        == 302
    )
    police = db.session.scalar(select(Agency).where(Agency.name == "Test Police"))
    assert (
        post_form(admin, f"/admin/agencies/{police.id}", {"name": "Test Constabulary", "kind": "police"}).status_code
        == 302
    )
    assert db.session.get(Agency, police.id).name == "Test Constabulary"
    assert db.session.get(Agency, police.id).active is False
    assert post_form(admin, "/admin/localities/new", {"name": "Test East", "active": "y"}).status_code == 302
    east = db.session.scalar(select(Locality).where(Locality.name == "Test East"))
    assert (
        post_form(
            admin,
            "/admin/teams/new",
            {"name": "PPU East", "agency_id": str(police.id), "locality_id": str(east.id), "active": "y"},
        ).status_code
        == 302
    )
    team = db.session.scalar(select(Team).where(Team.name == "PPU East"))
    assert team.agency_id == police.id and team.locality_id == east.id
    actions = {e.action for e in db.session.scalars(select(AuditEvent))}
    assert {"agency_created", "agency_updated", "locality_created", "team_created"} <= actions
    page = soup(admin.get("/admin/localities")).get_text()
    assert "PPU East" in page and "Test East" in page


def test_a_duplicate_team_name_in_an_agency_is_a_form_error(client_for, org):
    response = post_form(client_for("admin"), "/admin/teams/new", {"name": "CP North", "agency_id": str(org.social.id)})
    assert response.status_code == 400
    assert "already has a team with this name" in soup(response).get_text()


def test_the_audit_trail_page_lists_events_newest_first(client_for, users):
    page = soup(client_for("admin").get("/admin/audit-trail"))
    rows = page.select("tbody tr")
    assert rows and "Signed in" in rows[0].get_text()  # in words: the newest event is the admin's own sign-in


def test_admin_loads_a_new_tool_version_sees_errors_and_previews_it(client_for):
    import io
    import json

    from auditapp.tools import builtin_tool, tool_to_json
    from tests.conftest import csrf_token

    admin = client_for("admin")
    bad = {
        "key": "broken",
        "version": 1,
        "title": "Broken",
        "sections": [{"id": "a", "questions": [{"id": "q", "text": "Q", "type": "no_such_type"}]}],
    }
    response = admin.post(
        "/admin/tools/load",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(admin, "/admin/tools/load"),
            "definition": (io.BytesIO(json.dumps(bad).encode()), "broken.json"),
        },
    )
    assert response.status_code == 400
    summary = soup(response).select_one(".govuk-error-summary").get_text()
    assert "sections[0]" in summary and "type" in summary
    definition = tool_to_json(builtin_tool(key="multi_agency_case_file_audit"))
    definition["version"] += 1
    definition["title"] += " (revised)"  # a new version must change something: an unchanged one saves nothing
    check = admin.post(
        "/admin/tools/load",
        content_type="multipart/form-data",
        data={
            "csrf_token": csrf_token(admin, "/admin/tools/load"),
            "definition": (io.BytesIO(json.dumps(definition).encode()), "v3.json"),
        },
    )
    assert check.status_code == 200  # checked and compared first; saved from the check page
    save_form = soup(check).select_one("form[action$='/admin/tools/save']")
    ok = admin.post("/admin/tools/save", data={i["name"]: i.get("value", "") for i in save_form.select("input[name]")})
    version = definition["version"]
    assert ok.status_code == 302 and ok.headers["Location"].endswith(
        f"/admin/tools/multi_agency_case_file_audit/{version}"
    )
    preview = soup(admin.get(ok.headers["Location"])).get_text()
    assert "Was the child seen alone?" in preview and "child_seen_alone" in preview
    versions = [tr.select("td")[1].get_text(strip=True) for tr in soup(admin.get("/admin/tools")).select("tbody tr")]
    assert str(version) in versions
