"""Single sign-on in a real browser (issue 16): a demo police officer signs in through the local OpenID Connect
provider's login page (tests/oidc/provider.mjs, configured in conftest.py) and reaches their home page; a health
auditor who tries the police's button is refused with the reason in words."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.helpers import Accessibility, demo_email

BUTTON = "Sign in with your Northshire Police account"


def _through_the_provider(page: Page, local: str, a11y: Accessibility) -> None:
    page.goto("/sign-in")
    a11y.check(page, "Sign in (with the organisation's button)")
    page.get_by_role("link", name=BUTTON).click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()  # the provider's own page
    assert "/interaction/" in page.url
    a11y.check(page, "The provider's login page (a test stand-in for Entra ID)")
    page.get_by_label("Email address").fill(demo_email(local))
    page.get_by_label("Used MFA").check()
    page.get_by_role("button", name="Sign in").click()


def test_a_police_officer_signs_in_with_their_organisation_account(page: Page, a11y: Accessibility) -> None:
    a11y.watch(page)
    _through_the_provider(page, "peer.police", a11y)
    expect(page.get_by_role("heading", name="Your tasks", level=1)).to_be_visible()
    expect(page.get_by_text("Paul Nguyen").first).to_be_visible()
    a11y.check(page, "Home after single sign-on")
    a11y.assert_clean()


def test_a_health_auditor_at_the_police_provider_is_refused(page: Page, a11y: Accessibility) -> None:
    a11y.watch(page)
    _through_the_provider(page, "peer.health", a11y)
    expect(page.get_by_role("heading", name="We could not sign you in", level=1)).to_be_visible()
    expect(page.get_by_text("Your account belongs to another organisation")).to_be_visible()
    a11y.check(page, "We could not sign you in")
    page.goto("/home")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()  # still signed out
    a11y.assert_clean()
