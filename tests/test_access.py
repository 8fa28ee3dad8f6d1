"""Every route and who may use it. Adding a route without adding it here fails this test.

For each route and each role (and signed out) the test makes the request and checks the answer is the one in the
table: "ok" (the page or an ordinary redirect), "login" (sent to the sign-in page) or "forbidden" (403).
Routes that change data are also POSTed (with a valid CSRF token) by every role that may NOT use them.
"""

from __future__ import annotations

import pytest

from auditapp.extensions import db
from tests.conftest import csrf_token

ANON, ADMIN, QA, AUDITOR, BOARD = "anonymous", "admin", "qa_coordinator", "auditor", "board_member"
OWNER = "action_owner"  # issue 16: owns the fixture's action
SIGNED_IN = {ADMIN, QA, AUDITOR, BOARD, OWNER}
EVERYONE = SIGNED_IN | {ANON}
ROLES = [ANON, ADMIN, QA, AUDITOR, BOARD, OWNER]

# endpoint -> roles allowed (a set), or an explicit answer per role (a dict) where the rule is not a role rule.
ACCESS: dict[str, set[str] | dict[str, str]] = {
    "static": EVERYONE,
    "govuk_assets": EVERYONE,
    "govuk_dist": EVERYONE,
    "main.index": {ANON: "login", ADMIN: "ok", QA: "ok", AUDITOR: "ok", BOARD: "ok", OWNER: "ok"},  # to home
    "main.healthz": EVERYONE,
    "main.accessibility": EVERYONE,
    "main.home": SIGNED_IN,
    # A job's status is for the person who started it; everyone else gets a 404.
    "main.job_status": {ANON: "login", ADMIN: "status 404", QA: "ok", AUDITOR: "status 404", BOARD: "status 404"},
    "main.job_status_json": {ANON: "login", ADMIN: "status 404", QA: "ok", AUDITOR: "status 404", BOARD: "status 404"},
    # (the action owner's answers on these two: the auditor's, see expected())
    "auth.sign_in": EVERYONE,
    # Only reachable half-way through signing in (after the password): anyone else is sent to sign in.
    "auth.two_factor": {ANON: "login", ADMIN: "login", QA: "login", AUDITOR: "login", BOARD: "login", OWNER: "login"},
    # Signed-in users may enrol voluntarily; signed-out visitors only half-way through signing in.
    "auth.two_factor_setup": {ANON: "login", ADMIN: "ok", QA: "ok", AUDITOR: "ok", BOARD: "ok", OWNER: "ok"},
    "auth.sign_out_view": SIGNED_IN,
    "auth.account": SIGNED_IN,
    "auth.password": SIGNED_IN,
    "auth.account_two_factor": SIGNED_IN,
    "auth.sessions": SIGNED_IN,
    # Ending a session: only your own (another user's is a 404, tested in test_sign_in_security.py).
    "auth.session_end": SIGNED_IN,
    "auth.sessions_end_others": SIGNED_IN,
    "admin.users": {ADMIN},
    "admin.user_new": {ADMIN},
    "admin.user_edit": {ADMIN},
    "admin.user_deactivate": {ADMIN},
    "admin.user_set_password": {ADMIN},
    "admin.user_reset_two_factor": {ADMIN},
    "admin.agencies": {ADMIN},
    "admin.agency_new": {ADMIN},
    "admin.agency_edit": {ADMIN},
    "admin.localities": {ADMIN},
    "admin.locality_new": {ADMIN},
    "admin.locality_edit": {ADMIN},
    "admin.team_new": {ADMIN},
    "admin.team_edit": {ADMIN},
    "admin.audit_trail": {ADMIN},
    "admin.audit_trail_verify": {ADMIN},
    "admin.tools": {ADMIN},
    "admin.tool_load": {ADMIN},
    "admin.tool_preview": {ADMIN},
    "cases.index": {QA},
    "cases.show": {QA},
    "cases.upload": {QA},
    "cases.check": {QA},
    "cases.history": {QA},
    "cases.export": {QA},
    "cases.mapping": {QA},
    "cases.mapping_upload": {QA},
    "cases.mapping_row": {QA},
    "cases.mapping_remove": {QA},
    "cases.mapping_download": {QA},
    "rounds.index": {QA},
    "rounds.new": {QA},
    "rounds.show": {QA},
    "rounds.draw": {QA},
    "rounds.freeze": {QA},
    "rounds.certificate": {QA},
    "rounds.replace": {QA},
    "rounds.assign_auto": {QA},
    "rounds.assign_manual": {QA},
    "rounds.remove_assignment": {QA},
    # Issue 13: changing people (rounds/people_routes.py): the automatic-assignment preview, another auditor.
    "rounds.assign_auto_preview": {QA},
    "rounds.change_auditor": {QA},
    "rounds.change_auditor_start_again": {QA},
    "rounds.export": {QA},
    "rounds.edit": {QA},  # issue 13: changing plans (rounds/lifecycle_routes.py)
    "rounds.cancel": {QA},
    "rounds.moderation_setting": {QA},  # issue 14: blind or open, until moderation begins
    # Auditors reach only their own assignments (the fixture's assignment is the auditor's, as lead).
    "audits.task_list": {AUDITOR},
    "audits.section": {AUDITOR},
    "audits.check": {AUDITOR},
    "audits.concern": {AUDITOR},
    "audits.joint": {AUDITOR},
    "moderation.moderate_audit": {QA},
    "moderation.concern": {QA},
    "findings.round_findings": {QA},
    "findings.add_action": {QA},
    # Issue 16: an action's page and its progress form are open to its owner too (the fixture's action is the
    # action owner's); anyone else who may not see it gets a 404 (an owner does not learn of others' actions).
    "findings.action": {ANON: "login", ADMIN: "status 404", QA: "ok", AUDITOR: "status 404", BOARD: "ok", OWNER: "ok"},
    "findings.action_update": {
        ANON: "login",
        ADMIN: "status 404",
        QA: "ok",
        AUDITOR: "status 404",
        BOARD: "forbidden",  # the board reads the (published) action but does not record progress
        OWNER: "ok",
    },
    "findings.action_plan": {QA, BOARD},
    # issue 13: changing findings and actions (findings/change_routes.py); the fixture's report is published, so
    # these answer with a redirect that says why (the GET pages themselves are tested in test_changes.py).
    "findings.edit_finding": {QA},
    "findings.delete_finding": {QA},
    "findings.edit_action": {QA},
    "findings.delete_action": {QA},
    "findings.board_statement": {QA},  # issue 14: the QA group's statement for the Board (findings/board_routes.py)
    "reports.published": {QA, BOARD},
    "reports.download": {QA, BOARD},
    "reports.preview": {QA},
    "reports.draft_pdf": {QA},
    "reports.publish": {QA},
    "reports.withdraw": {QA},
    "admin.tool_save": {ADMIN},  # issue 15: tools as spreadsheets: check, save and download
    "admin.tool_download": {ADMIN},
    # issue 15: the people around the child and the feedback letter: the case's lead auditor and QA coordinators.
    "audits.people": {AUDITOR, QA},
    "audits.people_worker": {AUDITOR, QA},
    "audits.people_manager": {AUDITOR, QA},
    "audits.people_family": {AUDITOR, QA},
    "audits.people_remove": {AUDITOR, QA},
    "audits.feedback_letter": {AUDITOR, QA},
    "audits.feedback_letter_pdf": {AUDITOR, QA},
    "admin.learning_items": {ADMIN, QA},  # issue 15: the QA coordinator reads the list; only the admin changes it
    "admin.learning_new": {ADMIN},
    "admin.learning_edit": {ADMIN},
    "admin.learning_retire": {ADMIN},
    "findings.reaudit_round": {QA},
    "findings.briefing_pdf": {QA, BOARD},  # the board once the round's report is published (it is, in the fixture)
}

