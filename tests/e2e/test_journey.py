"""The whole audit cycle in a real browser, as its users do it, with axe-core run on every page visited.

The QA coordinator imports an Annex A workbook (a background job with a status page), creates a multi-agency
round over those children, draws the sample and assigns auditors automatically. A health auditor and a social care
auditor complete their audits; the health auditor first tries to submit "not seen alone" without saying why and
is stopped, and raises a safeguarding concern that the coordinator acknowledges. The social care auditor completes
the whole audit by keyboard alone, and, as lead, records the joint discussion. The coordinator moderates both audits,
writes a finding with an action, previews and publishes the report (a background job); a board member downloads
the PDF. An auditor who tries the other auditor's audit by its address gets 404.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from auditapp.demo.facts import AGENCIES, USERS
from auditapp.tools import AuditTool
from auditapp.tools.loader import builtin_tool
from tests.e2e.annex_a import REFS, annex_a_for_journey
from tests.e2e.auditing import (
    answer_question,
    complete_by_keyboard,
    fill_section,
    follow_link_by_keyboard,
    open_section,
)
from tests.e2e.helpers import Accessibility, sign_in

ROUND = "E2E neglect round, winter 2026"
SOCIAL_CARE, HEALTH = AGENCIES[0][0], AGENCIES[1][0]
LOCAL_PART = {name: local for local, name, *_ in USERS}  # "Priya Patel" -> "peer.socialcare"
TOOL = builtin_tool(key="multi_agency_case_file_audit")  # the newest: the 2026 tool, with agency sections


def tool_of(auditor: Auditor) -> AuditTool:
    """The questions this auditor's agency is asked (the 2026 tool has health-only and police-only sections)."""
    return TOOL.for_agency("health" if auditor.agency == HEALTH else "social_care")


JOINT = builtin_tool(key="joint_discussion")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Auditor:
    name: str
    agency: str
    lead: bool
    page: Page | None = None
    assignment_url: str = ""


def _signed_in(new_context, local: str, a11y: Accessibility) -> Page:
    """A page in a browser context of its own (its own cookies), signed in as the demo user ``local``."""
    context: BrowserContext = new_context()
    page = context.new_page()
    a11y.watch(page)
    sign_in(page, local, a11y)
    return page


def _wait_for_job(page: Page, a11y: Accessibility, name: str) -> None:
    """Wait on the job status page until the background job has finished. The page updates itself; if it has not
    after a few seconds the user follows "Check progress" (so this works however the page comes to update)."""
    finished = page.get_by_role("heading", name="Finished")
    if finished.count() == 0:
        a11y.check(page, f"{name}: job running")
    for _ in range(12):
        try:
            expect(finished).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            # The page's script may have shown the result, and removed the link, in the meantime.
            with contextlib.suppress(PlaywrightTimeoutError):
                page.get_by_role("link", name="Check progress").click(timeout=5_000)
    expect(finished).to_be_visible()
    a11y.check(page, f"{name}: job finished")


def import_annex_a(page: Page, a11y: Accessibility) -> None:
    a11y.check(page, "Home (QA coordinator)")
    page.get_by_role("link", name="Import the case population").click()
    a11y.check(page, "Import the case population")
    page.get_by_label("Upload a file").set_input_files(
        {"name": "annex-a-e2e.xlsx", "mimeType": XLSX, "buffer": annex_a_for_journey()}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check the import before you confirm it")).to_be_visible()
    expect(page.locator(".govuk-summary-list__row", has_text="New cases")).to_contain_text(str(len(REFS)))
    a11y.check(page, "Check the import")
    page.get_by_role("button", name="Import these cases").click()
    _wait_for_job(page, a11y, "Import")
    expect(page.locator(".govuk-panel__body")).to_contain_text(str(len(REFS)))
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("cell", name="annex-a-e2e.xlsx")).to_be_visible()
    a11y.check(page, "Import history")


