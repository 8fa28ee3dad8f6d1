"""Parallel requests against a real gunicorn server (issue 11, findings 4, 10 and 11).

Each server has its own database, on the suite's database kind (a SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), and hashes passwords at production cost, as a deployment does.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from tests.live_server import Browser, copy_of, gunicorn, multipart, prepared_database

# Real servers hashing at production cost: a longer ceiling than addopts' --fail-slow.
pytestmark = pytest.mark.fail_slow("120s")


@pytest.fixture
def _transaction():
    yield


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The migrated database with the test users (hashed at production cost), made once: each test serves a copy."""
    with prepared_database(tmp_path_factory.mktemp("template")) as url:
        yield url


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def _parallel(count: int, work) -> list:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: work(), range(count)))


LIMITS = {
    "SIGN_IN_LIMIT_PER_ADDRESS": "100000 per minute",
    "SIGN_IN_LIMIT_OVERALL": "100000 per minute",
    "HASHING_WAIT_SECONDS": "60",
}


def test_finding_4_thirty_parallel_wrong_passwords_check_only_ten(template, tmp_path):
    with copy_of(template, tmp_path) as url, gunicorn(url, prepared=True, **LIMITS) as base:
        browsers = [Browser(base) for _ in range(30)]
        tokens = [b.token("/sign-in") for b in browsers]
        answers = _parallel(30, iter_sign_ins(browsers, tokens, "auditor@example.org", "wrong-password-xyz"))
        statuses = Counter(a.status for a in answers)
        checked = _count(url, "SELECT count(*) FROM audit_events WHERE action = 'sign_in_failed'")
        refused = _count(url, "SELECT count(*) FROM audit_events WHERE action = 'sign_in_refused_locked'")
    assert checked == 10, statuses
    assert refused == 20 and statuses == {200: 10, 429: 20}


def iter_sign_ins(browsers, tokens, email, password):
    pairs = iter(zip(browsers, tokens, strict=True))

    def one():
        browser, token = next(pairs)
        return browser.sign_in(email, password, token=token)

    return one


def test_finding_11_thirty_parallel_sign_ins_and_twenty_parallel_uploads_give_no_errors(template, tmp_path):
    from tests.factories import generic_csv

    with copy_of(template, tmp_path) as url, gunicorn(url, prepared=True, **LIMITS) as base:
        emails = [
            "admin@example.org",
            "coordinator@example.org",
            "auditor@example.org",
            "peer@example.org",
            "board@example.org",
        ] * 6
        browsers = [Browser(base) for _ in emails]
        tokens = [b.token("/sign-in") for b in browsers]
        work = iter(zip(browsers, tokens, emails, strict=True))

        def sign_in():
            browser, token, email = next(work)
            return browser.sign_in(email, token=token)

        sign_ins = _parallel(30, sign_in)
        coordinator = Browser(base)
        assert coordinator.sign_in("coordinator@example.org").status == 302
        token = coordinator.token("/cases/import")
        uploads = []
        for number in range(20):
            rows = [{"case_ref": f"UP{number:02d}{i:03d}", "status": "cin"} for i in range(50)]
            uploads.append(
                multipart({"csrf_token": token, "format": ""}, {"files": (f"cases-{number}.csv", generic_csv(rows))})
            )
        pending = iter(uploads)

        def upload():
            body, content_type = next(pending)
            return coordinator.request("/cases/import", body=body, content_type=content_type)

        answers = _parallel(20, upload)
        recorded = _count(url, "SELECT count(*) FROM audit_events WHERE action = 'sign_in'")
    assert [a.status for a in sign_ins] == [302] * 30, [a.body[:300] for a in sign_ins if a.status != 302][:1]
    assert recorded == 31  # every sign-in is in the trail
    assert [a.status for a in answers] == [302] * 20, [a.body[:300] for a in answers if a.status != 302][:1]
    assert all("/cases/import/" in a.location for a in answers)


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="PostgreSQL only: on SQLite the database's write lock already hashes one sign-in at a time",
)
def test_finding_10_password_hashing_is_bounded_and_excess_attempts_get_too_many_requests(template, tmp_path):
    settings = {**LIMITS, "HASHING_CONCURRENCY": "1", "HASHING_WAIT_SECONDS": "0.05"}
    with copy_of(template, tmp_path) as url, gunicorn(url, prepared=True, **settings) as base:
        browsers = [Browser(base) for _ in range(40)]
        tokens = [b.token("/sign-in") for b in browsers]
        work = iter(enumerate(zip(browsers, tokens, strict=True)))

        def attempt():
            number, (browser, token) = next(work)
            return browser.sign_in(f"nobody{number}@example.org", "wrong-password-xyz", token=token)

        answers = _parallel(40, attempt)
        throttled = _count(url, "SELECT count(*) FROM audit_events WHERE action = 'throttled'")
    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 429} and statuses[429] > 0, statuses
    assert throttled == statuses[429]
    page = next(a for a in answers if a.status == 429)
    assert "too many attempts" in page.body and "govuk-template" in page.body


def test_finding_10_the_per_address_limit_answers_too_many_requests(template, tmp_path):
    settings = {**LIMITS, "SIGN_IN_LIMIT_PER_ADDRESS": "5 per minute"}
    with copy_of(template, tmp_path) as url, gunicorn(url, prepared=True, **settings) as base:
        browser = Browser(base)
        answers = [browser.sign_in("auditor@example.org", "wrong-password-xyz") for _ in range(7)]
        throttled = _count(url, "SELECT count(*) FROM audit_events WHERE action = 'throttled'")
    assert [a.status for a in answers] == [200] * 5 + [429] * 2
    assert throttled == 2 and "too many attempts" in answers[-1].body


def test_finding_10_a_process_hashes_at_most_its_configured_number_at_once():
    from auditapp.domain.passwords import HashingBusy, _Slots

    slots = _Slots(concurrency=2, wait_seconds=0.05)
    inside, most, busy = [0], [0], []
    lock = threading.Lock()

    def work() -> None:
        try:
            with slots.slot():
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.2)
                with lock:
                    inside[0] -= 1
        except HashingBusy:
            busy.append(1)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 2 and len(busy) == 4
