"""The audit-trail page in words (issue 13, "Words"): no action codes, object ids or "cli:root" reach the admin."""

from __future__ import annotations

import re

from auditapp.domain.context import acting_as, cli_actor
from auditapp.domain.trail.describe import ACTIONS, action_words, describe
from auditapp.domain.trail.events import record_event
from auditapp.extensions import db
from tests.conftest import soup

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # an action or object code such as sign_in or agency_audit


def test_every_action_the_code_records_has_words():
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "auditapp"
    recorded = set()
    for path in package.rglob("*.py"):
        text = path.read_text()
        recorded |= set(re.findall(r'record_(?:event|refusal)\(\s*"([a-z_]+)"', text))
        recorded |= set(re.findall(r'refused\(\s*"([a-z_]+)"', text))
    assert recorded and recorded - set(ACTIONS) == set()


def test_an_action_without_words_yet_is_still_readable():
    assert action_words("round_frobnicated") == "Round frobnicated"


def test_the_trail_page_names_people_and_objects_and_links_what_the_admin_can_open(client_for, users):
    admin = client_for("admin")
    with acting_as(cli_actor("cli:root")):
        record_event("user_updated", object_type="user", object_id=users["auditor"].id)
    db.session.commit()
    page = soup(admin.get("/admin/audit-trail"))
    text = page.select_one("table").get_text(" ")
    assert "The command line (operator root)" in text and "cli:root" not in text
    assert f"{users['auditor'].name} ({users['auditor'].email})" in text
    assert "Signed in" in text
    link = page.find("a", string=re.compile(users["auditor"].email))
    assert link and link["href"] == f"/admin/users/{users['auditor'].id}"
    codes = {c for c in CODE.findall(text) if "@" not in c}
    assert codes == set(), codes


def test_a_refused_page_is_described_by_its_path(actor):
    from auditapp.domain.refusals import record_refused_request

    record_refused_request(
        "access_refused", status=403, method="GET", endpoint="rounds.show", path="/rounds/7", view_args={"round_id": 7}
    )
    from sqlalchemy import select

    from auditapp.models import AuditEvent

    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    [described] = describe([event])
    assert described.action == "Was refused access to a page" and described.object == "page /rounds/7"
