"""hashrank-v2 certificates and the standalone verifier: one standard-library file, run with no package installed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditapp.sampling import verify as verify_module
from auditapp.sampling.certificate import Witnessed, apply_replacement, build_certificate, certificate_json
from auditapp.sampling.hashrank import population_sha256
from auditapp.sampling.verify import derive_seed, filter_sha256, verify_certificate

PYTHON3 = shutil.which("python3") or "python3"


def _witnessed_certificate() -> dict[str, Any]:
    population = [(f"C{number:03d}", ("east", "north", "west")[number % 3]) for number in range(1, 61)]
    drawn = build_certificate(
        population=population,
        size=9,
        seed=None,
        drawn_by="coordinator@example.org",
        drawn_at="2026-12-02T09:30:00Z",
        population_filter={"statuses": ["cp"], "exclude_audited_within_months": 12},
        exclusions=[("X1", "Under serious case review"), ("X2", "Audited recently")],
        min_per_stratum=True,
        stratify_by="locality",
        witnessed=Witnessed(
            server_random="ab" * 32,
            witness_value="Harbour lantern 57 ☂",
            witness_name="Wren Able",
            witness_role="Independent scrutineer",
            frozen_by="coordinator@example.org",
            frozen_at="2026-12-02T09:00:00Z",
        ),
    )
    replaced = apply_replacement(drawn, case_ref=drawn["sample"][0], reason="File unavailable", by="qa")
    return json.loads(certificate_json(replaced))


@pytest.fixture
def cert() -> dict[str, Any]:
    return _witnessed_certificate()


def _run(tmp_path: Path, cert: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """Copy verify.py alone into an empty folder and run it with no site-packages and no project on the path."""
    folder = tmp_path / "elsewhere"
    folder.mkdir(exist_ok=True)
    script = folder / "verify.py"
    shutil.copyfile(verify_module.__file__, script)
    path = folder / "certificate.json"
    path.write_text(json.dumps(cert, ensure_ascii=False), encoding="utf-8")
    command = [PYTHON3, "-S", "-I", str(script), str(path)]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False, timeout=60)


def test_the_seed_is_derived_as_documented(cert: dict[str, Any]) -> None:
    text = "hashrank-v2\n" + "ab" * 32 + "\nHarbour lantern 57 ☂\n" + cert["population_sha256"]
    assert (
        cert["seed"]
        == hashlib.sha256(text.encode()).hexdigest()
        == derive_seed(cert["server_random"], cert["witness_value"], cert["population_sha256"])
    )
    population = [tuple(pair) for pair in cert["population"]]
    assert cert["population_sha256"] == population_sha256(population)


def test_the_certificate_records_the_freeze_the_witness_and_exactly_one_attempt(cert: dict[str, Any]) -> None:
    assert (cert["algorithm"], cert["version"]) == ("hashrank", 2)
    assert cert["how_to_verify"] == "python3 verify.py certificate.json"
    assert (cert["frozen_by"], cert["frozen_at"]) == ("coordinator@example.org", "2026-12-02T09:00:00Z")
    assert cert["witnessed_by"] == {"name": "Wren Able", "role": "Independent scrutineer"}
    assert len(cert["draw_attempts"]) == 1
    attempt = cert["draw_attempts"][0]
    assert attempt["seed"] == cert["seed"] and attempt["server_random"] == cert["server_random"]
    assert cert["filter_sha256"] == filter_sha256(cert["filter"])
    assert verify_certificate(cert) == []


def test_a_fresh_certificate_verifies_with_the_standard_library_only(cert: dict[str, Any], tmp_path: Path) -> None:
    result = _run(tmp_path, cert)
    assert (result.returncode, result.stdout, result.stderr) == (0, "VERIFIED\n", "")


def test_the_verifier_file_imports_nothing_but_the_standard_library() -> None:
    source = Path(verify_module.__file__).read_text(encoding="utf-8")
    assert "auditapp" not in "\n".join(line for line in source.splitlines() if line.startswith(("import", "from")))


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda cert: cert.__setitem__(field, value)


def _strata(cert: dict[str, Any]) -> None:
    cert["strata"][0]["N"] += 1


def _exclusion_into_population(cert: dict[str, Any]) -> None:
    cert["exclusions"][0]["case_ref"] = cert["population"][5][0]


def _exclusion_dropped(cert: dict[str, Any]) -> None:
    cert["exclusions"].pop()


def _sample(cert: dict[str, Any]) -> None:
    cert["sample"][0], cert["sample"][1] = cert["sample"][1], cert["sample"][0]


def _stratum_sample(cert: dict[str, Any]) -> None:
    name = next(iter(cert["sample_by_stratum"]))
    cert["sample_by_stratum"][name][0] = cert["replacement_lists"][name][-1]


def _second_attempt(cert: dict[str, Any]) -> None:
    cert["draw_attempts"].append(dict(cert["draw_attempts"][0], attempt=2))


def _attempt_value(cert: dict[str, Any]) -> None:
    cert["draw_attempts"][0]["witness_value"] = "something else"


def _filter(cert: dict[str, Any]) -> None:
    cert["filter"]["statuses"] = ["cp", "cin"]


def _population_size_deleted(cert: dict[str, Any]) -> None:
    del cert["population_size"]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_set("population_size", 268), "population_size is 268, the population has 60 cases"),
        (_population_size_deleted, "the certificate has no 'population_size' field"),
        (_strata, "N is"),
        (_exclusion_into_population, "is in the eligible population"),
        (_exclusion_dropped, "exclusion_counts"),
        (_filter, "filter_sha256 does not match the filter"),
        (_set("filter_sha256", "0" * 64), "filter_sha256 does not match the filter"),
        (_set("server_random", "cd" * 32), "the seed does not follow from server_random"),
        (_set("witness_value", "another value"), "the seed does not follow from server_random"),
        (_set("seed", "chosen-seed"), "the seed does not follow from server_random"),
        (_set("population_sha256", "f" * 64), "the seed does not follow from server_random"),
        (_second_attempt, "lists 2 draw attempts; there must be exactly one"),
        (_set("draw_attempts", []), "lists 0 draw attempts; there must be exactly one"),
        (_attempt_value, "the draw attempt's witness_value"),
        (_set("witnessed_by", {"name": "", "role": "x"}), "witnessed_by does not name the witness"),
        (_sample, "the sample differs at position 1"),
        (_stratum_sample, "the sample for stratum"),
        (_set("version", 7), "this verifier checks hashrank-v1 and hashrank-v2"),
    ],
)
def test_each_tampered_field_is_detected_with_a_clear_message(
    cert: dict[str, Any], tmp_path: Path, tamper: Callable[[dict[str, Any]], None], message: str
) -> None:
    tamper(cert)
    problems = verify_certificate(cert)
    assert any(message in problem for problem in problems), problems
    result = _run(tmp_path, cert)
    assert result.returncode == 1 and result.stdout.startswith("NOT VERIFIED: ") and result.stderr == ""


def test_a_v1_certificate_still_verifies_standalone(tmp_path: Path) -> None:
    drawn = build_certificate(
        population=[(f"C{n}", "all") for n in range(10)],
        size=3,
        seed="old-round",
        drawn_by="qa",
        drawn_at="2025-03-01T09:30:00Z",
        population_filter={},
    )
    cert = json.loads(certificate_json(drawn))
    assert cert["version"] == 1 and verify_certificate(cert) == []
    assert _run(tmp_path, cert).stdout == "VERIFIED\n"
    cert["population_size"] = 11
    assert verify_certificate(cert) == ["population_size is 11, the population has 10 cases"]


@pytest.mark.parametrize("bad", [None, [], "text", 3, {"algorithm": "hashrank"}])
def test_a_malformed_certificate_is_refused_not_crashed(bad: Any) -> None:
    assert verify_certificate(bad)


def test_a_population_with_a_repeated_case_is_refused(cert: dict[str, Any]) -> None:
    cert["population"].append(list(cert["population"][0]))
    assert verify_certificate(cert) == [f"case {cert['population'][0][0]!r} appears more than once in the population"]


def test_a_certificate_says_where_the_server_value_came_from_and_the_demos_says_it_was_fixed(
    cert: dict[str, Any], tmp_path: Path
) -> None:
    """A real draw's server value is drawn at the draw ("server"); the demo fixes it so that it loads the same each
    time ("demo"), and the verifier says so; any other claim is refused."""
    assert cert["server_random_source"] == "server"
    ran = _run(tmp_path, cert)
    assert ran.returncode == 0 and ran.stdout.strip() == "VERIFIED"
    ran = _run(tmp_path, {**cert, "server_random_source": "demo"})
    assert ran.returncode == 0 and "fixed by the demo loader" in ran.stdout, ran.stdout
    ran = _run(tmp_path, {**cert, "server_random_source": "chosen"})
    assert ran.returncode == 1 and "server_random_source must be" in ran.stdout, ran.stdout
