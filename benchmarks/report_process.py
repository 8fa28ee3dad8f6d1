"""Benchmark ``auditapp report pdf`` as a whole process against a raw WeasyPrint process on the same HTML.

Run from the repository root: ``python -m benchmarks.report_process [--repeat 7] [--size 12]``.

A fresh SQLite file is migrated and filled as ``benchmarks.report_pdf`` does (a completed round of ``--size`` cases:
moderated audits, joint discussions, findings, actions, a drawn sample with its certificate). The round's print HTML
is written once with ``auditapp report html`` and its attachments (``certificate.json``, ``verify.py``) beside it.
Then, interleaved ``--repeat`` times, each a new process measured from start to exit:

(a) ``auditapp report pdf ROUND -o ... --as-of ...``: the whole command (interpreter start, imports, the app, the
    database, the report's data and HTML, charts, WeasyPrint, the attachments);
(b) ``python -c`` that imports weasyprint and renders the same HTML to PDF with the same options (``PDF_OPTIONS``,
    the same base URL, the same two attachments): the floor a report process cannot go below.

It prints the best and the median of each, wall-clock and CPU (user + system of the process: steadier when other
work shares the machine), and their ratios. The goal (issue 17): (a) within 1.5x of (b).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import fresh_app
from benchmarks.report_pdf import AS_OF, _org, _population, make_completed_round

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 1.5
AUDITAPP = Path(sys.executable).with_name("auditapp")

# The baseline: nothing but WeasyPrint, the same HTML, options, base URL and attachments.
RAW = """
import sys, weasyprint
folder = sys.argv[1]
html = open(folder + "/report.html", encoding="utf-8").read()
document = weasyprint.HTML(string=html, base_url=sys.argv[2]).render(pdf_variant="pdf/ua-1", pdf_identifier=True)
attachments = [
    weasyprint.Attachment(filename=folder + "/" + name, name=name, description=name)
    for name in ("certificate.json", "verify.py")
]
pdf = document.write_pdf(attachments=attachments, pdf_variant="pdf/ua-1", pdf_identifier=True)
open(folder + "/raw.pdf", "wb").write(pdf)
"""


def _setup(folder: Path, size: int) -> int:
    """Make the database and the round; write its HTML and attachments; return the round's id."""
    from auditapp.domain.context import acting_as, cli_actor
    from auditapp.extensions import db
    from auditapp.reports.render import PDF_OPTIONS, render_data_html, report_files
    from auditapp.reports.report_data import build_report

    assert PDF_OPTIONS == {"pdf_variant": "pdf/ua-1", "pdf_identifier": True}, "keep RAW's options the same"
    rng = random.Random(17)
    app = fresh_app(folder / "bench.db")
    with app.app_context(), acting_as(cli_actor()):
        auditors = _org(rng)
        _population(3000, rng)
        audit_round = make_completed_round(
            "Process benchmark", size, auditors=auditors, rng=rng, drawn_at=datetime(2025, 1, 10, tzinfo=UTC)
        )
        db.session.commit()
        data = build_report(audit_round, as_of=AS_OF, partnership=app.config["PARTNERSHIP_NAME"], as_it_stood=True)
        (folder / "report.html").write_text(render_data_html(data, for_pdf=True), encoding="utf-8")
        files = report_files(data)
        assert len(files) == 2, "the round has a certificate: both attachments are made"
        for file in files:
            (folder / file.name).write_bytes(file.data)
        round_id = audit_round.id
        db.session.remove()
        db.engine.dispose()
    return round_id


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``command`` to its end: (wall-clock seconds, CPU seconds of the process, user and system)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # cumulative over the children waited for so far
    if process.returncode:
        raise SystemExit(f"{' '.join(command[:4])} failed ({process.returncode}):\n{out.decode()}\n{err.decode()}")
    return seconds, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of each process, interleaved (default 7)")
    parser.add_argument("--size", type=int, default=12, help="cases in the round (default 12)")
    args = parser.parse_args(argv)

    from auditapp.reports.render import STATIC

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        round_id = _setup(folder, args.size)
        env = dict(os.environ, AUDITAPP_ENV="development", DATABASE_URL=f"sqlite:///{folder / 'bench.db'}")
        app_command = [
            str(AUDITAPP), "report", "pdf", str(round_id), "-o", str(folder / "app.pdf"),
            "--as-of", AS_OF.strftime("%Y-%m-%dT%H:%M:%S"),
        ]  # fmt: skip
        raw_command = [sys.executable, "-c", RAW, str(folder), STATIC.as_uri() + "/"]
        _run(app_command, env)  # warm the file cache and the bytecode for both, not timed
        _, cpu_before = _run(raw_command, env)
        app_s, raw_s, app_cpu, raw_cpu = [], [], [], []
        for _ in range(args.repeat):  # interleaved, so both see the same machine
            for wall, cpu, command in ((app_s, app_cpu, app_command), (raw_s, raw_cpu, raw_command)):
                seconds, cpu_after = _run(command, env)
                wall.append(seconds)
                cpu.append(cpu_after - cpu_before)
                cpu_before = cpu_after
        sizes = ((folder / "app.pdf").stat().st_size, (folder / "raw.pdf").stat().st_size)
    best = min(app_s) / min(raw_s)
    median = statistics.median(app_s) / statistics.median(raw_s)
    print(
        f"report of {args.size} cases, {args.repeat} runs of each process (PDF bytes: app {sizes[0]}, raw {sizes[1]})"
    )
    print(f"{'':<38} {'best s':>8} {'median s':>9} {'max s':>7}")
    print(f"{'(a) auditapp report pdf':<38} {min(app_s):>8.2f} {statistics.median(app_s):>9.2f} {max(app_s):>7.2f}")
    print(f"{'(b) python -c weasyprint (same HTML)':<38} {min(raw_s):>8.2f} {statistics.median(raw_s):>9.2f} "
          f"{max(raw_s):>7.2f}")  # fmt: skip
    print(f"{'CPU s (user+system; others load the machine less)':<38}")
    print(
        f"{'(a) auditapp report pdf':<38} {min(app_cpu):>8.2f} {statistics.median(app_cpu):>9.2f} {max(app_cpu):>7.2f}"
    )
    print(f"{'(b) python -c weasyprint (same HTML)':<38} {min(raw_cpu):>8.2f} {statistics.median(raw_cpu):>9.2f} "
          f"{max(raw_cpu):>7.2f}")  # fmt: skip
    print(f"CPU ratio (a)/(b): best {min(app_cpu) / min(raw_cpu):.2f}, "
          f"median {statistics.median(app_cpu) / statistics.median(raw_cpu):.2f}")  # fmt: skip
    print(f"wall-clock ratio (a)/(b): best {best:.2f}, median {median:.2f}; goal <= {GOAL_RATIO}: "
          f"{'met' if median <= GOAL_RATIO else 'not met'} (on the median)")  # fmt: skip


if __name__ == "__main__":
    main()
