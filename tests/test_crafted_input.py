"""Penetration-test findings "crafted input gives a 500": each crafted request now gets a 4xx, never a 500.

- ids of 2^63 or more in the URL (nor 2^31 or more, which PostgreSQL's INTEGER id columns cannot hold);
- huge, negative, zero and non-numeric page numbers and ids in query arguments;
- an audit tool definition nested 10,000 deep, or with a 5,000-digit number;
- an oversized or malformed Host header (answered 400 with the usual security headers).
"""

from __future__ import annotations

import http.client
import json
import re
import threading

import pytest
from flask import url_for

from auditapp.domain.trail.events import record_event
from auditapp.tools import ToolDefinitionError, builtin_tool, parse_tool_json, tool_to_json
from tests.conftest import csrf_token, soup
from tests.test_access import FILENAMES, expected, objects  # noqa: F401 - objects is a fixture

INT_ARG = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
# Beyond PostgreSQL's INTEGER (2^31 and up) and SQLite's (2^63 and up); 2^31 - 1 fits but names nothing: also 404.
HUGE_IDS = [2**63, 10**30, 2**63 - 1, 2**31, 2**31 - 1]
ROLES = ("admin", "qa_coordinator", "auditor", "board_member", "action_owner")
OTHER_ARGS = {"section_id": "childs_voice", "fmt": "csv", "key": "multi_agency_case_file_audit"}


def _int_rules(app):
    return [rule for rule in app.url_map.iter_rules() if INT_ARG.search(rule.rule)]


def _privileged_role(endpoint: str) -> str:
    # A route no role may open in the access fixture (a job's file before it is made: 404 for all) is asked as the
    # coordinator, who started the fixture's job: a huge id must still answer 404.
    return next((role for role in ROLES if expected(endpoint, role) == "ok"), "qa_coordinator")


def _args(rule, ids: dict, **override: int) -> dict:
    args = {}
    for name in rule.arguments:
        if name in (rule.defaults or {}):
            continue  # fixed by the rule itself (the tool download's file format), not taken from the URL
        if name in override:
            args[name] = override[name]
        elif name == "filename":
            args[name] = FILENAMES[rule.endpoint]
        elif name in OTHER_ARGS:
            args[name] = OTHER_ARGS[name]
        elif name == "version":
            args[name] = 1
        else:
            args[name] = ids[name]
    return args


# -- 1. ids in the URL ---------------------------------------------------------------------------------------------


def test_every_int_url_argument_is_bounded_to_the_database_integer_range(app):
    from auditapp.security.input_limits import BoundedIntegerConverter

    rules = _int_rules(app)
    assert len(rules) >= 30  # every route with an id, in every blueprint
    for rule in rules:
        for name in INT_ARG.findall(rule.rule):
            converter = rule._converters[name]
            assert isinstance(converter, BoundedIntegerConverter), rule.rule
            assert converter.max == 2**31 - 1, rule.rule


def test_ids_of_2_63_or_more_answer_404_on_every_route(app, client_for, objects):  # noqa: F811
    clients, tokens, failures, checked = {}, {}, [], 0
    for rule in _int_rules(app):
        role = _privileged_role(rule.endpoint)
        client = clients.get(role) or clients.setdefault(role, client_for(role))
        # One CSRF token per signed-in client (it lives in the session; a stale one would answer 400, not 404).
        token = tokens.get(role) or tokens.setdefault(role, csrf_token(client, "/home"))
        for name in INT_ARG.findall(rule.rule):
            for huge in HUGE_IDS:
                with app.test_request_context():
                    url = url_for(rule.endpoint, **_args(rule, objects, **{name: huge}))
                if "GET" in rule.methods:
                    status = client.get(url).status_code
                    checked += 1
                    if status != 404:
                        failures.append(f"GET {url} as {role}: {status}")
                if "POST" in rule.methods:
                    status = client.post(url, data={"csrf_token": token}).status_code
                    checked += 1
                    if status != 404:
                        failures.append(f"POST {url} as {role}: {status}")
    assert failures == []
    assert checked > 100


def test_the_same_routes_still_answer_with_real_ids(app, client_for, objects):  # noqa: F811
    client = client_for("qa_coordinator")
    for path in (f"/rounds/{objects['round_id']}", f"/cases/{objects['case_id']}", f"/actions/{objects['action_id']}"):
        assert client.get(path).status_code == 200, path


# -- 2. page numbers and ids in query arguments ----------------------------------------------------------------------


@pytest.fixture
def many_events(actor, users):
    """Enough audit events for two pages of the audit trail (50 a page)."""
    for number in range(60):
        record_event("test_event", details={"n": number})


