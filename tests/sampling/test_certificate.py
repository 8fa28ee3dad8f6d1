"""The sampling certificate: what it records, and replacements only from the stratum's list."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from auditapp.sampling.certificate import (
    apply_replacement,
    build_certificate,
    certificate_json,
    current_sample,
    iso_utc,
    next_replacement,
)
from auditapp.sampling.hashrank import PopulationError, ReplacementError, population_sha256
from auditapp.sampling.verify import verify_certificate

POPULATION = [(f"C{number:03d}", "north" if number % 3 else "south") for number in range(1, 31)]
EXCLUSIONS = [
    ("X001", "Under serious case review"),
    ("X002", "Sampled in the last 12 months"),
    ("X003", "Sampled in the last 12 months"),
]


def _certificate(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "population": POPULATION,
        "size": 6,
        "seed": "board-2025",
        "drawn_by": "qa.lead@example.gov.uk",
        "drawn_at": datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        "population_filter": {"statuses": ["cp", "cin"], "open_between": [date(2024, 1, 1), date(2024, 12, 31)]},
        "exclusions": EXCLUSIONS,
        "min_per_stratum": True,
        "stratify_by": "locality",
    }
    arguments.update(overrides)
    return build_certificate(**arguments)


def test_certificate_records_the_draw_in_full() -> None:
    cert = _certificate()
    assert (cert["algorithm"], cert["version"]) == ("hashrank", 1)
    assert cert["seed"] == "board-2025"
    assert cert["drawn_by"] == "qa.lead@example.gov.uk"
    assert cert["drawn_at"] == "2025-03-01T09:30:00Z"
    assert cert["filter"] == {"statuses": ["cp", "cin"], "open_between": ["2024-01-01", "2024-12-31"]}
    assert cert["stratify_by"] == "locality"
    assert cert["requested_size"] == 6 and cert["min_per_stratum"] is True
    assert cert["strata"] == [{"name": "north", "N": 20, "n": 4}, {"name": "south", "N": 10, "n": 2}]
    assert cert["population_size"] == 30
    assert cert["population_sha256"] == population_sha256(POPULATION)
    assert cert["population"] == sorted(POPULATION)
    assert json.loads(certificate_json(cert))["population"][0] == ["C001", "north"]
    assert len(cert["sample"]) == 6
    assert cert["sample"] == cert["sample_by_stratum"]["north"] + cert["sample_by_stratum"]["south"]
    assert len(cert["replacement_lists"]["north"]) == 16 and len(cert["replacement_lists"]["south"]) == 8
    assert cert["replacement_log"] == [] and cert["current_sample"] == cert["sample"]
    assert verify_certificate(cert) == []


def test_certificate_shows_exclusions_with_reasons_and_counts_and_never_draws_them() -> None:
    cert = _certificate()
    assert cert["exclusions"] == [
        {"case_ref": "X001", "reason": "Under serious case review"},
        {"case_ref": "X002", "reason": "Sampled in the last 12 months"},
        {"case_ref": "X003", "reason": "Sampled in the last 12 months"},
    ]
    assert cert["exclusion_counts"] == {"Sampled in the last 12 months": 2, "Under serious case review": 1}
    excluded = {ref for ref, _ in EXCLUSIONS}
    listed = {ref for refs in cert["replacement_lists"].values() for ref in refs}
    assert not excluded & (set(cert["sample"]) | listed | {ref for ref, _ in cert["population"]})


def test_a_case_both_excluded_and_eligible_is_refused() -> None:
    with pytest.raises(PopulationError, match="C001"):
        _certificate(exclusions=[("C001", "Under serious case review")])


def test_times_are_recorded_in_utc() -> None:
    assert iso_utc(datetime(2025, 6, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))) == "2025-06-01T09:00:00Z"
    assert iso_utc(datetime(2025, 6, 1, 9, 0)) == "2025-06-01T09:00:00Z"
    assert iso_utc("2025-06-01T09:00:00+00:00") == "2025-06-01T09:00:00Z"


def test_a_sampled_case_is_replaced_by_the_next_case_on_its_stratum_list() -> None:
    cert = _certificate()
    out_ref = cert["sample_by_stratum"]["south"][1]
    first_in = cert["replacement_lists"]["south"][0]
    assert next_replacement(cert, out_ref) == ("south", first_in)

    replaced = apply_replacement(cert, case_ref=out_ref, reason="File unavailable", by="qa", at="2025-03-02T10:00:00Z")

    assert replaced["replacement_log"] == [
        {
            "case_ref_out": out_ref,
            "case_ref_in": first_in,
            "stratum": "south",
            "reason": "File unavailable",
            "by": "qa",
            "at": "2025-03-02T10:00:00Z",
        }
    ]
    assert replaced["current_sample"] == [
        *cert["sample_by_stratum"]["north"],
        cert["sample_by_stratum"]["south"][0],
        first_in,
    ]
    assert replaced["sample"] == cert["sample"]  # the drawn sample stays on record
    assert cert["replacement_log"] == []  # the given certificate is not changed
    assert verify_certificate(replaced) == []


def test_replacements_use_the_list_in_order_and_a_replacement_can_itself_be_replaced() -> None:
    cert = _certificate()
    south_list = cert["replacement_lists"]["south"]
    first = cert["sample_by_stratum"]["south"][0]
    cert = apply_replacement(cert, case_ref=first, reason="Conflict of interest", by="qa")
    cert = apply_replacement(cert, case_ref=south_list[0], reason="File unavailable", by="qa")
    assert [entry["case_ref_in"] for entry in cert["replacement_log"]] == south_list[:2]
    assert south_list[1] in current_sample(cert)
    assert verify_certificate(cert) == []


def test_replacing_a_case_that_is_not_in_the_sample_is_refused() -> None:
    cert = _certificate()
    not_sampled = cert["replacement_lists"]["north"][0]
    with pytest.raises(ReplacementError, match="not in the current sample"):
        apply_replacement(cert, case_ref=not_sampled, reason="File unavailable", by="qa")
    out_ref = cert["sample"][0]
    cert = apply_replacement(cert, case_ref=out_ref, reason="File unavailable", by="qa")
    with pytest.raises(ReplacementError, match="not in the current sample"):
        apply_replacement(cert, case_ref=out_ref, reason="File unavailable", by="qa")


def test_replacement_stops_when_the_stratum_list_is_used_up() -> None:
    population = [("A1", "only"), ("A2", "only"), ("A3", "only")]
    cert = _certificate(population=population, size=2, exclusions=[], min_per_stratum=False)
    cert = apply_replacement(cert, case_ref=cert["sample"][0], reason="File unavailable", by="qa")
    with pytest.raises(ReplacementError, match="no cases left"):
        apply_replacement(cert, case_ref=cert["current_sample"][1], reason="File unavailable", by="qa")


def test_a_replacement_needs_a_reason() -> None:
    cert = _certificate()
    with pytest.raises(ReplacementError, match="reason"):
        apply_replacement(cert, case_ref=cert["sample"][0], reason="  ", by="qa")


def test_reissuing_a_certificate_with_its_replacement_log_gives_the_same_certificate() -> None:
    cert = _certificate()
    cert = apply_replacement(
        cert, case_ref=cert["sample"][0], reason="File unavailable", by="qa", at="2025-03-02T10:00:00Z"
    )
    log = [{key: value for key, value in entry.items() if key != "stratum"} for entry in cert["replacement_log"]]
    assert _certificate(replacement_log=log) == cert


def test_reissuing_with_a_replacement_not_from_the_list_is_refused() -> None:
    cert = _certificate()
    wrong = cert["replacement_lists"]["north"][3]
    log = [
        {
            "case_ref_out": cert["sample"][0],
            "case_ref_in": wrong,
            "reason": "x",
            "by": "qa",
            "at": "2025-03-02T10:00:00Z",
        }
    ]
    with pytest.raises(ReplacementError, match="not the next case"):
        _certificate(replacement_log=log)


def test_certificate_json_is_valid_json_that_round_trips() -> None:
    cert = _certificate()
    text = certificate_json(cert)
    assert json.loads(text) == json.loads(json.dumps(cert))
    assert text.splitlines()[1] == '  "algorithm": "hashrank",'
