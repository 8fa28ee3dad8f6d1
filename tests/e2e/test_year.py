"""The coordinator's year in a real browser (issue 13), with axe-core on every page visited.

On the demo's round in progress the QA coordinator gives a started audit to another auditor (keeping its
answers), replaces a case whose audit has started, and publishes an interim report with a reason. On the completed
round they withdraw the published report, which unlocks the findings, and correct a finding. Last, they cancel
the round in progress with a reason, and it stays in the list marked as cancelled.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from auditapp.demo.audits import COMPLETED_ROUND
from auditapp.demo.facts import DEMO_ROUND
from tests.e2e.helpers import Accessibility, sign_in
from tests.e2e.test_journey import _wait_for_job


def _coordinator(new_context, a11y: Accessibility) -> Page:
    page = new_context().new_page()
    a11y.watch(page)
    sign_in(page, "coordinator", a11y)
    a11y.check(page, "Home (QA coordinator)")
    return page


def _open_round(page: Page, a11y: Accessibility, name: str) -> None:
    page.get_by_role("link", name="Audit rounds", exact=True).first.click()
    a11y.check(page, "Audit rounds")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    a11y.check(page, f"Round: {name}")


def _success(page: Page) -> None:
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()


def reassign_a_started_audit(page: Page, a11y: Accessibility) -> None:
    row = page.locator("tbody tr", has_text="In progress").first
    row.get_by_role("link", name=re.compile("^Change auditor")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("to another auditor")
    a11y.check(page, "Give an audit to another auditor")
    auditor = page.get_by_label("Who should take over this audit?")
    values = [v for v in auditor.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
    auditor.select_option(values[0])
    keep = page.get_by_label(re.compile("^Keep it"))
    if keep.count():  # offered only when the audit has answers to keep
        keep.check()
    page.get_by_role("button", name="Continue").click()
    if page.get_by_label("Justification").count() and page.locator(".govuk-error-summary").count():
        a11y.check(page, "Give an audit to another auditor: a conflict to justify")
        page.get_by_label("Justification").fill("E2E: the only other auditor of this agency")
        page.get_by_role("button", name="Continue").click()
    _success(page)
    a11y.check(page, "Round after reassigning")


def replace_a_case_whose_audit_has_started(page: Page, a11y: Accessibility) -> None:
    row = page.locator("tbody tr", has_text=re.compile("In progress|Submitted")).first
    row.get_by_role("link", name=re.compile("^Replace")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Replace case")
    expect(page.get_by_text(re.compile("withdrawn", re.IGNORECASE)).first).to_be_visible()
    a11y.check(page, "Replace a case with a started audit")
    page.get_by_label("Why must this case be replaced?").fill("E2E: the case file cannot be found")
    page.get_by_role("button", name="Replace the case").click()
    expect(page.get_by_text("Withdrawn").first).to_be_visible()
    a11y.check(page, "Round after replacing a case")


def publish_an_interim_report(page: Page, a11y: Accessibility) -> None:
    page.get_by_role("link", name="Findings, actions and the board report").click()
    a11y.check(page, "Findings of the round in progress")
    page.get_by_role("link", name="Preview and publish the board report").click()
    a11y.check(page, "Report preview (round in progress)")
    page.get_by_role("link", name="Check and publish the report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the round before publishing its report")
    a11y.check(page, "Check before an interim report")
    page.get_by_label("Why are you publishing before the round is complete?").fill("E2E: the board meets this week")
    page.get_by_role("button", name="Publish an interim report to the board").click()
    _wait_for_job(page, a11y, "Publish an interim report")
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_text(re.compile("interim", re.IGNORECASE)).first).to_be_visible()
    a11y.check(page, "Published reports with an interim report")


def withdraw_a_report(page: Page, a11y: Accessibility) -> None:
    page.get_by_role("link", name="Reports", exact=True).first.click()
    a11y.check(page, "Published reports")
    page.get_by_role("link", name=re.compile(r"^Withdraw this report\s+\(" + re.escape(COMPLETED_ROUND))).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Withdraw version")
    a11y.check(page, "Withdraw a report")
    page.get_by_role("button", name="Withdraw the report").click()  # no reason yet: refused, nothing withdrawn
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    a11y.check(page, "Withdraw a report: the reason is missing")
    page.get_by_label("Why are you withdrawing this report?").fill("E2E: a figure on page 4 was wrong")
    page.get_by_role("button", name="Withdraw the report").click()
    _success(page)
    a11y.check(page, "Reports after a withdrawal")


def edit_a_finding(page: Page, a11y: Accessibility) -> None:
    _open_round(page, a11y, COMPLETED_ROUND)
    page.get_by_role("link", name="Findings, actions and the board report").click()
    a11y.check(page, "Findings of the completed round")
    page.get_by_role("link", name=re.compile("^Change the finding|^Change")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the finding")
    a11y.check(page, "Change a finding")
    title = page.get_by_label("Finding", exact=True)
    title.fill(title.input_value() + " (corrected)")
    page.get_by_role("button", name="Save changes").click()
    _success(page)
    expect(page.get_by_text("(corrected)").first).to_be_visible()
    a11y.check(page, "Findings after a correction")


def cancel_a_round(page: Page, a11y: Accessibility) -> None:
    _open_round(page, a11y, DEMO_ROUND)
    page.get_by_role("link", name="Cancel the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this round?")
    a11y.check(page, "Cancel a round")
    page.get_by_label("Why is the round being cancelled?").fill("E2E: merged into the spring round")
    page.get_by_role("button", name="Cancel the round").click()
    _success(page)
    a11y.check(page, "Round after cancelling")
    page.get_by_role("link", name="Audit rounds", exact=True).first.click()
    expect(page.locator("tr", has_text=DEMO_ROUND)).to_contain_text("Cancelled")
    a11y.check(page, "Audit rounds with a cancelled round")


def test_the_coordinators_year_survives_second_thoughts(new_context, a11y: Accessibility) -> None:
    page = _coordinator(new_context, a11y)
    _open_round(page, a11y, DEMO_ROUND)
    reassign_a_started_audit(page, a11y)
    replace_a_case_whose_audit_has_started(page, a11y)
    publish_an_interim_report(page, a11y)
    withdraw_a_report(page, a11y)
    edit_a_finding(page, a11y)
    cancel_a_round(page, a11y)
    a11y.assert_clean()
