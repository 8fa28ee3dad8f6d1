"""hashrank-v1: keys, allocation arithmetic and the draw, checked against hand-computed results."""

from __future__ import annotations

import hashlib
import random

import pytest

from auditapp.sampling.hashrank import (
    UNSTRATIFIED,
    MinPerStratumError,
    PopulationError,
    SampleSizeError,
    SamplingError,
    allocate,
    case_key,
    draw,
    new_seed,
    population_sha256,
    rank,
)


def _population(count: int, strata: tuple[str, ...] = (UNSTRATIFIED,)) -> list[tuple[str, str]]:
    return [(f"C{number:05d}", strata[number % len(strata)]) for number in range(1, count + 1)]


def test_new_seed_is_32_hex_characters_and_fresh_each_time() -> None:
    first, second = new_seed(), new_seed()
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_case_key_is_sha256_of_seed_colon_case_ref() -> None:
    assert case_key("s33d", "CR/12") == hashlib.sha256(b"s33d:CR/12").hexdigest()
    assert case_key("graine", "café-1") == hashlib.sha256("graine:café-1".encode()).hexdigest()


def test_rank_orders_cases_by_key_ascending() -> None:
    refs = [f"R{n}" for n in range(200)]
    expected = sorted(refs, key=lambda ref: hashlib.sha256(f"abc:{ref}".encode()).hexdigest())
    assert rank("abc", refs) == expected


def test_published_example_gives_the_same_sample_for_ever() -> None:
    # Pinned vector: if this changes, hashrank-v1 has changed and old certificates would stop verifying.
    # Checked by hand with: printf 'board-2025:C007' | sha256sum (and so on for C001 to C010).
    population = [(f"C{number:03d}", UNSTRATIFIED) for number in range(1, 11)]
    result = draw(population, size=3, seed="board-2025")
    assert result.sample == ["C007", "C010", "C006"]
    assert result.replacement_lists == {"all": ["C001", "C009", "C005", "C008", "C002", "C003", "C004"]}


def test_same_seed_and_population_give_the_same_sample_whatever_the_row_order() -> None:
    population = _population(500, ("north", "south", "east"))
    shuffled = population[:]
    random.Random(7).shuffle(shuffled)
    first = draw(population, size=12, seed="fixed-seed")
    second = draw(shuffled, size=12, seed="fixed-seed")
    assert first == second
    assert len(first.sample) == 12


def test_a_different_seed_gives_a_different_sample() -> None:
    population = _population(1000)
    assert draw(population, size=10, seed="seed-one").sample != draw(population, size=10, seed="seed-two").sample


def test_sample_is_the_lowest_keys_and_the_rest_are_the_replacement_list_in_key_order() -> None:
    population = _population(40, ("north", "south"))
    result = draw(population, size=6, seed="xyz")
    for stratum in ("north", "south"):
        refs = [ref for ref, name in population if name == stratum]
        ordered = sorted(refs, key=lambda ref: case_key("xyz", ref))
        taken = result.allocation[stratum]
        assert result.sample_by_stratum[stratum] == ordered[:taken]
        assert result.replacement_lists[stratum] == ordered[taken:]
    assert result.sample == result.sample_by_stratum["north"] + result.sample_by_stratum["south"]


def test_allocation_is_proportional_when_exact() -> None:
    assert allocate({"A": 50, "B": 30, "C": 20}, 10) == {"A": 5, "B": 3, "C": 2}


def test_allocation_gives_left_over_places_to_the_largest_remainders() -> None:
    # 3*7/10 = 2.1, 3*2/10 = 0.6, 3*1/10 = 0.3: floors 2, 0, 0; the one place left goes to B (0.6).
    assert allocate({"A": 7, "B": 2, "C": 1}, 3) == {"A": 2, "B": 1, "C": 0}


def test_allocation_breaks_equal_remainders_by_stratum_name() -> None:
    # 4*10/30 = 1.33 each: floors 1, 1, 1, and the last place goes to the first name, "Alpha".
    assert allocate({"Charlie": 10, "Alpha": 10, "Bravo": 10}, 4) == {"Alpha": 2, "Bravo": 1, "Charlie": 1}