# Issue 16: each part's routes are in a file of its own (tests/access_rows_*.py: ROWS, and extra_objects(org, users)
# for the objects its routes need), merged here.
ROW_MODULES = ["worker", "notify", "actions", "sso", "dashboard", "returns", "schedule"]


def _row_modules():
    import importlib

    return [importlib.import_module(f"tests.access_rows_{name}") for name in ROW_MODULES]


for _module in _row_modules():
    assert not set(_module.ROWS) & set(ACCESS), f"{_module.__name__} repeats a route of the table"
    ACCESS.update(_module.ROWS)

FILENAMES = {"static": "app.css", "govuk_assets": "images/favicon.ico", "govuk_dist": "govuk-frontend.min.css"}


def expected(endpoint: str, role: str) -> str:
    rule = ACCESS[endpoint]
    if isinstance(rule, dict):
        # Issue 16: a dict row written without the action owner answers them as it answers the auditor: both are
        # signed-in users with rights over their own objects only (the owner's own action is in the rows above).
        return rule[role] if role in rule or role != OWNER else rule[AUDITOR]
    if role in rule:
        return "ok"
    return "login" if role == ANON else "forbidden"


def classify(response) -> str:
    if response.status_code == 403:
        return "forbidden"
    if response.status_code in (301, 302, 303) and "/sign-in" in response.headers["Location"].split("?")[0]:
        return "login"
    if response.status_code < 400 or response.status_code == 400:
        return "ok"
    return f"status {response.status_code}"


def _url(app, rule, objects) -> str:
    from flask import url_for

    args = {}
    for name in rule.arguments:
        if name == "filename":
            args[name] = FILENAMES[rule.endpoint]
        elif name == "token":
            args[name] = "no-such-upload"
        elif name in ("section_id", "fmt", "key", "version"):
            args[name] = {
                "section_id": "childs_voice",
                "fmt": "csv",
                "key": "multi_agency_case_file_audit",
                "version": 1,
            }[name]
        elif name in rule.defaults or {}:
            continue
        else:
            args[name] = objects[name]
    with app.test_request_context():
        return url_for(rule.endpoint, **args)


