"""Human words on the coordinator's round page (issue 13, "Words"): no status codes, shell commands, tool keys or
"cli:" operators reach a user."""

from __future__ import annotations

from auditapp.domain.context import acting_as, cli_actor
from tests.conftest import soup
from tests.factories import make_round


def test_the_round_page_speaks_in_words(actor, client_for, org, users):
    with acting_as(cli_actor("cli:root")):
        audit_round = make_round(statuses=["cin", "cp"], cases=12)
    text = soup(client_for("qa_coordinator").get(f"/rounds/{audit_round.id}")).get_text(" ")
    assert "Child in need" in text and "Child protection plan" in text
    assert "cin, cp" not in text and "python -m" not in text and "multi_agency" not in text
    assert "cli:root" not in text and "the command line (operator root)" in text


def test_a_cancelled_round_offers_nothing_more_to_do(actor, client_for, org, users):
    from auditapp.domain.rounds import cancel_round

    audit_round = make_round(cases=10)
    cancel_round(audit_round, reason="Merged into the spring round", cancelled_by_id=None)
    page = soup(client_for("qa_coordinator").get(f"/rounds/{audit_round.id}"))
    text = page.get_text(" ")
    assert "Merged into the spring round" in text
    links = {a.get_text(" ", strip=True) for a in page.select("main a")}
    assert not any(t.startswith(("Assign", "Replace", "Change auditor", "Remove")) for t in links), links
    assert not page.select("form[action$='/draw']")
