"""Helpers for the browser journeys: signing in, and running axe-core on each page a journey visits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from auditapp.demo.facts import DEMO_PASSWORD, DOMAIN

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def demo_email(local: str) -> str:
    """The sign-in of a demo user by the local part in auditapp.demo.facts.USERS, e.g. ``coordinator``."""
    return f"{local}@{DOMAIN}"


# Each demo user's authenticator, once set up in a journey, and the last time step used (a code signs in once).
AUTHENTICATORS: dict[str, str] = {}
_LAST_STEP: dict[str, int] = {}


def _code(local: str) -> str:
    """The user's next unused security code: this time step's, or the next one's when this one was used. The
    service accepts the next step's code too, no later one: after two sign-ins within one step, wait for the next."""
    totp = pyotp.TOTP(AUTHENTICATORS[local])
    step = max(totp.timecode(datetime.now(UTC)), _LAST_STEP.get(local, -1) + 1)
    while step > totp.timecode(datetime.now(UTC)) + 1:
        time.sleep(0.5)
    _LAST_STEP[local] = step
    return totp.generate_otp(step)


def _second_factor(page: Page, local: str, a11y: Accessibility | None) -> None:
    """Set up an authenticator or enter its code, when the service asks for one after the password."""
    heading = page.get_by_role("heading", level=1)
    expect(heading).not_to_have_text("Sign in")
    title = heading.inner_text()
    if title == "Set up two-factor authentication":
        if a11y is not None:
            a11y.check(page, "Set up two-factor authentication")
        AUTHENTICATORS[local] = page.locator("span.app-secret").inner_text().strip()
    elif title != "Enter your security code":
        return
    elif a11y is not None:
        a11y.check(page, "Enter your security code")
    page.get_by_label("Security code").fill(_code(local))
    page.get_by_role("button", name="Continue").click()


def sign_in(page: Page, local: str, a11y: Accessibility | None = None) -> None:
    """Sign in through the real form as a demo user (with the second factor when asked); lands on the home page."""
    page.goto("/sign-in")
    if a11y is not None:
        a11y.check(page, "Sign in")
    page.get_by_label("Email address").fill(demo_email(local))
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _second_factor(page, local, a11y)
    expect(page.get_by_role("heading", name="Your tasks", level=1)).to_be_visible()


@dataclass
class Violation:
    page: str
    url: str
    rule: str
    impact: str | None
    help: str
    targets: list[str]

    def __str__(self) -> str:
        return f"{self.page} ({self.url}): {self.rule} [{self.impact}] {self.help}; elements: {self.targets}"


def _known_govuk_issue(rule: str, node: dict) -> bool:
    """GOV.UK Frontend's own known issue, kept on purpose by its team: a radio or checkbox that conditionally reveals
    content carries ``aria-expanded``, which ARIA 1.2 does not list for those roles, so axe reports
    aria-allowed-attr (alphagov/govuk-frontend#979, "documented as a known issue": screen readers announce it and
    research found no barrier). Only that attribute on those inputs is set aside; anything else still fails."""
    html, summary = node.get("html", ""), node.get("failureSummary", "")
    govuk_input = "govuk-radios__input" in html or "govuk-checkboxes__input" in html
    return rule == "aria-allowed-attr" and govuk_input and "aria-expanded" in summary and summary.count("aria-") == 1


@dataclass
class Accessibility:
    """Runs axe-core (WCAG 2.0, 2.1, 2.2 A and AA) on each page it is shown and keeps every violation.

    The journeys check every page and assert once at the end, so one run lists every violation on every page
    rather than stopping at the first.
    """

    checked: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    visited: dict[str, str] = field(default_factory=dict)  # path -> full URL, of every page a watched tab showed
    checked_paths: set[str] = field(default_factory=set)

    def watch(self, page: Page) -> None:
        """Remember every page ``page`` shows, so ``assert_clean`` can prove none went unchecked."""

        def navigated(frame) -> None:
            if frame == page.main_frame:
                self.visited.setdefault(urlsplit(frame.url).path, frame.url)

        page.on("framenavigated", navigated)

    def check(self, page: Page, name: str) -> None:
        for attempt in range(3):
            page.wait_for_load_state("load")
            try:
                result = self._run_axe(page)
                break
            except PlaywrightError as error:
                # A self-refreshing page (the job status page) can reload while axe runs: check the new one.
                if "context was destroyed" not in str(error) or attempt == 2:
                    raise
        self.checked_paths.add(urlsplit(page.url).path)
        self.checked.append(name)
        for v in result["violations"]:
            nodes = [node for node in v["nodes"] if not _known_govuk_issue(v["id"], node)]
            if not nodes:
                continue
            targets = [" ".join(map(str, node["target"])) for node in nodes]
            self.violations.append(Violation(name, page.url, v["id"], v.get("impact"), v["help"], targets))

    @staticmethod
    def _run_axe(page: Page) -> dict:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        return page.evaluate(
            "async (tags) => await axe.run(document,"
            " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )

    def assert_clean(self) -> None:
        unchecked = sorted(url for path, url in self.visited.items() if path not in self.checked_paths)
        assert not unchecked, f"pages visited but never checked with axe-core: {unchecked}"
        assert not self.violations, (
            f"{len(self.violations)} accessibility violations on {len({v.page for v in self.violations})} of "
            f"{len(self.checked)} pages checked:\n" + "\n".join(f"- {v}" for v in self.violations)
        )