def create_draw_and_assign(page: Page, a11y: Accessibility) -> list[Auditor]:
    page.goto("/home")
    page.get_by_role("link", name="Create an audit round").click()
    a11y.check(page, "Create an audit round")
    page.get_by_label("Round name").fill(ROUND)
    page.get_by_label("Theme").fill("Neglect")
    page.get_by_role("group", name="Audit mode").get_by_label("Multi-agency").check()
    page.get_by_role("group", name="Case statuses to include").get_by_label("Child protection plan").check()
    referred = page.get_by_role("group", name="Cases referred on or before")
    referred.get_by_label("Day").fill("31")
    referred.get_by_label("Month").fill("12")
    referred.get_by_label("Year").fill("2020")  # only the children imported above were referred by then
    page.get_by_label("Sample size").fill("1")
    agencies = page.get_by_role("group", name="Agencies taking part")
    agencies.get_by_label(SOCIAL_CARE, exact=True).check()
    agencies.get_by_label(HEALTH, exact=True).check()
    page.get_by_label("Lead agency for the joint discussion").select_option(label=SOCIAL_CARE)
    page.get_by_role("button", name="Create round").click()
    expect(page.get_by_role("heading", name=ROUND, level=1)).to_be_visible()
    expect(page.get_by_text(f"{len(REFS)} cases are eligible")).to_be_visible()
    a11y.check(page, "Round: before the draw")

    # Issue 14: nobody chooses the seed. The population is frozen, its fingerprint shown to a witness, who adds a
    # value of their own; the service adds a random value at the moment of the draw.
    page.get_by_role("button", name="Freeze the population").click()
    a11y.check(page, "Round: population frozen")
    page.get_by_label("Witness's full name").fill("Wendy Witness")
    page.get_by_label("Witness's role").fill("Independent scrutineer")
    page.get_by_label("Witness value").fill("e2e-winter-2026")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_text(f"Sample of 1 drawn from {len(REFS)} eligible cases")).to_be_visible()
    a11y.check(page, "Round: sample drawn")
    page.get_by_role("button", name="Assign auditors automatically").click()
    # Issue 13: a proposal first (loads before and after, the rules applied); nothing is assigned until confirmed.
    expect(page.get_by_role("heading", name="Check the proposed auditors", level=1)).to_be_visible()
    a11y.check(page, "Round: proposed auditors")
    page.get_by_role("button", name="Confirm and assign these auditors").click()
    expect(page.get_by_text("Auditors assigned")).to_be_visible()
    a11y.check(page, "Round: auditors assigned")

    cell = page.locator("tbody tr").first.locator("td").nth(2)
    auditors = []
    for line in cell.locator("p").all_inner_texts():
        found = re.match(r"(.+?) \((.+?)\)( Lead)?\n", line)
        assert found, line
        auditors.append(Auditor(name=found[1], agency=found[2], lead=bool(found[3])))
    assert sorted(a.agency for a in auditors) == sorted([SOCIAL_CARE, HEALTH]), auditors
    assert [a.agency for a in auditors if a.lead] == [SOCIAL_CARE], auditors
    return sorted(auditors, key=lambda a: a.agency != HEALTH)  # the health auditor first


def open_assignment(auditor: Auditor, a11y: Accessibility, case_ref: str) -> None:
    page = auditor.page
    a11y.check(page, f"Home (auditor, {auditor.agency})")
    page.get_by_role("link", name=f"Case {case_ref}").click()
    expect(page.get_by_role("heading", name=f"Audit of case {case_ref}")).to_be_visible()
    auditor.assignment_url = page.url
    a11y.check(page, f"Audit task list ({auditor.agency})")


def raise_concern(auditor: Auditor, a11y: Accessibility) -> None:
    page = auditor.page
    page.get_by_role("link", name="raise an immediate safeguarding concern").click()
    a11y.check(page, "Raise a safeguarding concern")
    page.get_by_label("What is your concern about the child's safety now?").fill(
        "E2E: the last visit note records bruising that was not followed up."
    )
    page.get_by_role("button", name="Raise the concern").click()
    expect(page.get_by_text("Your concern has been recorded. The QA coordinator")).to_be_visible()


