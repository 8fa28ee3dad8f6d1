"""Report and moderation statistics against values worked out by hand.

Wilson score interval, with p = k/n and z = 1.959964 (z^2 = 3.841459):
    centre = (p + z^2/2n) / (1 + z^2/n)
    half   = z * sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
"""

from __future__ import annotations

import pytest

from auditapp.stats import (
    OFSTED_GRADES,
    grade_agreement,
    grade_distribution,
    percent_agreement,
    proportion,
    quadratic_weighted_kappa,
    small_n_warning,
    wilson_interval,
)
from auditapp.tools import GRADE_OPTIONS

O, G, R, I = OFSTED_GRADES  # noqa: E741 - outstanding, good, requires_improvement, inadequate


def test_wilson_7_of_10() -> None:
    # p = 0.7, n = 10: denominator 1 + 0.384146 = 1.384146
    # centre = (0.7 + 0.192073) / 1.384146 = 0.644493
    # half   = 1.959964 * sqrt(0.021 + 0.009604) / 1.384146 = 1.959964 * 0.174939 / 1.384146 = 0.247720
    # interval = (0.396773, 0.892213)
    low, high = wilson_interval(k=7, n=10)
    assert (round(low, 4), round(high, 4)) == (0.3968, 0.8922)


def test_wilson_15_of_20() -> None:
    # p = 0.75, n = 20: denominator 1 + 0.192073 = 1.192073
    # centre = (0.75 + 0.096036) / 1.192073 = 0.709719
    # half   = 1.959964 * sqrt(0.009375 + 0.002401) / 1.192073 = 1.959964 * 0.108517 / 1.192073 = 0.178420
    # interval = (0.531299, 0.888139)
    low, high = wilson_interval(k=15, n=20)
    assert (round(low, 4), round(high, 4)) == (0.5313, 0.8881)


def test_wilson_none_and_all() -> None:
    # p = 0, n = 10: centre = half = 0.192073 / 1.384146 = 0.138767, so (0, 0.277533); k = n mirrors it.
    low, high = wilson_interval(k=0, n=10)
    assert (low, round(high, 4)) == (0.0, 0.2775)
    low, high = wilson_interval(k=10, n=10)
    assert (round(low, 4), high) == (0.7225, 1.0)


def test_wilson_with_no_cases_is_none() -> None:
    assert wilson_interval(k=0, n=0) is None


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (0, -1)])
def test_wilson_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson_interval(k=k, n=n)


def test_small_n_warning_below_10() -> None:
    assert small_n_warning(0)
    assert small_n_warning(9)
    assert not small_n_warning(10)
    assert not small_n_warning(120)


def test_proportion_for_a_report_row() -> None:
    row = proportion(k=7, n=10)
    assert row.percent == pytest.approx(70.0)
    assert not row.small_n
    assert round(row.interval[0], 4) == 0.3968
    empty = proportion(k=0, n=0)
    assert (empty.proportion, empty.percent, empty.interval, empty.small_n) == (None, None, None, True)


def test_grade_order_matches_the_tools() -> None:
    assert tuple(value for value, _ in GRADE_OPTIONS) == OFSTED_GRADES


def test_grade_distribution_in_ofsted_order_with_zeros() -> None:
    counts = grade_distribution([G, G, I, None, "", G])
    assert list(counts.items()) == [(O, 0), (G, 3), (R, 0), (I, 1)]
    with pytest.raises(ValueError):
        grade_distribution(["excellent"])


def test_kappa_and_agreement_by_hand() -> None:
    # Grades as indices (outstanding 0 ... inadequate 3):
    #   auditor   [1, 1, 2, 3, 0]     moderator [1, 2, 2, 2, 1]
    # Disagreement weights (i - j)^2: 0, 1, 0, 1, 1 -> observed = 3.
    # Auditor totals:   cat0 1, cat1 2, cat2 1, cat3 1.   Moderator totals: cat1 2, cat2 3.
    # Expected = sum(row_i * col_j * (i - j)^2) / n:
    #   i=0: 1*2*1 + 1*3*4 = 14;  i=1: 2*2*0 + 2*3*1 = 6;  i=2: 1*2*1 + 1*3*0 = 2;  i=3: 1*2*4 + 1*3*1 = 11
    #   total 33, / 5 = 6.6.   kappa = 1 - 3 / 6.6 = 6/11 = 0.545455.
    # Exact agreement: pairs 1 and 3 -> 2 of 5 = 40%.
    auditor = [G, G, R, I, O]
    moderator = [G, R, R, R, G]
    result = grade_agreement(first=auditor, second=moderator)
    assert (result.n, result.agreed) == (5, 2)
    assert result.percent == pytest.approx(40.0)
    assert result.kappa == pytest.approx(6 / 11)
    assert result.kappa_reason is None
    assert percent_agreement(first=auditor, second=moderator) == pytest.approx(40.0)


def test_kappa_perfect_agreement_is_1() -> None:
    grades = [O, G, G, R, I]
    assert quadratic_weighted_kappa(first=grades, second=grades) == (pytest.approx(1.0), None)


def test_kappa_complete_reversal_is_minus_1() -> None:
    # [0, 3] against [3, 0]: observed 9 + 9 = 18; totals cat0 1, cat3 1 each side;
    # expected (1*1*9 + 1*1*9) / 2 = 9; kappa = 1 - 18/9 = -1.
    assert quadratic_weighted_kappa(first=[O, I], second=[I, O]) == (pytest.approx(-1.0), None)


def test_kappa_when_one_rater_never_varies_is_0() -> None:
    # [1, 1] against [1, 2]: observed 1; expected (2*1*0 + 2*1*1) / 2 = 1; kappa = 1 - 1/1 = 0.
    assert quadratic_weighted_kappa(first=[G, G], second=[G, R]) == (pytest.approx(0.0), None)


def test_kappa_is_undefined_when_every_grade_is_the_same() -> None:
    result = grade_agreement(first=[G, G, G], second=[G, G, G])
    assert result.kappa is None
    assert "every grade was the same" in result.kappa_reason
    assert result.percent == pytest.approx(100.0)


def test_kappa_with_no_pairs() -> None:
    result = grade_agreement(first=[], second=[])
    assert (result.n, result.proportion, result.percent, result.kappa) == (0, None, None, None)
    assert result.kappa_reason == "There are no pairs of grades to compare."


def test_kappa_rejects_unequal_lists_and_unknown_grades() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        grade_agreement(first=[G], second=[G, G])
    with pytest.raises(ValueError, match="not an Ofsted grade"):
        grade_agreement(first=[G], second=["excellent"])


def test_percentages_round_halves_up_not_to_even() -> None:
    from auditapp.stats import percent_text, round_half_up

    # Python's round() rounds halves to even: round(62.5) == 62 and round(0.5) == 0. Reports round halves up.
    assert [round_half_up(v) for v in (62.5, 0.5, 1.5, 2.5, 87.5, 62.4999, 99.5)] == [63, 1, 2, 3, 88, 62, 100]
    assert round_half_up(100 * 0.175) == 18  # 17.499999999999996 in floating point: still a half
    assert round_half_up(100 * 5 / 8) == 63 and round_half_up(0.0) == 0
    assert percent_text(62.5) == "63%" and percent_text(None) == "No answers"
    assert percent_text(None, empty="Not available") == "Not available"
