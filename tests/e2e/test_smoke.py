"""The browser set-up itself works: the sign-in page loads, passes axe-core, and a demo user can sign in."""

from playwright.sync_api import Page, expect

from tests.e2e.helpers import Accessibility, sign_in


def test_sign_in_page_and_accessibility_statement_are_accessible(page: Page, a11y: Accessibility) -> None:
    a11y.watch(page)
    page.goto("/sign-in")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    a11y.check(page, "Sign in")
    page.get_by_role("link", name="Accessibility statement").click()
    a11y.check(page, "Accessibility statement")
    sign_in(page, "coordinator", a11y)  # the journey may have given the coordinator an authenticator
    a11y.check(page, "Home (QA coordinator)")
    a11y.assert_clean()


def test_admin_pages_and_the_audit_trail_check_are_accessible(page: Page, a11y: Accessibility) -> None:
    a11y.watch(page)
    page.goto("/sign-in")
    a11y.check(page, "Sign in")
    sign_in(page, "admin", a11y)
    a11y.check(page, "Home (admin)")
    for path, heading in (
        ("/admin/users", "Users"),
        ("/admin/agencies", "Agencies"),
        ("/admin/audit-trail", "Audit trail"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        a11y.check(page, heading)
    page.get_by_role("link", name="Check that the audit trail is complete and unaltered").click()
    expect(page.get_by_role("heading", name="The audit trail is intact")).to_be_visible()
    a11y.check(page, "Audit trail check")
    a11y.assert_clean()