def health_audit_stopped_then_submitted(auditor: Auditor, a11y: Accessibility) -> None:
    """ "Not seen alone" with no reason saves for later, but the audit cannot be submitted until the reason is given."""
    page, tool = auditor.page, tool_of(auditor)
    open_section(page, tool, "childs_voice")
    a11y.check(page, "Audit section: the child's voice")
    fill_section(page, tool, "childs_voice", {"child_seen_alone": "no"}, skip=("seen_alone_rationale",))
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Your answers have been saved")).to_be_visible()
    page.goto(auditor.assignment_url)
    for section in tool.sections:
        if section.id in ("about_this_child", "childs_voice"):
            continue  # answered above
        open_section(page, tool, section.id)
        a11y.check(page, f"Audit section: {section.title}")
        fill_section(page, tool, section.id)
        page.get_by_role("button", name="Save and continue").click()
        expect(page.get_by_role("heading", name=re.compile("^Audit of case"))).to_be_visible()
    a11y.check(page, "Audit task list, one section in progress")

    # Issue 13: until every section is complete there is no submit button, only what is left to do.
    expect(page.locator("#check-status")).to_have_text("Cannot submit yet")
    page.get_by_role("link", name="Check your answers and submit").click()
    a11y.check(page, "Check your answers")
    expect(page.get_by_role("button", name="Submit the audit")).to_have_count(0)
    left = page.locator("#not-complete ~ ul")
    voice = tool.section("childs_voice").title
    expect(left.get_by_role("link")).to_have_text([voice])
    left.get_by_role("link", name=voice).click()
    expect(page.get_by_role("heading", name=voice, level=1)).to_be_visible()
    answer_question(
        page,
        tool.question("seen_alone_rationale"),
        "Visits were announced and the parent was present; no reason was recorded.",
    )
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("link", name="Check your answers and submit").click()
    page.get_by_role("button", name="Submit the audit").click()
    expect(page.get_by_text("Audit submitted. Thank you.")).to_be_visible()
    a11y.check(page, "Audit task list, submitted")


def section_errors_are_summarised(auditor: Auditor, a11y: Accessibility) -> None:
    """Saving and continuing with "No" and no reason keeps the auditor on the section, with the error summary."""
    page, tool = auditor.page, tool_of(auditor)
    open_section(page, tool, "about_this_child")  # the routing answers first: later pages depend on them
    a11y.check(page, "Audit section: about this child")
    fill_section(page, tool, "about_this_child")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name=re.compile("^Audit of case"))).to_be_visible()
    open_section(page, tool, "childs_voice")
    fill_section(page, tool, "childs_voice", {"child_seen_alone": "no"}, skip=("seen_alone_rationale",))
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link")).to_have_text(["Enter why the child was not seen alone"])
    a11y.check(page, "Audit section: error summary")
    answer_question(page, tool.question("child_seen_alone"), "yes")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name=re.compile("^Audit of case"))).to_be_visible()


def social_care_audit_by_keyboard_alone(auditor: Auditor, a11y: Accessibility) -> None:
    """The whole audit with the keyboard alone: from the task list, Tab to each section's link and Enter; in the
    section, Tab, Space and typing, then Enter on "Save and continue"; then Tab and Enter to check and submit."""
    page, tool = auditor.page, tool_of(auditor)
    page.goto(auditor.assignment_url)
    presses = 0
    for section in tool.sections:
        presses += follow_link_by_keyboard(page, section.title)
        expect(page.get_by_role("heading", name=section.title, level=1)).to_be_visible()
        a11y.check(page, f"Audit section: {section.title} ({auditor.agency})")
        presses += complete_by_keyboard(page, tool, section.id)
        expect(page.get_by_role("heading", name=re.compile("^Audit of case"))).to_be_visible()
        expect(page.locator(f"#{section.id}-status")).to_have_text("Completed")
    presses += follow_link_by_keyboard(page, "Check your answers and submit")
    expect(page.get_by_role("heading", name=re.compile("^Check your answers"))).to_be_visible()
    a11y.check(page, f"Check your answers ({auditor.agency})")
    presses += follow_link_by_keyboard(page, "Submit the audit", tag="BUTTON")
    expect(page.get_by_text("Audit submitted. Thank you.")).to_be_visible()
    assert presses > len(tool.sections) * 3  # the audit really was driven key by key


