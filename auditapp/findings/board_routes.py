"""Writing the QA group's statement for the Board (issue 14): the front section of the round's report.

On the findings blueprint (``findings.routes.bp``); registered in ``app._register_blueprints``.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import flash, redirect, url_for

from auditapp.domain import board_statement as board_domain
from auditapp.domain import publishing
from auditapp.domain.errors import DomainError
from auditapp.findings.board_forms import BoardStatementForm
from auditapp.findings.routes import bp, coordinator
from auditapp.forms import add_domain_error, render_form
from auditapp.models import AuditRound
from auditapp.vocabulary import AssuranceLevel


@bp.route("/rounds/<int:round_id>/board-statement", methods=["GET", "POST"])
@coordinator
def board_statement(round: AuditRound):
    """The assurance level and the QA group's words for the Board. A cancelled round shows why it cannot be
    written (as its findings page does); the domain refuses a POST all the same."""
    existing = board_domain.statement_for(round)
    words = board_domain.words_of(existing)
    form = BoardStatementForm(data=asdict(words) if words else None)
    if form.validate_on_submit():
        try:
            _, changed = board_domain.save_statement(
                round,
                board_domain.BoardWords(
                    assurance_level=form.assurance_level.data or "",
                    statement=form.statement.data or "",
                    working=form.working.data or "",
                    worried=form.worried.data or "",
                    voices=form.voices.data or "",
                    asks=form.asks.data or "",
                ),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("Statement for the Board saved" if changed else "Nothing was changed", "success")
            return redirect(url_for("findings.round_findings", round_id=round.id))
    return render_form(
        "findings/board_statement.html",
        form,
        round=round,
        statement=existing,
        current=publishing.current_report(round),
        levels=list(AssuranceLevel),
    )
