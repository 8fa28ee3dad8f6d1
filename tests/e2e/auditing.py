"""Filling in an audit in the browser: by mouse through the labels, or by keyboard alone (Tab, Space, Enter)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from auditapp.tools import AuditTool, Question

DEFAULT_CHOICE = {"yes_no_na": "yes", "grade": "good", "choice": None}


def _text_for(question: Question) -> str:
    return f"E2E: {question.text.rstrip('?')} - recorded on the file at the visits of 10 January 2024."


def answer_question(page: Page, question: Question, value: str | None = None) -> None:
    """Answer one question through its label. ``value`` is an option value or text; None takes a default.

    A computed question already holds the answer worked out from the case's dates: it is left as proposed.
    """
    if question.type in ("yes_no_na", "grade", "choice"):
        group = page.get_by_role("group", name=question.text, exact=True)
        if question.computed and value is None and group.locator("input:checked").count():
            return
        chosen = value or DEFAULT_CHOICE[question.type] or question.options[0][0]
        group.get_by_label(question.option_label(chosen), exact=True).check()
        if question.computed and group.locator("input:checked").count() and value is not None:
            page.get_by_label("If your answer differs from the one worked out, why?").fill("The file says otherwise")
    elif question.type == "text":
        page.get_by_label(question.text, exact=True).fill(_text_for(question) if value is None else value)
    else:  # no number or date questions in the shipped tools' sections used here
        raise NotImplementedError(question.type)


def on_page(page: Page, question: Question) -> bool:
    """Whether the section page asks the question (a page leaves out questions that answers elsewhere hide)."""
    return page.locator(f"[name='{question.id}']").count() > 0


def _chosen(page: Page, question: Question, value: str | None) -> str | None:
    if question.type not in ("yes_no_na", "grade", "choice"):
        return value
    checked = page.locator(f"input[name='{question.id}']:checked")
    return checked.first.get_attribute("value") if checked.count() else value


def fill_section(
    page: Page, tool: AuditTool, section_id: str, answers: dict[str, str] | None = None, *, skip: tuple[str, ...] = ()
) -> None:
    """Answer every question the section page asks (``answers`` by question id override the defaults), leaving
    out a question whose condition, on a question of the same page, the answers given here do not meet."""
    answers = answers or {}
    section = tool.section(section_id)
    given: dict[str, str | None] = {}
    for question in section.questions:
        condition = question.show_when
        if question.id in skip or not on_page(page, question):
            continue
        if condition and condition.question_id in given and not condition.is_met(given[condition.question_id] or ""):
            continue
        answer_question(page, question, answers.get(question.id))
        given[question.id] = _chosen(page, question, answers.get(question.id))
    page.get_by_label(section.evidence.label, exact=True).fill(f"E2E evidence for {section.title.lower()}.")


def open_section(page: Page, tool: AuditTool, section_id: str) -> None:
    title = tool.section(section_id).title
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()


def _focused(page: Page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement; return {tag: e.tagName, type: e.type,"
        " name: e.name, checked: e.checked, text: (e.innerText || '').trim()} }"
    )


def follow_link_by_keyboard(page: Page, text: str, *, tag: str = "A") -> int:
    """Tab from the top of the page to the link (or ``tag="BUTTON"``) whose text starts with ``text``; Enter."""
    for presses in range(1, 200):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused["tag"] == tag and focused["text"].startswith(text):
            page.keyboard.press("Enter")
            return presses + 1
    raise AssertionError(f"Tab never reached the {tag.lower()} {text!r}")


def complete_by_keyboard(page: Page, tool: AuditTool, section_id: str) -> int:
    """Complete a section with the keyboard alone: Tab through the page, Space on the first option of each
    unanswered radio group (the first option is "Yes" or "Outstanding": Tab and Space cannot reach the others
    without arrow keys), type into the evidence box and Enter on "Save and continue". Returns the key presses.
    """
    section = tool.section(section_id)
    asked = [q for q in section.questions if on_page(page, q)]
    radios = {q.id for q in asked if q.type in ("yes_no_na", "grade", "choice")}
    texts = {q.id for q in asked if q.type == "text" and not q.show_when}
    presses = 0
    for _ in range(200):
        page.keyboard.press("Tab")
        presses += 1
        focused = _focused(page)
        if focused["type"] == "radio" and focused["name"] in radios:
            if not focused["checked"]:
                page.keyboard.press("Space")
                presses += 1
            radios.discard(focused["name"])
        elif focused["tag"] == "TEXTAREA" and focused["name"] in texts | {section.evidence_key}:
            page.keyboard.type(f"Typed with the keyboard: {section.title.lower()}.")
            texts.discard(focused["name"])
        elif focused["tag"] == "BUTTON" and focused["text"] == "Save and continue":
            assert not radios and not texts, f"keyboard could not reach {radios | texts}"
            page.keyboard.press("Enter")
            return presses + 1
    raise AssertionError("Tab never reached the Save and continue button")