@pytest.fixture
def objects(org, users):
    from auditapp.domain.audits import open_audit
    from auditapp.domain.concerns import raise_concern
    from tests.factories import make_round

    audit_round = make_round(
        mode="multi-agency", agencies=[org.social.name, org.health.name], lead_agency=org.social.name
    )
    sampled = audit_round.sampled[0]
    mine = next(a for a in sampled.assignments if a.auditor_id == users["auditor"].id)
    assert mine.lead
    audit = open_audit(mine)
    from auditapp.domain.context import ActorContext, acting_as

    with acting_as(ActorContext(user_id=users["auditor"].id, email=users["auditor"].email, role="auditor")):
        concern = raise_concern(sampled, description="Test concern")
    from datetime import date

    from auditapp.domain.findings import add_action, add_finding
    from auditapp.domain.publishing import publish
    from auditapp.models.types import utcnow

    finding = add_finding(audit_round, title="F", so_what="S")
    action = add_action(  # issue 16: owned by the action owner, so "own action" pages answer them
        finding, description="A", agency_id=org.social.id, owner_id=users[OWNER].id, due_date=date(2030, 1, 1)
    )
    report = publish(audit_round, pdf=b"%PDF-1.7 test", pages=1, as_of=utcnow())
    from auditapp.models import Job

    job = Job(kind="case_import", status="done", user_id=users["qa_coordinator"].id, payload={}, message="Done")
    db.session.add(job)
    from auditapp.domain.user_sessions import start_pending
    from auditapp.models import UserSession

    start_pending(users["board_member"], ip_address=None, user_agent=None, next_url=None)
    user_session = db.session.scalars(db.select(UserSession)).first()
    from auditapp.domain.learning import save_item as learning_save_item

    extra = {}
    for module in _row_modules():
        extra.update(module.extra_objects(org, users))
    return {
        **extra,
        "user_session_id": user_session.id,
        "user_id": users["board_member"].id,
        "agency_id": org.health.id,
        "locality_id": org.south.id,
        "team_id": org.cp_south.id,
        "case_id": sampled.case_id,
        "round_id": audit_round.id,
        "sampled_id": sampled.id,
        "assignment_id": mine.id,
        "audit_id": audit.id,
        "concern_id": concern.id,
        "finding_id": finding.id,
        "action_id": action.id,
        "report_id": report.id,
        "job_id": job.id,
        "learning_item_id": learning_save_item(None, kind="priority", title="Neglect").id,  # issue 15, helper E
    }


def test_every_route_is_in_the_access_table_and_every_view_declares_its_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ACCESS.keys() == set(), "routes missing from the access table"
    assert ACCESS.keys() - endpoints == set(), "the access table names routes that do not exist"
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":  # Flask's own static files
            assert hasattr(view, "access_rule"), f"{endpoint} has no access decorator"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(app, client_for, objects, role):
    client = client_for(role)
    mismatches = []
    # One token for the client's session (Flask-WTF keeps it in the session; a stale one would answer 400, which
    # classifies as "ok" and so would be a mismatch here, never a pass): not a GET of a page before every POST.
    token = csrf_token(client, "/home" if role != ANON else "/sign-in")
    for rule in app.url_map.iter_rules():
        url = _url(app, rule, objects)
        if "GET" in rule.methods:
            got = classify(client.get(url))
            if got != expected(rule.endpoint, role):
                mismatches.append(f"GET {url}: expected {expected(rule.endpoint, role)}, got {got}")
        if "POST" in rule.methods and expected(rule.endpoint, role) != "ok":
            got = classify(client.post(url, data={"csrf_token": token}))
            if got != expected(rule.endpoint, role):
                mismatches.append(f"POST {url}: expected {expected(rule.endpoint, role)}, got {got}")
    assert mismatches == []


def test_a_missing_object_is_404_before_the_role_check(client_for):
    for role in (AUDITOR, ADMIN):
        assert client_for(role).get("/admin/users/999999").status_code == 404


def test_an_auditor_gets_404_for_another_auditors_audit(client_for, objects):
    peer = client_for("peer")
    for path in ("", "/section/childs_voice", "/check", "/concern", "/joint"):
        assert peer.get(f"/audits/{objects['assignment_id']}{path}").status_code == 404, path
    token = csrf_token(peer, "/home")
    assert (
        peer.post(
            f"/audits/{objects['assignment_id']}/concern", data={"csrf_token": token, "description": "x"}
        ).status_code
        == 404
    )


def test_signed_out_visitors_are_sent_to_sign_in_even_for_missing_objects(client_for):
    response = client_for(ANON).get("/admin/users/999999")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
