"""No form that any role can submit answers 500 (issue 13), with plausible values or hostile ones.

For every route each role may POST to, the test opens the page, takes every POST form on it and submits it three
ways: every field empty; every field hostile text (very long, unicode, markup, SQL-ish); and every field an
out-of-range number or impossible date. Each submission is made by a fresh signed-in client, so one form (signing
out, ending sessions) does not spoil the next. Any 5xx, or an exception, is a failure naming the form and the
values.
"""

from __future__ import annotations

import io
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import soup
from tests.test_access import ANON, ROLES, _url, expected, objects  # noqa: F401 - objects is a fixture

LONG = "Ω≈ç√∫˜µ≤≥÷ <script>alert(1)</script> '; DROP TABLE cases; -- " * 200  # about 12,000 characters
HOSTILE_TEXT = LONG + "\u202e\u0000\U0001f600"
NUMBERS = ("99999999999999999999999", "-1", "1e309", "NaN")
DATE_PARTS = {"day": "31", "month": "2", "year": "99999"}


def _field_value(name: str, kind: str, variant: str, options: list[str]) -> str:
    if variant == "empty":
        return ""
    if variant == "text":
        return HOSTILE_TEXT
    for part, value in DATE_PARTS.items():
        if name.endswith(f"-{part}"):
            return value
    if kind in ("select", "radio", "checkbox") and options:
        return "not-an-option-" + options[0]
    return NUMBERS[hash(name) % len(NUMBERS)]


def _submissions(form, variant: str) -> tuple[dict[str, object], bool]:
    data: dict[str, object] = {}
    has_file = False
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name:
            continue
        kind = field.get("type", field.name) if field.name == "input" else field.name
        if name == "csrf_token" or kind in ("submit", "button"):
            if name == "csrf_token":
                data[name] = field.get("value", "")
            continue
        if kind == "hidden":
            data[name] = field.get("value", "") if variant == "empty" else _field_value(name, kind, variant, [])
            continue
        if kind == "file":
            has_file = True
            content = b"" if variant == "empty" else ("\x00garbage," + HOSTILE_TEXT).encode()
            data[name] = (io.BytesIO(content), "hostile.xlsx")
            continue
        options = [o.get("value", "") for o in field.find_all("option")] if field.name == "select" else []
        if kind in ("radio", "checkbox"):
            options = [field.get("value", "")]
        data[name] = _field_value(name, kind, variant, options)
    return data, has_file


def _fresh_client(client_for, role: str):
    """A newly signed-in client. Hostile current-password fields count toward the lock-out like any wrong password,
    so the counters are cleared first: the lock-out itself is tested in test_sign_in_security.py."""
    from sqlalchemy import delete

    from auditapp.extensions import db
    from auditapp.models import SignInCounter

    db.session.execute(delete(SignInCounter))
    db.session.flush()
    return client_for(role)


@pytest.mark.fail_slow("120s")
@pytest.mark.parametrize("role", ROLES)
def test_no_form_answers_500(app, client_for, objects, role):  # noqa: F811 - objects is the fixture
    problems, submitted = [], 0
    _fresh_client(client_for, role)  # signed in before the URLs are built, as in test_access
    pages = [
        (rule, _url(app, rule, objects))
        for rule in app.url_map.iter_rules()
        if {"GET", "POST"} <= rule.methods
        and expected(rule.endpoint, role) == "ok"
        and rule.endpoint != "auth.sign_out_view"  # no fields to fill
    ]
    for rule, url in pages:
        page = _fresh_client(client_for, role).get(url)
        if page.status_code != 200:
            continue
        for number, form in enumerate(soup(page).select("form[method=post], form[method=POST]")):
            action = urljoin(url, form.get("action") or url)
            if urlsplit(action).netloc:
                continue
            for variant in ("empty", "text", "numbers"):
                client = _fresh_client(client_for, role)
                fresh = soup(client.get(url)).select("form[method=post], form[method=POST]")
                if number >= len(fresh):
                    continue
                data, has_file = _submissions(fresh[number], variant)
                submitted += 1
                try:
                    response = client.post(action, data=data, content_type="multipart/form-data" if has_file else None)
                except Exception as error:  # any exception is the failure looked for
                    problems.append(f"{role} {rule.endpoint} form {number} ({variant}): {type(error).__name__}")
                    continue
                if response.status_code >= 500:
                    problems.append(f"{role} {rule.endpoint} form {number} ({variant}): {response.status_code}")
    assert problems == []
    assert submitted > 0 or role == ANON
