"""Statistics for audit reports and moderation: pure functions, no database, no third-party packages.

- Proportions are reported with a Wilson 95% score interval, which behaves well for the small samples and the
  0% / 100% results file audits produce (the usual "p plus or minus 1.96 standard errors" interval does not).
- Results from fewer than 10 cases carry a plain warning (:func:`small_n_warning`).
- Agreement between auditors' and moderators' Ofsted grades: percent agreement and Cohen's kappa with
  quadratic weights, which gives partial credit for near misses ("good" against "outstanding" is a smaller
  disagreement than "good" against "inadequate").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Ofsted grades, best first: the ordinal scale for kappa and the order of distributions.
OFSTED_GRADES: tuple[str, ...] = ("outstanding", "good", "requires_improvement", "inadequate")

#: The normal quantile for a two-sided 95% interval.
Z_95 = 1.959963984540054

#: Below this many cases a result carries a warning that it cannot be generalised.
SMALL_N = 10


def wilson_interval(*, k: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Return the Wilson score interval (low, high) for ``k`` successes out of ``n``, as proportions (0 to 1).

    Returns None when ``n`` is 0 (no interval can be given). Raises ValueError unless 0 <= k <= n.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return None
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At k = 0 the lower bound is exactly 0 and at k = n the upper bound exactly 1; set them so rounding
    # noise (0.9999999...) never shows in a report.
    low = 0.0 if k == 0 else max(0.0, centre - half_width)
    high = 1.0 if k == n else min(1.0, centre + half_width)
    return low, high


def small_n_warning(n: int) -> bool:
    """True when a result rests on fewer than 10 cases and should carry a warning."""
    return n < SMALL_N


@dataclass(frozen=True)
class ProportionResult:
    """k of n with its proportion, Wilson 95% interval and small-n flag (proportion, interval None if n=0)."""

    k: int
    n: int
    proportion: float | None
    interval: tuple[float, float] | None
    small_n: bool

    @property
    def percent(self) -> float | None:
        """The proportion as a percentage (0 to 100)."""
        return None if self.proportion is None else 100 * self.proportion


def proportion(*, k: int, n: int) -> ProportionResult:
    """Summarise k of n for a report row. Raises ValueError unless 0 <= k <= n."""
    interval = wilson_interval(k=k, n=n)
    return ProportionResult(k=k, n=n, proportion=k / n if n else None, interval=interval, small_n=small_n_warning(n))


def grade_distribution(grades: Iterable[str | None]) -> dict[str, int]:
    """Count grades in Ofsted order, every grade present (zero when unused). Blank or None grades are skipped.

    Raises ValueError for a value that is not an Ofsted grade.
    """
    counts = dict.fromkeys(OFSTED_GRADES, 0)
    for grade in grades:
        if not grade:
            continue
        if grade not in counts:
            raise ValueError(f"{grade!r} is not an Ofsted grade")
        counts[grade] += 1
    return counts


@dataclass(frozen=True)
class Agreement:
    """Agreement between two sets of grades for the same cases.

    ``proportion`` is the share of exact agreements (None when n=0). ``kappa`` is quadratic-weighted Cohen's
    kappa, or None with ``kappa_reason`` saying why it cannot be calculated.
    """

    n: int
    agreed: int
    proportion: float | None
    kappa: float | None
    kappa_reason: str | None

    @property
    def percent(self) -> float | None:
        """Percent agreement (0 to 100), None when n=0."""
        return None if self.proportion is None else 100 * self.proportion


def _indices(grades: Sequence[str], name: str) -> list[int]:
    position = {grade: index for index, grade in enumerate(OFSTED_GRADES)}
    try:
        return [position[g] for g in grades]
    except KeyError as exc:
        raise ValueError(f"{name} holds {exc.args[0]!r}, which is not an Ofsted grade") from None


def quadratic_weighted_kappa(*, first: Sequence[str], second: Sequence[str]) -> tuple[float | None, str | None]:
    """Cohen's kappa with quadratic weights between two raters' Ofsted grades for the same cases.

    kappa = 1 - sum(w_ij * O_ij) / sum(w_ij * E_ij), where w_ij = (i - j)^2 is the disagreement weight,
    O the observed counts and E the counts expected by chance from the two raters' own grade totals.
    Returns (kappa, None), or (None, reason) when it cannot be calculated: no pairs, or both raters gave every
    case the same single grade (chance agreement is then 100%, so the denominator is 0).
    Raises ValueError when the lists differ in length or hold something other than Ofsted grades.
    """
    if len(first) != len(second):
        raise ValueError(f"the two lists of grades differ in length ({len(first)} and {len(second)})")
    n = len(first)
    if n == 0:
        return None, "There are no pairs of grades to compare."
    a, b = _indices(first, "first"), _indices(second, "second")
    categories = len(OFSTED_GRADES)
    row = [a.count(i) for i in range(categories)]
    col = [b.count(j) for j in range(categories)]
    observed = sum((i - j) ** 2 for i, j in zip(a, b, strict=True))
    expected = sum(row[i] * col[j] * (i - j) ** 2 for i in range(categories) for j in range(categories)) / n
    if expected == 0:
        return None, (
            "Kappa cannot be calculated: every grade was the same, so agreement by chance alone would be "
            "complete. Use percent agreement."
        )
    return 1 - observed / expected, None


def grade_agreement(*, first: Sequence[str], second: Sequence[str]) -> Agreement:
    """Percent agreement and quadratic-weighted kappa between two raters' grades for the same cases, in
    order (for example auditor grades and moderated grades). Raises ValueError as
    :func:`quadratic_weighted_kappa` does."""
    kappa, reason = quadratic_weighted_kappa(first=first, second=second)
    n = len(first)
    agreed = sum(1 for x, y in zip(first, second, strict=True) if x == y)
    return Agreement(n=n, agreed=agreed, proportion=agreed / n if n else None, kappa=kappa, kappa_reason=reason)


def percent_agreement(*, first: Sequence[str], second: Sequence[str]) -> float | None:
    """Share of cases where both grades are the same, as a percentage (0 to 100); None when there are none."""
    return grade_agreement(first=first, second=second).percent
