"""The verifier: recomputes a certificate without the database and names the first difference."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditapp.sampling.certificate import apply_replacement, build_certificate, certificate_json
from auditapp.sampling.hashrank import population_sha256
from auditapp.sampling.verify import main, verify_certificate

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cert() -> dict[str, Any]:
    population = [(f"C{number:03d}", ("east", "north", "west")[number % 3]) for number in range(1, 61)]
    drawn = build_certificate(
        population=population,
        size=9,
        seed="verify-me",
        drawn_by="qa",
        drawn_at="2025-03-01T09:30:00Z",
        population_filter={"statuses": ["cp"]},
        exclusions=[("X1", "Under serious case review")],
        min_per_stratum=True,
        stratify_by="locality",
    )
    replaced = apply_replacement(drawn, case_ref=drawn["sample"][0], reason="File unavailable", by="qa")
    return json.loads(certificate_json(replaced))  # as the verifier receives it


def _rehash(cert: dict[str, Any]) -> None:
    cert["population_sha256"] = population_sha256(tuple(pair) for pair in cert["population"])


def test_an_untouched_certificate_is_verified(cert: dict[str, Any]) -> None:
    assert verify_certificate(cert) == []


def test_a_changed_seed_is_detected(cert: dict[str, Any]) -> None:
    cert["seed"] = "verify-me-too"
    problems = verify_certificate(cert)
    assert problems and problems[0].startswith("the sample for stratum")


def test_a_case_added_to_the_population_is_detected_by_the_fingerprint(cert: dict[str, Any]) -> None:
    cert["population"].append(["C999", "north"])
    assert verify_certificate(cert)[0].startswith("population_sha256 does not match")


def test_a_case_added_to_the_population_with_a_new_fingerprint_is_still_detected(cert: dict[str, Any]) -> None:
    cert["population"].append(["C999", "north"])
    _rehash(cert)
    assert "stratum 'north': N is 20, the population has 21" in verify_certificate(cert)


def test_a_case_removed_from_the_population_is_detected(cert: dict[str, Any]) -> None:
    removed = cert["replacement_lists"]["east"][-1]
    cert["population"] = [pair for pair in cert["population"] if pair[0] != removed]
    _rehash(cert)
    assert verify_certificate(cert)


def test_a_case_moved_to_another_stratum_is_detected(cert: dict[str, Any]) -> None:
    cert["population"][0][1] = "west" if cert["population"][0][1] != "west" else "east"
    assert verify_certificate(cert)[0].startswith("population_sha256 does not match")
    _rehash(cert)
    assert verify_certificate(cert)


def test_a_changed_sample_is_detected(cert: dict[str, Any]) -> None:
    stratum = cert["strata"][0]["name"]
    swapped = cert["replacement_lists"][stratum][-1]
    cert["sample_by_stratum"][stratum][-1] = swapped
    index = cert["sample"].index(cert["sample_by_stratum"][stratum][0]) + len(cert["sample_by_stratum"][stratum]) - 1
    cert["sample"][index] = swapped
    assert verify_certificate(cert)[0].startswith(f"the sample for stratum {stratum!r} differs at position")


def test_a_changed_flat_sample_is_detected(cert: dict[str, Any]) -> None:
    cert["sample"].reverse()
    assert verify_certificate(cert)[0].startswith("the sample differs at position 1")


def test_a_changed_allocation_is_detected(cert: dict[str, Any]) -> None:
    cert["requested_size"] = 10
    assert any("the allocation gives" in problem for problem in verify_certificate(cert))


def test_a_replacement_not_taken_from_the_list_is_detected(cert: dict[str, Any]) -> None:
    entry = cert["replacement_log"][0]
    entry["case_ref_in"] = cert["replacement_lists"][entry["stratum"]][1]
    assert "is not the next case on the replacement list" in verify_certificate(cert)[0]


def test_a_replacement_removed_from_the_log_is_detected(cert: dict[str, Any]) -> None:
    cert["replacement_log"] = []
    assert verify_certificate(cert)[0].startswith("current_sample differs")


def test_an_excluded_case_slipped_into_the_population_is_detected(cert: dict[str, Any]) -> None:
    cert["population"].append(["X1", "north"])
    _rehash(cert)
    assert "excluded case 'X1' is in the eligible population" in verify_certificate(cert)


def test_changed_exclusion_counts_are_detected(cert: dict[str, Any]) -> None:
    cert["exclusion_counts"] = {"Under serious case review": 2}
    assert verify_certificate(cert)[0].startswith("exclusion_counts")


def test_another_algorithm_version_is_not_verified(cert: dict[str, Any]) -> None:
    cert["version"] = 3
    assert "this verifier checks hashrank-v1 and hashrank-v2" in verify_certificate(cert)[0]


def test_a_certificate_with_a_missing_field_is_not_verified(cert: dict[str, Any]) -> None:
    del cert["seed"]
    assert verify_certificate(cert) == ["the certificate has no 'seed' field"]


@pytest.mark.parametrize("bad", [[], ["C1"], [1, "north"]])
def test_a_malformed_population_entry_is_reported(cert: dict[str, Any], bad: list[Any]) -> None:
    cert = copy.deepcopy(cert)
    cert["population"][3] = bad
    assert verify_certificate(cert) == ["population entry 4 is not a [case_ref, stratum] pair"]


def test_cli_prints_verified_and_exits_zero(
    cert: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cert.json"
    path.write_text(certificate_json(cert), encoding="utf-8")
    assert main([str(path)]) == 0
    assert capsys.readouterr().out == "VERIFIED\n"


def test_cli_prints_the_first_difference_and_exits_one(
    cert: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cert["seed"] = "tampered"
    path = tmp_path / "cert.json"
    path.write_text(certificate_json(cert), encoding="utf-8")
    assert main([str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("NOT VERIFIED: the sample for stratum") and out.count("\n") == 1


def test_cli_reports_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cert.json"
    path.write_text("{not json", encoding="utf-8")
    assert main([str(path)]) == 1
    assert capsys.readouterr().out.startswith("NOT VERIFIED: cannot read")


def test_verifier_runs_with_the_standard_library_only(cert: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "cert.json"
    path.write_text(certificate_json(cert), encoding="utf-8")
    # -S: no site-packages at all, so any third-party import (flask, sqlalchemy...) would fail.
    command = [sys.executable, "-S", "-m", "auditapp.sampling.verify", str(path)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "VERIFIED\n", "")