@pytest.mark.parametrize("number", [str(10**21), "-5", "0", "abc", "", "1e3", "9" * 5000], ids=lambda n: n[:22])
def test_the_audit_trail_answers_any_page_number(client_for, many_events, number):
    response = client_for("admin").get(f"/admin/audit-trail?page={number}")
    assert response.status_code == 200
    pagination = soup(response).select_one(".govuk-pagination")
    prev_link, next_link = pagination.select_one("[rel=prev]"), pagination.select_one("[rel=next]")
    if number == str(10**21):  # beyond the last page: the last page, with a link back to the one before
        assert next_link is None and prev_link is not None and prev_link["href"].endswith("page=1")
    else:  # the first page
        assert prev_link is None and next_link is not None and next_link["href"].endswith("page=2")
        assert len(soup(response).select("tbody tr")) == 50


def test_the_audit_trail_beyond_its_last_page_shows_the_last_page(client_for, many_events):
    from sqlalchemy import func, select

    from auditapp.extensions import db
    from auditapp.models import AuditEvent

    admin = client_for("admin")
    total = db.session.scalar(select(func.count(AuditEvent.id)))
    last = -(-total // 50)
    beyond = soup(admin.get(f"/admin/audit-trail?page={10**21}")).select("tbody tr")
    at_last = soup(admin.get(f"/admin/audit-trail?page={last}")).select("tbody tr")
    assert len(beyond) == len(at_last) == total - (last - 1) * 50 > 0


@pytest.mark.parametrize("number", [str(10**21), "-5", "0", "abc"])
def test_the_case_list_answers_any_page_number(actor, client_for, number):
    from tests.factories import make_cases

    make_cases(3)
    response = client_for("qa_coordinator").get(f"/cases/?page={number}")
    assert response.status_code == 200
    assert "T00001" in response.get_data(as_text=True)


@pytest.mark.parametrize("agency", [str(10**30), str(2**63), str(2**31), "-" + str(10**30), "abc"])
def test_the_action_plan_answers_any_agency_filter(client_for, agency):
    assert client_for("qa_coordinator").get(f"/actions?agency={agency}").status_code == 200


def test_int_or_none_and_page_number_stay_in_the_database_range():
    from auditapp.forms import int_or_none, page_number

    assert int_or_none(str(2**31 - 1)) == 2**31 - 1 and int_or_none(str(-(2**31))) == -(2**31)
    assert int_or_none(str(2**31)) is None and int_or_none(str(2**63)) is None
    assert int_or_none("9" * 5000) is None and int_or_none("x") is None and int_or_none("") is None
    assert [page_number(v) for v in (None, "", "abc", "-5", "0", "3", str(10**21))] == [1, 1, 1, 1, 1, 3, 10**6]


# -- 3. audit tool definitions --------------------------------------------------------------------------------------


def _definition(**changes) -> dict:
    definition = tool_to_json(builtin_tool(key="multi_agency_case_file_audit"))
    definition.update({"version": 7, **changes})
    return definition


def _nested_text(levels: int = 10_000) -> str:
    text = json.dumps(_definition(description="PLACEHOLDER"))
    return text.replace('"PLACEHOLDER"', "[" * levels + "]" * levels)


def _long_number_text(digits: int = 5_000) -> str:
    return json.dumps(_definition()).replace('"version": 7', '"version": 1' + "0" * (digits - 1))


def _upload(client, text: str, name: str):
    import io

    return client.post(
        "/admin/tools/load",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(client, "/admin/tools/load"), "definition": (io.BytesIO(text.encode()), name)},
    )


def test_a_tool_nested_10000_deep_is_refused_on_the_web_with_where_and_why(client_for):
    response = _upload(client_for("admin"), _nested_text(), "deep.json")
    assert response.status_code == 400
    text = soup(response).get_text(" ", strip=True)
    assert "deep.json: line 1 column" in text and "nested more than 32 levels deep" in text


def test_a_tool_with_a_5000_digit_number_is_refused_on_the_web_with_where_and_why(client_for):
    response = _upload(client_for("admin"), _long_number_text(), "big.json")
    assert response.status_code == 400
    text = soup(response).get_text(" ", strip=True)
    assert "big.json: line 1 column" in text and "a whole number of 5000 digits" in text
    assert "at most 20 digits" in text


def test_the_loader_refuses_deep_nesting_and_oversized_numbers_as_definition_errors():
    cases = {
        "deep": (_nested_text(), "nested more than 32 levels deep"),
        "deep bytes": (_nested_text().encode(), "nested more than 32 levels deep"),
        "deep objects": ('{"a":' * 5000 + "1" + "}" * 5000, "nested more than 32 levels deep"),
        "digits": (_long_number_text(), "a whole number of 5000 digits"),
        "21 digits": (_long_number_text(21), "a whole number of 21 digits"),
        "negative": (json.dumps(_definition()).replace('"version": 7', '"version": -' + "9" * 30), "30 digits"),
        "long float": (json.dumps(_definition()).replace('"version": 7', '"version": 1.' + "5" * 100), "too long"),
        "infinite": (json.dumps(_definition()).replace('"version": 7', '"version": 1e999'), "too large"),
        "nan": (json.dumps(_definition()).replace('"version": 7', '"version": NaN'), "NaN is not a number"),
        "infinity": (json.dumps(_definition()).replace('"version": 7', '"version": -Infinity'), "-Infinity"),
    }
    for label, (text, message) in cases.items():
        with pytest.raises(ToolDefinitionError) as refused:
            parse_tool_json(text, name="tool.json")
        assert len(refused.value.errors) == 1, label
        assert refused.value.errors[0].startswith("tool.json: line 1 column "), (label, refused.value.errors)
        assert message in refused.value.errors[0], (label, refused.value.errors)


