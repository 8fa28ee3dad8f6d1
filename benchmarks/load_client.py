"""The load benchmark's HTTP client: one cookie session per simulated user, and the audit section form it fills."""

from __future__ import annotations

import http.client
import math
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode

TIMEOUT = 120  # seconds a request may take before it counts as a failure
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
EVIDENCE = (
    "Seen in the case notes of the home visit on {day} March; the chronology was updated the same week and "
    "the plan review recorded what the child said about school. Save {save}."
)


# ---------------------------------------------------------------------------------------------------- recording


@dataclass
class Stats:
    """Latencies (ms), statuses and errors per endpoint; shared by every client thread."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, endpoint: str, ms: float, status: int, problem: str | None) -> None:
        with self.lock:
            self.latencies.setdefault(endpoint, []).append(ms)
            self.statuses.setdefault(endpoint, Counter())[status] += 1
        if problem:
            self.error(endpoint, problem)

    def error(self, endpoint: str, problem: str) -> None:
        """Count an error (a bad status, or a good status with the wrong content: already timed)."""
        with self.lock:
            self.errors[endpoint] += 1
            if len(self.samples) < 8:
                self.samples.append(f"{endpoint}: {problem}")


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default); NaN when there is nothing."""
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "p99": percentile(ordered, 0.99),
        "max": ordered[-1] if ordered else math.nan,
    }


# ---------------------------------------------------------------------------------------------------- HTTP client


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def _problem(response: Response, ok: Sequence[int]) -> str | None:
    if response.status not in ok:
        return f"HTTP {response.status}: {response.text[:160]!r}"
    if response.status in (301, 302, 303) and "/sign-in" in (response.headers.get("Location") or ""):
        return f"HTTP {response.status} to the sign-in page (session lost)"
    return None


class Client:
    """One simulated browser: its own cookies, a new connection per request, every request timed and recorded."""

    def __init__(self, port: int, stats: Stats) -> None:
        self.port, self.stats, self.cookies = port, stats, {}

    def call(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        form: Sequence[tuple[str, str]] | None = None,
        ok: Sequence[int] = (200,),
    ) -> Response | None:
        """Send the request; return the response, or None when it failed (recorded as an error)."""
        headers = {"User-Agent": "auditapp-load-benchmark", "Accept": "text/html,*/*"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = urlencode(form).encode() if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            response = self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            self.stats.add(endpoint, (time.perf_counter() - start) * 1000, 0, f"{type(error).__name__}: {error}")
            return None
        elapsed = (time.perf_counter() - start) * 1000
        problem = _problem(response, ok)
        self.stats.add(endpoint, elapsed, response.status, problem)
        self._keep_cookies(response.headers)
        return None if problem else response

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            return Response(raw.status, raw.headers, raw.read())
        finally:
            connection.close()

    def _keep_cookies(self, headers: http.client.HTTPMessage) -> None:
        for header in headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)


def sign_in(client: Client, email: str, password: str) -> bool:
    page = client.call("GET", "/sign-in", "GET /sign-in")
    token = CSRF.search(page.text) if page else None
    if token is None:
        return False
    form = [("email", email), ("password", password), ("csrf_token", token.group(1))]
    return client.call("POST", "/sign-in", "POST /sign-in", form=form, ok=(302, 303)) is not None


# ---------------------------------------------------------------------------------------------------- the form


@dataclass
class Form:
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    checked: dict[str, str] = field(default_factory=dict)
    textareas: dict[str, str] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The POST forms of a page: hidden inputs, radio groups (and which is checked), text areas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form" and found.get("method", "").lower() == "post":
            self._form = Form()
            self.forms.append(self._form)
        elif self._form is not None and tag == "textarea":
            self._textarea = found.get("name", "")
            self._form.textareas[self._textarea] = ""
        elif self._form is not None and tag == "input":
            self._input(self._form, found)

    @staticmethod
    def _input(form: Form, found: dict[str, str]) -> None:
        name, kind, value = found.get("name", ""), found.get("type", "text"), found.get("value", "")
        if kind == "hidden":
            form.hidden[name] = value
        elif kind == "radio":
            form.radios.setdefault(name, []).append(value)
            if "checked" in found:
                form.checked[name] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._form.textareas[self._textarea] += data


def section_form(html: str) -> Form | None:
    """The section's form (the one carrying the audit's version), or None when the page has none."""
    parser = FormParser()
    parser.feed(html)
    return next((form for form in parser.forms if "version" in form.hidden and "csrf_token" in form.hidden), None)


def answers(form: Form, rng: random.Random, save: int) -> list[tuple[str, str]]:
    """What an auditor types: an answer for every question, evidence for every text; computed answers confirmed."""
    pairs = list(form.hidden.items())
    for name, options in form.radios.items():
        computed = f"{name}__override_reason" in form.textareas
        keep = form.checked.get(name) if computed else None  # the proposal worked out from the case's dates
        pairs.append((name, keep or rng.choice(options)))
    for name, text in form.textareas.items():
        typed = text if name.endswith("__override_reason") else EVIDENCE.format(day=rng.randint(1, 28), save=save)
        pairs.append((name, typed))
    pairs.append(("action", "continue"))
    return pairs