def test_allocation_uses_exact_arithmetic_not_floating_point() -> None:
    # B's share is 0.500000000000000005, A's 0.499999999999999995: equal as floats (so "A" would win the tie),
    # but B's remainder is larger in exact arithmetic.
    big = 10**17
    assert allocate({"A": big - 1, "B": big + 1}, 1) == {"A": 0, "B": 1}


def test_at_least_one_per_stratum_shares_the_rest_in_proportion_to_size_minus_one() -> None:
    # Each gets 1; 2 more shared over 6, 1, 0: 2*6/7 = 1.71, 2*1/7 = 0.29: floors 1, 0, 0; last place to A.
    assert allocate({"A": 7, "B": 2, "C": 1}, 5, min_per_stratum=True) == {"A": 3, "B": 1, "C": 1}
    assert allocate({"A": 7, "B": 2, "C": 1}, 3, min_per_stratum=True) == {"A": 1, "B": 1, "C": 1}
    # Without the option the smallest stratum can get nothing.
    assert allocate({"A": 7, "B": 2, "C": 1}, 3)["C"] == 0


def test_at_least_one_per_stratum_needs_as_many_places_as_strata() -> None:
    with pytest.raises(MinPerStratumError, match="at least 3"):
        allocate({"A": 7, "B": 2, "C": 1}, 2, min_per_stratum=True)
    assert issubclass(MinPerStratumError, ValueError)


def test_no_stratum_is_given_more_cases_than_it_has() -> None:
    for size in range(1, 11):
        shares = allocate({"A": 7, "B": 2, "C": 1}, size, min_per_stratum=size >= 3)
        assert shares["A"] <= 7 and shares["B"] <= 2 and shares["C"] <= 1
        assert sum(shares.values()) == size


@pytest.mark.parametrize("size", [0, -1, 11])
def test_a_sample_size_outside_one_to_the_population_is_refused(size: int) -> None:
    with pytest.raises(SampleSizeError):
        allocate({"A": 7, "B": 2, "C": 1}, size)


def test_a_sample_as_large_as_the_population_takes_every_case() -> None:
    result = draw(_population(5), size=5, seed="s")
    assert sorted(result.sample) == [ref for ref, _ in _population(5)]
    assert result.replacement_lists == {"all": []}


@pytest.mark.parametrize(
    "population",
    [
        [],
        [("C1", "all"), ("C1", "all")],
        [("C1", "north"), ("C1", "south")],
        [("C\t1", "all")],
        [("C1", "no\nrth")],
        [("", "all")],
        [(17, "all")],
    ],
)
def test_a_malformed_population_is_refused_with_a_clear_error(population: list[tuple[str, str]]) -> None:
    with pytest.raises(PopulationError):
        draw(population, size=1, seed="s")


def test_an_empty_seed_is_refused() -> None:
    with pytest.raises(SamplingError, match="seed"):
        draw(_population(3), size=1, seed="")


def test_population_fingerprint_does_not_depend_on_row_order() -> None:
    population = [("C2", "south"), ("C10", "north"), ("C1", "north")]
    expected = hashlib.sha256(b"C1\tnorth\nC10\tnorth\nC2\tsouth").hexdigest()
    assert population_sha256(population) == expected
    assert population_sha256(list(reversed(population))) == expected
    assert population_sha256([("C2", "north"), ("C10", "north"), ("C1", "north")]) != expected


def test_the_population_can_be_streamed_once_from_a_cursor() -> None:
    population = _population(50, ("north", "south"))
    streamed = draw((pair for pair in population), size=5, seed="s")
    assert streamed == draw(population, size=5, seed="s")


def test_a_control_character_in_a_case_reference_is_named_in_the_error() -> None:
    with pytest.raises(PopulationError, match=r"case reference contains a control character \('\\t'\)"):
        draw([("C1", "all"), ("C\t2", "all")], size=1, seed="s")
