"""The programme dashboard in a real browser (issue 17), with axe-core on every page visited.

The QA coordinator opens the dashboard of the demo partnership from the service navigation, widens the quarters
shown, chooses an agency, meets the error summary for quarters the wrong way round, and asks the worker for the
Board's programme page (PDF).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import Accessibility, sign_in
from tests.e2e.test_journey import _wait_for_job


def _open_dashboard(new_context, a11y: Accessibility) -> Page:
    page = new_context().new_page()
    a11y.watch(page)
    sign_in(page, "coordinator", a11y)
    a11y.check(page, "Home (QA coordinator)")
    page.get_by_role("link", name="Programme", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit programme:")
    a11y.check(page, "Programme dashboard")
    return page


def test_the_coordinator_reads_and_filters_the_programme_dashboard(new_context, a11y: Accessibility) -> None:
    page = _open_dashboard(new_context, a11y)
    for heading in ("Audits assigned and completed", "Moderation agreement", "Coverage of teams and localities"):
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible()
    expect(page.locator("#audits img")).to_have_attribute("alt", re.compile("^Audits assigned"))

    # Eight quarters instead of four, and one agency.
    first = page.get_by_label("From quarter", exact=True)
    keys = first.locator("option").evaluate_all("os => os.map(o => o.value)")
    chosen = first.input_value()
    earlier = keys[keys.index(chosen) - 4]
    first.select_option(earlier)
    agency = page.get_by_label("Agency", exact=True)
    agencies = [v for v in agency.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
    agency.select_option(agencies[0])
    page.get_by_role("button", name="Show the figures").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(agencies[0])
    expect(page.locator("#audits-table tbody tr")).to_have_count(8)
    assert f"first={earlier}" in page.url
    a11y.check(page, "Programme dashboard: eight quarters, one agency")

    # The quarters the wrong way round: the error summary, no figures.
    last = page.get_by_label("To quarter", exact=True)
    page.get_by_label("From quarter", exact=True).select_option(last.input_value())
    last.select_option(earlier)
    page.get_by_role("button", name="Show the figures").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The last quarter must be the same as or after")
    expect(page.locator("#audits-table")).to_have_count(0)
    a11y.check(page, "Programme dashboard: quarters the wrong way round")

    # Back to the default, then the Board's programme page, made by the worker.
    page.get_by_role("link", name="Programme", exact=True).first.click()
    page.get_by_role("button", name="Make the Board’s programme page (PDF)").click()
    _wait_for_job(page, a11y, "The Board's programme page")
    expect(page.locator("a#job-file")).to_contain_text("audit-programme-")
    a11y.assert_clean()


def test_a_quality_lead_records_a_return_and_the_coordinator_plans_the_year(new_context, a11y: Accessibility) -> None:
    # The police's quality lead (an action owner in the demo) records a return from the service navigation.
    lead = new_context().new_page()
    a11y.watch(lead)
    sign_in(lead, "owner.police", a11y)
    lead.get_by_role("link", name="Single-agency returns", exact=True).first.click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Single-agency audit returns")
    a11y.check(lead, "Single-agency returns (quality lead)")
    lead.locator("a", has_text=re.compile(r"^(Record|Correct)")).first.click()
    expect(lead.get_by_role("heading", level=1)).to_contain_text("single-agency audit return for")
    a11y.check(lead, "Single-agency return form")
    lead.get_by_label("Number of cases audited").fill("4")
    lead.get_by_label("Graded good", exact=True).fill("9")  # more grades than audits: refused, nothing saved
    lead.get_by_role("button", name=re.compile("^Save")).click()
    expect(lead.locator(".govuk-error-summary")).to_be_visible()
    a11y.check(lead, "Single-agency return form: errors")

    # The coordinator reaches the schedule from the dashboard and opens the form for a planned round.
    page = _open_dashboard(new_context, a11y)
    page.get_by_role("link", name="Plan the year’s rounds").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Audit schedule")
    a11y.check(page, "Audit schedule")
    page.get_by_role("link", name="Add a planned round").click()
    a11y.check(page, "Add a planned round")
    page.get_by_role("button", name=re.compile("^(Save|Add)")).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    a11y.check(page, "Add a planned round: errors")
    a11y.assert_clean()