def record_joint_discussion(lead: Auditor, a11y: Accessibility) -> None:
    page = lead.page
    page.get_by_role("link", name="Record the multi-agency joint discussion").click()
    expect(page.get_by_role("heading", name="Multi-agency joint discussion")).to_be_visible()
    a11y.check(page, "Joint discussion")
    for section in JOINT.sections:
        for question in section.questions:
            answer_question(page, question)
    # Issue 15: the joint discussion is a panel record: when it met, who attended from each agency.
    met = page.get_by_role("group", name="When did the panel meet?")
    met.get_by_label("Day").fill("20")
    met.get_by_label("Month").fill("11")
    met.get_by_label("Year").fill("2026")
    attended = f"{lead.name}, lead auditor, {SOCIAL_CARE}\nHana Health, peer auditor, {HEALTH}"
    page.get_by_label("Who attended?").fill(attended)
    page.get_by_role("button", name="Complete the joint discussion").click()
    expect(page.get_by_text("Joint discussion completed")).to_be_visible()


def acknowledge_concern(page: Page, a11y: Accessibility, case_ref: str, raised_by: str) -> None:
    page.goto("/home")
    page.get_by_role("link", name=f"Case {case_ref}: concern raised by {raised_by}").click()
    a11y.check(page, "Acknowledge a safeguarding concern")
    page.get_by_label("Action taken").fill("E2E: referred to the duty team the same day.")
    page.get_by_role("button", name="Acknowledge the concern").click()
    expect(page.get_by_text("Concern acknowledged and the action recorded")).to_be_visible()
    expect(page.get_by_text("There are no concerns waiting for action.")).to_be_visible()


def moderate_both(page: Page, a11y: Accessibility) -> None:
    page.goto("/home")
    page.get_by_role("link", name=ROUND).click()
    for n in (1, 2):
        page.get_by_role("link", name=re.compile(r"^Moderate ")).first.click()
        expect(page.get_by_role("heading", name=re.compile("^Moderate the audit of case"))).to_be_visible()
        a11y.check(page, f"Moderate audit {n} of 2")
        page.get_by_label("Agree with the auditor's judgement").check()
        page.get_by_role("button", name="Save decision").click()
        expect(page.get_by_text("Moderation decision saved")).to_be_visible()
    # Issue 14: agreement is measured over blind pairs only; this round is moderated openly, and the page says so.
    expect(page.get_by_text("This round is moderated openly, so agreement is not measured")).to_be_visible()
    a11y.check(page, "Round: audits moderated")


def finding_action_and_publish(page: Page, a11y: Accessibility, case_ref: str) -> None:
    page.get_by_role("link", name="Findings, actions and the board report").click()
    a11y.check(page, "Findings and actions")
    page.get_by_label("Finding", exact=True).fill("E2E: the child's voice is heard but plans do not change")
    page.get_by_label("Evidence", exact=True).fill("Both agency audits found the child's wishes recorded.")
    page.get_by_role("group", name="Questions it rests on").get_by_label(
        TOOL.question("child_consulted_on_plan").text
    ).check()
    page.get_by_role("group", name="Cases it rests on").get_by_label(case_ref).check()
    page.get_by_label("So what?", exact=True).fill("The child told us what would help and nothing changed for them.")
    page.get_by_role("button", name="Save finding").click()
    expect(page.get_by_text("Finding saved")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Add an action for E2E")).click()
    a11y.check(page, "Add an action")
    page.get_by_label("What will be done").fill("E2E: review every plan against the child's recorded wishes.")
    page.get_by_label("Owning agency").select_option(label=SOCIAL_CARE)
    page.get_by_label("Owner", exact=True).select_option(label=f"Dana Whitfield ({SOCIAL_CARE})")  # issue 16
    due = page.get_by_role("group", name="Due by")
    due.get_by_label("Day").fill("31")
    due.get_by_label("Month").fill("3")
    due.get_by_label("Year").fill("2027")
    # Issue 15: each action says how we will know it worked, and when to audit again.
    page.get_by_label("How will we know it worked?").fill("E2E: 8 in 10 plans record the child's own words.")
    reaudit = page.get_by_role("group", name="Re-audit by")
    reaudit.get_by_label("Day").fill("30")
    reaudit.get_by_label("Month").fill("9")
    reaudit.get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_text("Action added")).to_be_visible()

    write_board_statement(page, a11y)
    page.get_by_role("link", name="Preview and publish the board report").click()
    expect(page.get_by_text("This is a preview")).to_be_visible()
    expect(page.locator("#assurance-level")).to_contain_text("Reasonable assurance")
    a11y.check(page, "Report preview")
    page.get_by_role("link", name="Check and publish the report").click()  # issue 13: the check before publishing
    a11y.check(page, "Check before publishing")
    reason = page.get_by_label("Why are you publishing before the round is complete?")
    if reason.count():
        reason.fill("E2E: the board meets this week")
    page.get_by_role("button", name=re.compile("^Publish (the|an interim) report to the board$")).click()
    _wait_for_job(page, a11y, "Publish")
    page.get_by_role("link", name="Continue").click()
    expect(
        page.get_by_role("link", name=re.compile("^" + re.escape(ROUND) + ": case file audit report"))
    ).to_be_visible()
    a11y.check(page, "Published reports")


