"""The technical annex (issue 14): everything technical is there and nowhere before it, the PDF carries the
certificate and the verifier as attachments, and the method lists the other draws for the theme."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditapp.domain import publishing
from auditapp.domain.rounds import RoundSettings, cancel_round, create_round
from auditapp.domain.sampling import draw_witnessed, freeze_population
from auditapp.extensions import db
from auditapp.reports.other_draws import months_before, theme_key
from auditapp.reports.render import render_data_html, render_report_html, render_report_pdf
from auditapp.reports.report_data import build_report
from auditapp.sampling import verify as verify_module
from tests.factories import make_cases, make_round
from tests.test_report import completed  # noqa: F401  (the fixture: a round with blind pairs)

PARTNERSHIP = "Testshire Safeguarding Children Partnership"
WITNESS = {"witness_name": "Wren Able", "witness_role": "Independent scrutineer", "witness_value": "harbour 57"}
#: Shell commands and technical codes that may appear in the annex only.
TECHNICAL = ("auditapp ", "python3", "sha256sum", "verify.py", "certificate.json", "hashrank", "SHA-256", "kappa")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def witnessed(actor, org):
    """A hashrank-v2 round: the population frozen, then the draw witnessed by a second named person."""
    make_cases(12)
    audit_round = create_round(
        RoundSettings(name="Witnessed neglect", theme="Neglect", sample_size=4), created_by_id=None
    )
    freeze_population(audit_round)
    draw_witnessed(audit_round, **WITNESS)
    db.session.flush()
    return audit_round


def _split(html: str) -> tuple[str, str]:
    at = html.index('id="annex"')
    return html[:at], html[at:]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_no_shell_command_or_code_appears_before_the_annex_in_the_web_and_print_html(app, witnessed):
    with app.app_context():
        report = build_report(witnessed, as_of=_now(), partnership=PARTNERSHIP)
        for html in (render_data_html(report), render_data_html(report, for_pdf=True)):
            before, annex = _split(html)
            for code in TECHNICAL:
                assert code not in before, code
            assert report.annex.certificate_sha256 not in before and report.annex.seed not in before
            assert "python3 verify.py certificate.json" in annex and "sha256sum certificate.json" in annex
            method = _text(before[before.index('id="method"') :])
            assert "Moderators" not in method or "the technical annex has the detail" in method
            assert "Wren Able (Independent scrutineer) witnessed the draw" in method


def test_the_annex_of_a_witnessed_round_shows_the_scheme_both_hashes_the_freeze_and_the_witness(app, witnessed):
    certificate = witnessed.certificate
    with app.app_context():
        report = build_report(witnessed, as_of=_now(), partnership=PARTNERSHIP)
        _, annex_html = _split(render_data_html(report))
    annex = report.annex
    assert annex.scheme == "hashrank-v2" and annex.draw_attempts == 1
    assert annex.certificate_sha256 == hashlib.sha256(certificate.encode("utf-8")).hexdigest()
    assert annex.population_sha256 == witnessed.frozen_population_sha256 and annex.frozen_fingerprint_matches
    assert annex.witness == "Wren Able (Independent scrutineer)" and annex.frozen_by == "test@example.org"
    text = _text(annex_html)
    assert "hashrank-v2" in text and "hashrank-v1" not in text and "named witness" in text
    assert annex.population_sha256 in text and annex.certificate_sha256 in text and annex.seed in text
    assert "By Wren Able (Independent scrutineer), who entered the witness value" in text
    assert "By test@example.org on" in text and "the population hash above is the one shown to the witness" in text
    assert "Draw attempts 1 (every attempt is in the certificate; there must be exactly one)" in text
    assert "harbour 57" in text  # the witness value is recorded, so anyone can recompute the seed


def test_the_annex_of_a_v1_round_says_v1_with_no_witness_and_the_kappa_and_clustering_detail(app, actor, org, users):
    audit_round = make_round(cases=8, size=4, assign=False, tool_version=2)  # short PDFs: see test_publishing
    with app.app_context():
        report = build_report(audit_round, as_of=_now(), partnership=PARTNERSHIP)
        _, annex_html = _split(render_data_html(report))
    text = _text(annex_html)
    assert report.annex.scheme == "hashrank-v1" and report.annex.seed == "test-seed"
    assert "hashrank-v1" in text and "hashrank-v2" not in text and "without a witness" in text
    assert "Not witnessed: hashrank-v1 has no witness" in text
    assert "Not recorded: hashrank-v1 does not record draw attempts" in text and report.annex.draw_attempts is None
    assert report.annex.population_sha256 in text and report.annex.certificate_sha256 in text
    assert "No audits have been moderated blind" in text and "design effect" in text and "ratio estimate" in text


def test_the_clustering_table_shows_each_questions_design_effect_and_effective_n():
    from auditapp.reports.annex import build_annex
    from auditapp.reports.report_types import QuestionResult
    from auditapp.stats import clustered_proportion

    result = clustered_proportion([(2, 2), (0, 2), (1, 1)])  # 3 of 5 audits from 3 children
    question = QuestionResult("q", "Section", "Was the child seen alone?", result, not_applicable=0)
    empty = QuestionResult("e", "Section", "Not answered", clustered_proportion([]), not_applicable=0)

    class Round:
        id, certificate, frozen_population_sha256 = 7, '{"x": 1}\n', None

    certificate = {"seed": "s", "population_sha256": "0" * 64, "population_size": 9, "drawn_at": "2025-01-02T03:04:05Z"}
    per_child = QuestionResult("c", "Section", "Is the plan SMART?", result, not_applicable=0, unit="child")
    annex = build_annex(Round(), certificate, [question, empty, per_child])  # type: ignore[arg-type]
    (row,) = annex.clustering  # neither a question nobody answered nor one counted per child has a row
    assert (row.text, row.audits, row.children) == ("Was the child seen alone?", 5, 3)
    assert row.design_effect == result.design_effect > 1 and row.effective_n == pytest.approx(5 / result.design_effect)
    assert annex.scheme == "hashrank-v1" and annex.drawn_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert annex.certificate_sha256 == hashlib.sha256(b'{"x": 1}\n').hexdigest()


def _pdf_attachments(pdf: bytes) -> dict[str, list[bytes]]:
    from pypdf import PdfReader

    return dict(PdfReader(io.BytesIO(pdf)).attachments)


def test_the_pdf_carries_the_certificate_and_the_verifier_and_the_attached_verifier_passes(app, witnessed, tmp_path):
    as_of = _now()
    with app.app_context():
        pdf, _ = render_report_pdf(witnessed, as_of=as_of, partnership=PARTNERSHIP)
        again, _ = render_report_pdf(witnessed, as_of=as_of, partnership=PARTNERSHIP)
        report = build_report(witnessed, as_of=as_of, partnership=PARTNERSHIP)
    assert pdf == again  # still deterministic with the attachments
    files = _pdf_attachments(pdf)
    assert sorted(files) == ["certificate.json", "verify.py"]
    (certificate,), (verifier,) = files["certificate.json"], files["verify.py"]
    assert certificate == witnessed.certificate.encode("utf-8")  # byte for byte the stored certificate
    assert verifier == Path(verify_module.__file__).read_bytes()
    assert hashlib.sha256(certificate).hexdigest() == report.annex.certificate_sha256
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()
    flat = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert report.annex.certificate_sha256 in flat and report.annex.population_sha256 in flat
    # Saved from the PDF into an empty folder, the verifier checks the certificate with no package installed.
    (tmp_path / "certificate.json").write_bytes(certificate)
    (tmp_path / "verify.py").write_bytes(verifier)
    python3 = shutil.which("python3") or "python3"
    result = subprocess.run(
        [python3, "-S", "-I", "verify.py", "certificate.json"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0 and result.stdout == "VERIFIED\n", result.stdout + result.stderr


def test_the_report_cli_pdf_carries_the_attachments_too(app, witnessed, tmp_path):
    from auditapp.reports.cli import report_cli

    out = tmp_path / "r.pdf"
    today = _now().date().isoformat()
    result = app.test_cli_runner().invoke(report_cli, ["pdf", str(witnessed.id), "-o", str(out), "--as-of", today])
    assert result.exit_code == 0, result.output
    files = _pdf_attachments(out.read_bytes())
    assert files["certificate.json"] == [witnessed.certificate.encode("utf-8")] and "verify.py" in files


# -- other draws for the same theme ---------------------------------------------------------------------------------


def _drawn(name: str, theme: str | None, drawn_at: datetime):
    audit_round = make_round(name, cases=0, size=2, theme=theme, assign=False, exclude_audited_within_months=0)
    audit_round.drawn_at = drawn_at
    return audit_round


def test_the_method_lists_the_rounds_drawn_or_cancelled_on_the_theme_in_the_12_months_before_the_draw(
    app, actor, org, users
):
    make_cases(30)
    base = _now() - timedelta(days=1)
    this = _drawn("This round", "Neglect", base)
    cancelled = _drawn("Cancelled round", "  neglect ", base - timedelta(days=90))
    ref = cancelled.sampled[0].case.case_ref
    mine = this.sampled[0].case.case_ref  # a case of this round's sample, named in the other's reason
    cancel_round(cancelled, reason=f"Drawn by mistake: {ref} is under review, see {mine}", cancelled_by_id=None)
    cancelled.cancelled_at = base - timedelta(days=60)
    finished = _drawn("Completed round", "NEG LECT", base - timedelta(days=180))
    publishing.publish(finished, pdf=b"%PDF-1.7 test", pages=1, as_of=base)
    _drawn("Old round", "Neglect", base - timedelta(days=396))  # 13 months before: left out
    _drawn("Other theme", "Domestic abuse", base - timedelta(days=30))  # another theme: left out
    _drawn("Later round", "Neglect", base + timedelta(hours=12))  # after this round's draw: left out
    never = create_round(RoundSettings(name="Never drawn", theme="Neglect"), created_by_id=None)
    cancel_round(never, reason="Not needed", cancelled_by_id=None)
    never.cancelled_at = base - timedelta(days=10)
    db.session.flush()

    with app.app_context():
        later = _now() + timedelta(minutes=1)  # after the publication, which is stamped to the microsecond
        report = build_report(this, as_of=later, partnership=PARTNERSHIP)
        html = render_report_html(this, as_of=later, partnership=PARTNERSHIP)
    draws = report.method.other_draws
    assert draws.theme == "Neglect" and draws.until == base.date() and draws.since == months_before(base).date()
    assert [r.name for r in draws.rounds] == ["Completed round", "Cancelled round", "Never drawn"]
    completed_row, cancelled_row, never_row = draws.rounds
    assert completed_row.outcome.startswith("Report published on ") and completed_row.sample_size == 2
    assert cancelled_row.drawn_on == (base - timedelta(days=90)).date()
    day = base - timedelta(days=60)
    assert (
        cancelled_row.outcome
        == f"Cancelled on {day.day} {day:%B %Y}: Drawn by mistake: a sampled case is under review, see a sampled case"
    )
    assert never_row.drawn_on is None and never_row.sample_size is None and never_row.outcome.startswith("Cancelled")
    method = html[html.index('id="method"') : html.index('id="results"')]
    table = _text(method[method.index("Other rounds on the theme") :])
    assert "Completed round" in table and "Cancelled round" in table and "Not drawn" in table and "None drawn" in table
    for left_out in ("Old round", "Other theme", "Later round", ref, mine, "Wendy Worker"):
        assert left_out not in html, left_out


def test_no_other_draw_gives_one_plain_sentence_and_a_round_without_a_theme_is_checked_against_those_without(
    app, actor, org, users
):
    make_cases(20)
    base = _now() - timedelta(days=1)
    themed = _drawn("Themed", "Neglect", base)
    plain = _drawn("No theme", None, base)
    _drawn("Also no theme", "  ", base - timedelta(days=20))  # a blank theme is no theme
    with app.app_context():
        themed_html = _text(render_report_html(themed, as_of=_now(), partnership=PARTNERSHIP))
        plain_report = build_report(plain, as_of=_now(), partnership=PARTNERSHIP)
        plain_html = _text(render_data_html(plain_report))
    assert "No other round on the theme “Neglect” was drawn or cancelled in the 12 months up to this round’s draw" in (
        themed_html
    )
    assert plain_report.method.other_draws.theme is None
    assert [r.name for r in plain_report.method.other_draws.rounds] == ["Also no theme"]
    assert "This round has no theme, so the check for other draws was made over the other rounds without a theme" in (
        plain_html
    )
    assert "Other rounds without a theme drawn or cancelled" in plain_html


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 3, 15, 9, tzinfo=UTC), datetime(2025, 3, 15, 9, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), datetime(2023, 2, 28, tzinfo=UTC)),
    ],
)
def test_twelve_months_before_is_calendar_months(moment, expected):
    assert months_before(moment) == expected


def test_themes_match_without_case_or_spaces():
    assert theme_key(" Child  Neglect ") == theme_key("child neglect") == theme_key("CHILDNEGLECT")
    assert theme_key(None) == theme_key("   ") == ""


def test_the_method_keeps_one_plain_moderation_sentence_and_the_annex_has_the_kappa_detail(app, completed):  # noqa: F811
    with app.app_context():
        report = build_report(completed, as_of=_now(), partnership=PARTNERSHIP)
        before, annex = (_text(part) for part in _split(render_data_html(report)))
    agreement = report.method.agreement
    assert agreement.n == 2 and agreement.agreed == 1
    method = before[before.index("Moderation") :]
    assert (
        "Moderators checked 2 audits blind, giving their own grade before seeing the auditor’s, and agreed with the "
        "auditor in 1; the technical annex has the detail. With so few audits checked this is only indicative."
        in method
    )
    assert "quadratic" not in before and "bootstrap" not in before
    assert "matched the auditor’s overall grade in 1 of 2 pairs (50%), from 2 children" in annex
    assert "Cohen’s kappa with quadratic weights" in annex and "With fewer than 10 pairs of grades" in annex
    assert "bootstrap of 2000 resamples" in annex or "No interval:" in annex
