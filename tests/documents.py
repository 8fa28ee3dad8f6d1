"""Asking for a document made in the worker (issue 16), as a browser does: press the button (a POST with the CSRF
token), land on the job's status page, follow its download link. In tests ``JOBS_SYNCHRONOUS`` runs the job in the
POST, so the page already offers the file."""

from __future__ import annotations

from tests.conftest import post_form, soup


def ask_for(client, path: str, *, on: str = "/home"):
    """Press the button (on the page ``on``, for its CSRF token) that asks for the document at ``path``: the job's
    status page (a BeautifulSoup)."""
    asked = post_form(client, path, token_from=on)
    assert asked.status_code == 302 and "/jobs/" in asked.headers["Location"], asked.status_code
    return soup(client.get(asked.headers["Location"]))


def download(client, path: str, *, on: str = "/home"):
    """Ask for the document and download it: (the status page, the file's response)."""
    page = ask_for(client, path, on=on)
    link = page.select_one("a#job-file")
    assert link is not None, page.get_text(" ", strip=True)
    return page, client.get(link["href"])
