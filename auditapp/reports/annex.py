"""The technical annex of the Board report: everything technical, so the Board-facing body holds none of it.

Method (the sampling scheme read from the certificate), the seed, the population and certificate hashes, who
froze the population and who witnessed the draw, the draw attempts, how to verify (the published PDF carries the
certificate and the verifier as attachments), and the clustering of the results. The kappa detail is rendered from
``Method.agreement``, built once for the method's plain sentence and the annex's detail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from auditapp.models.audit_round import AuditRound
from auditapp.sampling import verify as verifier
from auditapp.sampling.certificate import iso_utc
from auditapp.stats import BOOTSTRAP_RESAMPLES, ClusteredProportion
from auditapp.tools.model import GradeScale

#: The attachments' names in the published PDF (issue 14): exactly these.
CERTIFICATE_NAME = "certificate.json"
VERIFIER_NAME = "verify.py"
VERIFIER_PATH = Path(verifier.__file__)

SCHEMES = {
    1: "Each eligible case was ranked by a hash of the seed and its case reference, and the first in each stratum "
    "were drawn. The seed was set when the sample was drawn, without a witness: the certificate cannot show "
    "how it was chosen.",
    2: "The population was frozen and its fingerprint shown to a named witness, who then entered a value of their "
    "own. At the draw the server drew a random value, and the seed was worked out from the two values and the "
    "fingerprint, so nobody could choose it. Each eligible case was then ranked by a hash of the seed and its case "
    "reference, and the first in each stratum were drawn.",
}


class _Question(Protocol):
    """A report question result (``report_types.QuestionResult``; not imported: report_types imports this)."""

    @property
    def text(self) -> str: ...

    @property
    def result(self) -> ClusteredProportion: ...

    @property
    def unit(self) -> str: ...  # "agency_audit", or "child": one answer per child, so nothing to cluster


@dataclass(frozen=True)
class ClusterRow:
    """One question's clustering: its agency audits, the children they are about, the design effect and the
    effective number of audits the interval rests on."""

    text: str
    audits: int
    children: int
    design_effect: float
    effective_n: float


@dataclass(frozen=True)
class Annex:
    scheme: str  # "hashrank-v1" or "hashrank-v2", read from the certificate
    scheme_words: str  # the scheme in one plain paragraph
    seed: str
    seed_derivation: str | None  # hashrank-v2: how the seed follows from the recorded values
    server_random: str | None
    server_random_fixed: bool  # True when the demo loader fixed it (the demo loads the same each time)
    witness_value: str | None
    population_sha256: str
    population_size: int
    frozen_fingerprint_matches: bool | None  # hashrank-v2: the fingerprint shown to the witness is the certificate's
    certificate_sha256: str  # SHA-256 of the certificate text exactly as attached to the PDF
    drawn_by: str
    drawn_at: datetime
    frozen_by: str | None
    frozen_at: datetime | None
    witness: str | None  # "name (role)"
    draw_attempts: int | None  # hashrank-v1 records none
    replacements: int
    verify_commands: list[str]
    export_command: str
    bootstrap_resamples: int
    clustering: list[ClusterRow]
    # The certificate exactly as stored, attached to the PDF byte for byte (not shown: it can be megabytes).
    certificate_text: str = field(default="", repr=False, compare=False)
    #: The round's tool's grade scale: its name, the label of each grade and what it means (its descriptor).
    grade_scale: GradeScale = field(default_factory=GradeScale)

    @property
    def certificate_bytes(self) -> bytes:
        return self.certificate_text.encode("utf-8")


def build_annex(
    audit_round: AuditRound,
    certificate: dict[str, Any],
    questions: Sequence[_Question],
    grade_scale: GradeScale | None = None,
) -> Annex:
    """The technical annex of ``audit_round``'s report from its stored certificate (``certificate`` is the same
    text parsed), the report's question results and the grade scale of the round's tool (the standard one when
    not given)."""
    text = audit_round.certificate or ""
    version = int(certificate.get("version", 1))
    witnessed = certificate.get("witnessed_by") or None
    attempts = certificate.get("draw_attempts")
    frozen = audit_round.frozen_population_sha256
    return Annex(
        scheme=f"{certificate.get('algorithm', 'hashrank')}-v{version}",
        scheme_words=SCHEMES.get(version, "A scheme this report does not describe: see the certificate."),
        seed=str(certificate["seed"]),
        seed_derivation=certificate.get("seed_derivation"),
        server_random=certificate.get("server_random"),
        server_random_fixed=certificate.get("server_random_source") == "demo",
        witness_value=certificate.get("witness_value"),
        population_sha256=str(certificate["population_sha256"]),
        population_size=int(certificate["population_size"]),
        frozen_fingerprint_matches=(frozen == certificate["population_sha256"]) if version >= 2 and frozen else None,
        certificate_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        drawn_by=str(certificate.get("drawn_by") or "Not recorded"),
        drawn_at=_moment(certificate["drawn_at"]),
        frozen_by=certificate.get("frozen_by"),
        frozen_at=_moment(certificate["frozen_at"]) if certificate.get("frozen_at") else None,
        witness=f"{witnessed['name']} ({witnessed['role']})" if witnessed else None,
        draw_attempts=len(attempts) if isinstance(attempts, list) else None,
        replacements=len(certificate.get("replacement_log") or []),
        verify_commands=[f"sha256sum {CERTIFICATE_NAME}", f"python3 {VERIFIER_NAME} {CERTIFICATE_NAME}"],
        export_command=f"auditapp sample certificate {audit_round.id} -o {CERTIFICATE_NAME}",
        bootstrap_resamples=BOOTSTRAP_RESAMPLES,
        clustering=[
            ClusterRow(
                text=q.text,
                audits=q.result.n,
                children=q.result.clusters,
                design_effect=q.result.design_effect,
                effective_n=q.result.effective_n,
            )
            for q in questions
            if q.result.n and q.unit != "child"
        ],
        certificate_text=text,
        grade_scale=grade_scale or GradeScale(),
    )


def _moment(value: str) -> datetime:
    """A certificate's ISO 8601 UTC time ("...Z") as an aware datetime."""
    return datetime.fromisoformat(iso_utc(value).replace("Z", "+00:00"))