def test_the_limits_count_only_what_is_outside_strings_and_keep_real_tools_loading():
    text = json.dumps(_definition(description="[[[[" * 100 + "1" * 5000 + '" {{ \\" ]]'))
    assert parse_tool_json(text, name="ok.json").version == 7
    exactly = json.dumps(_definition(description="PLACEHOLDER")).replace('"PLACEHOLDER"', "1" * 20)
    with pytest.raises(ToolDefinitionError) as refused:  # 20 digits are parsed: then the schema speaks
        parse_tool_json(exactly, name="ok.json")
    assert refused.value.errors == ["description: 11111111111111111111 is not of type 'string'"]
    broken = '{"key": [1, 2,'
    with pytest.raises(ToolDefinitionError, match=r"not valid JSON \(line 1 column 15"):
        parse_tool_json(broken, name="broken.json")


def test_a_tool_version_beyond_the_database_column_is_refused():
    with pytest.raises(ToolDefinitionError) as refused:
        parse_tool_json(json.dumps(_definition(version=2**31)), name="v.json")
    assert refused.value.errors == ["version: must be at most 2147483647"]


def test_a_tool_version_beyond_the_database_column_is_refused_on_the_web(client_for):
    response = _upload(client_for("admin"), json.dumps(_definition(version=10**15)), "v.json")
    assert response.status_code == 400 and "version: must be at most 2147483647" in soup(response).get_text()


# -- 4. the Host header ---------------------------------------------------------------------------------------------

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
    "Cache-Control",
)
BAD_HOSTS = [
    "a" * 3000,
    "a" * 256,
    ("a" * 60 + ".") * 5,
    "a" * 64 + ".example",
    "a..b",
    ".example",
    "bad host",
    "example.org:99999",
    "example.org:",
    "exa<mple",
    "ex\u00e4mple.org",
]
GOOD_HOSTS = [
    "localhost",
    "audit.partnership.example",
    "audit.partnership.example.",
    "127.0.0.1:8000",
    "[::1]:5000",
    "web_1:8000",
    "a" * 63 + ".example",
]


def _assert_refused_with_headers(status: int, headers) -> None:
    assert status == 400
    for name in SECURITY_HEADERS:
        assert headers.get(name), name
    assert "nonce-" in headers["Content-Security-Policy"] and headers["Cache-Control"] == "no-store"


def test_valid_host_accepts_host_names_and_addresses_and_nothing_else():
    from auditapp.security.input_limits import valid_host

    assert [h for h in GOOD_HOSTS if not valid_host(h)] == []
    assert [h for h in BAD_HOSTS if valid_host(h)] == []


@pytest.mark.parametrize("host", BAD_HOSTS, ids=lambda h: h[:20])
def test_an_oversized_or_malformed_host_header_is_400_with_the_security_headers(app, host):
    response = app.test_client().get("/", headers={"Host": host})
    _assert_refused_with_headers(response.status_code, response.headers)
    assert "Host header is not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_a_good_host_header_reaches_the_application(app, host):
    response = app.test_client().get("/", headers={"Host": host})
    assert response.status_code == 302 and response.headers["Content-Security-Policy"]


def test_a_forwarded_host_is_checked_when_the_proxy_is_trusted(app):
    client = app.test_client()
    app.config["TRUST_PROXY"] = True
    try:
        refused = client.get("/", headers={"X-Forwarded-Host": "ok.example, " + "a" * 3000})
        fine = client.get("/", headers={"X-Forwarded-Host": "audit.partnership.example"})
    finally:
        app.config["TRUST_PROXY"] = False
    _assert_refused_with_headers(refused.status_code, refused.headers)
    assert fine.status_code == 302


def test_an_untrusted_host_is_400_when_trusted_hosts_are_configured(app):
    client = app.test_client()
    app.config["TRUSTED_HOSTS"] = ["audit.partnership.example"]
    try:
        refused = client.get("/", headers={"Host": "evil.example"})
        fine = client.get("/", headers={"Host": "audit.partnership.example"})
    finally:
        app.config["TRUSTED_HOSTS"] = None
    _assert_refused_with_headers(refused.status_code, refused.headers)
    assert fine.status_code == 302


def test_a_3000_character_host_header_against_a_real_werkzeug_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.putrequest("GET", "/healthz", skip_host=True)
        connection.putheader("Host", "a" * 3000)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
    _assert_refused_with_headers(response.status, response.headers)
    assert "Host header is not valid" in body