def write_board_statement(page: Page, a11y: Accessibility) -> None:
    """Issue 14: the QA group's words for the Board open the report (a full report needs them)."""
    page.get_by_role("link", name="Write the statement for the Board").click()
    a11y.check(page, "Statement for the Board")
    page.get_by_role("group", name="How much assurance does the QA group give the Board?").get_by_label(
        "Reasonable assurance"
    ).check()
    page.get_by_label("Assurance statement", exact=True).fill("E2E: the basics are in place; plans must change.")
    page.get_by_label("What is working", exact=True).fill("E2E: children are seen and their wishes recorded.")
    page.get_by_label("What we are worried about", exact=True).fill("E2E: plans do not change when children speak.")
    page.get_by_label("What the children and families told us", exact=True).fill("E2E: heard through the files.")
    page.get_by_label("What we ask of the Board", exact=True).fill("E2E: ask for a report on plan reviews")
    page.get_by_role("button", name="Save the statement").click()
    expect(page.get_by_text("Statement for the Board saved")).to_be_visible()
    a11y.check(page, "Statement for the Board saved")


def board_downloads_pdf(page: Page, a11y: Accessibility) -> None:
    a11y.check(page, "Home (board member)")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^" + re.escape(ROUND))).first.click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert download.value.suggested_filename.endswith(".pdf")


@pytest.fixture
def two_factor_required(live_server):
    """Every user of the journey signs in with an authenticator app: set up at the first sign-in, then its codes."""
    live_server.app.config["TOTP_REQUIRED"] = True
    yield
    live_server.app.config["TOTP_REQUIRED"] = False


def test_audit_cycle_from_import_to_board_report(
    new_context,
    a11y: Accessibility,
    two_factor_required,
) -> None:
    coordinator = _signed_in(new_context, "coordinator", a11y)
    import_annex_a(coordinator, a11y)
    auditors = create_draw_and_assign(coordinator, a11y)
    case_ref = coordinator.locator("tbody tr").first.locator("td").first.get_by_role("link").inner_text()
    assert case_ref in REFS

    health, social_care = auditors
    for auditor in auditors:
        auditor.page = _signed_in(new_context, LOCAL_PART[auditor.name], a11y)
        open_assignment(auditor, a11y, case_ref)

    # Each auditor reaches only their own audit: the other's address is "not found", not "forbidden".
    response = health.page.goto(social_care.assignment_url)
    assert response.status == 404
    expect(health.page.get_by_role("heading", name="Page not found")).to_be_visible()
    a11y.check(health.page, "Page not found")
    health.page.goto(health.assignment_url)

    raise_concern(health, a11y)
    acknowledge_concern(coordinator, a11y, case_ref, health.name)
    section_errors_are_summarised(health, a11y)
    health_audit_stopped_then_submitted(health, a11y)
    social_care_audit_by_keyboard_alone(social_care, a11y)
    record_joint_discussion(social_care, a11y)
    moderate_both(coordinator, a11y)
    finding_action_and_publish(coordinator, a11y, case_ref)

    board = _signed_in(new_context, "board", a11y)
    board_downloads_pdf(board, a11y)

    a11y.assert_clean()
