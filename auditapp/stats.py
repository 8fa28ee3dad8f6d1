"""Statistics for audit reports and moderation: pure functions, no database, no third-party packages.

- Proportions are reported with a Wilson 95% score interval, which behaves well for the small samples and the
  0% / 100% results file audits produce (the usual "p plus or minus 1.96 standard errors" interval does not).
- Agency audits of the same child are not independent: :func:`clustered_proportion` widens the Wilson interval by
  the design effect of clustering by child (ratio-estimator variance for cluster samples), giving the effective
  n, and its small-number warning counts children, not audits.
- Results from fewer than 10 cases carry a plain warning (:func:`small_n_warning`).
- Percentages are shown as whole numbers with halves rounded up (:func:`round_half_up`, :func:`percent_text`).
- Agreement between auditors' and moderators' Ofsted grades: percent agreement and Cohen's kappa with
  quadratic weights, which gives partial credit for near misses ("good" against "outstanding" is a smaller
  disagreement than "good" against "inadequate").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

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


def round_half_up(value: float) -> int:
    """Round to the nearest whole number, halves away from zero (62.5 -> 63, not Python's banker's 62).

    Works on the decimal form of the float, first rounded to 9 places so that float noise (100 * 0.175 held as
    17.499999999999996) does not turn a half into something just below it.
    """
    cleaned = Decimal(repr(value)).quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP)
    return int(cleaned.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_text(percent: float | None, *, empty: str = "No answers") -> str:
    """A percentage (0 to 100) as shown in reports: whole numbers, halves rounded up ("63%")."""
    return empty if percent is None else f"{round_half_up(percent)}%"


def kish_design_effect(*, mean_cluster_size: float, icc: float) -> float:
    """Kish's design effect for cluster samples: deff = 1 + (m - 1) * ICC, m the mean cluster size.

    Raises ValueError for a cluster size below 1 or an ICC outside -1 to 1.
    """
    if mean_cluster_size < 1 or not -1 <= icc <= 1:
        raise ValueError(f"need cluster size >= 1 and -1 <= ICC <= 1, got {mean_cluster_size}, {icc}")
    return 1 + (mean_cluster_size - 1) * icc


def wilson_interval_effective(*, p: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a proportion ``p`` observed on an effective sample size ``n`` (> 0), which
    need not be a whole number."""
    if n <= 0 or not 0 <= p <= 1:
        raise ValueError(f"need n > 0 and 0 <= p <= 1, got p={p}, n={n}")
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if p == 0 else max(0.0, centre - half_width)
    high = 1.0 if p == 1 else min(1.0, centre + half_width)
    return low, high


def cluster_design_effect(clusters: Sequence[tuple[int, int]]) -> float:
    """The design effect of a proportion estimated from cluster samples, by the ratio-estimator variance.

    ``clusters`` holds (k_i, n_i) for each cluster (each child): n_i observations (agency audits) of which k_i
    are successes. With p = sum k / sum n, c clusters and N = sum n:

        var_cluster = c / (c - 1) * sum((k_i - p * n_i)^2) / N^2
        var_simple  = p * (1 - p) / (N - 1)
        deff        = var_cluster / var_simple, never below 1

    ``var_simple`` is the same estimator with every observation its own cluster, so a sample of one audit per
    child has a design effect of exactly 1. It is 1 when it cannot be estimated (fewer than 2 clusters, or p is 0
    or 1) and never below 1: clustering is not allowed to make an interval narrower than the simple one.
    """
    used = [(k, n) for k, n in clusters if n > 0]
    total = sum(n for _, n in used)
    c = len(used)
    if c < 2:
        return 1.0
    p = sum(k for k, _ in used) / total
    if p in (0.0, 1.0):
        return 1.0
    var_cluster = c / (c - 1) * sum((k - p * n) ** 2 for k, n in used) / (total * total)
    var_simple = p * (1 - p) / (total - 1)
    return max(1.0, var_cluster / var_simple)


@dataclass(frozen=True)
class ClusteredProportion:
    """k of n observations (agency audits) from ``clusters`` children, with a Wilson 95% interval widened for
    clustering by child: the interval of the same proportion on the effective sample size n / deff.

    ``small_n`` counts children, not audits. ``proportion`` and ``interval`` are None when n = 0.
    """

    k: int
    n: int
    clusters: int
    proportion: float | None
    interval: tuple[float, float] | None
    design_effect: float
    effective_n: float
    small_n: bool

    @property
    def percent(self) -> float | None:
        """The proportion as a percentage (0 to 100)."""
        return None if self.proportion is None else 100 * self.proportion


def clustered_proportion(clusters: Sequence[tuple[int, int]]) -> ClusteredProportion:
    """Summarise (k_i, n_i) per child (see :func:`cluster_design_effect`). Raises ValueError unless
    0 <= k_i <= n_i for every child."""
    for k, n in clusters:
        if n < 0 or k < 0 or k > n:
            raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    k = sum(k for k, _ in clusters)
    n = sum(n for _, n in clusters)
    children = sum(1 for _, size in clusters if size > 0)
    if n == 0:
        return ClusteredProportion(k, 0, 0, None, None, 1.0, 0.0, small_n_warning(0))
    deff = cluster_design_effect(clusters)
    effective_n = n / deff
    interval = wilson_interval_effective(p=k / n, n=effective_n)
    return ClusteredProportion(k, n, children, k / n, interval, deff, effective_n, small_n_warning(children))


# Blind moderation agreement (issue 14): the moderator's own grade, recorded before they saw the auditor's, against
# the auditor's grade. Audits of the same child are not independent, so the interval resamples children.

#: The seed of the bootstrap below: fixed, so the same pairs always give the same interval (a report can be
#: reproduced exactly). Changing it changes the interval's last digits, never the percent agreement or the kappa.
BOOTSTRAP_SEED = 14
#: Resamples drawn by the bootstrap.
BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class BlindAgreement(Agreement):
    """:class:`Agreement` over blind pairs, with the number of children they come from, a 95% cluster-bootstrap
    interval for the quadratic-weighted kappa (None with ``interval_reason`` saying why) and the small-number
    warning (fewer than 10 pairs)."""

    children: int
    kappa_interval: tuple[float, float] | None
    interval_reason: str | None
    small_n: bool


def _quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0 to 1) of sorted values, interpolating linearly between neighbours."""
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def kappa_bootstrap_interval(
    clusters: Sequence[Sequence[tuple[str, str]]],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """A percentile bootstrap interval for quadratic-weighted kappa, resampling clusters (children).

    ``clusters`` holds, for each child, that child's (first, second) pairs of grades. Each resample draws as many
    children as there are, with replacement, keeping all of a drawn child's pairs together, and computes the
    kappa of the pairs drawn; the interval is the (1 - level) / 2 and (1 + level) / 2 quantiles of those kappas.
    The random generator is Python's ``random.Random(seed)``, so the interval is reproducible. Resamples whose
    kappa is undefined (every grade the same) are left out; None when fewer than two clusters, or when more than
    half the resamples are undefined.
    """
    import random

    if len(clusters) < 2:
        return None
    generator = random.Random(seed)
    kappas: list[float] = []
    for _ in range(resamples):
        drawn = [pair for _ in clusters for pair in clusters[generator.randrange(len(clusters))]]
        kappa, _reason = quadratic_weighted_kappa(first=[p[0] for p in drawn], second=[p[1] for p in drawn])
        if kappa is not None:
            kappas.append(kappa)
    if len(kappas) * 2 < resamples:
        return None
    kappas.sort()
    tail = (1 - level) / 2
    return _quantile(kappas, tail), _quantile(kappas, 1 - tail)


def blind_grade_agreement(pairs: Sequence[tuple[object, str, str]]) -> BlindAgreement:
    """Agreement over blind pairs ``(child, first, second)``: percent agreement, quadratic-weighted kappa, and
    its cluster-bootstrap interval (:func:`kappa_bootstrap_interval`, resampling children). Raises ValueError as
    :func:`quadratic_weighted_kappa` does."""
    first, second = [p[1] for p in pairs], [p[2] for p in pairs]
    base = grade_agreement(first=first, second=second)
    by_child: dict[object, list[tuple[str, str]]] = {}
    for child, a, b in pairs:
        by_child.setdefault(child, []).append((a, b))
    interval: tuple[float, float] | None = None
    reason: str | None = None
    if base.kappa is None:
        reason = "There is no interval because kappa cannot be calculated."
    elif len(by_child) < 2:
        reason = "There is no interval: all the pairs come from one child."
    else:
        interval = kappa_bootstrap_interval(list(by_child.values()))
        if interval is None:
            reason = "There is no interval: too many resamples gave every case the same grade."
    return BlindAgreement(
        n=base.n,
        agreed=base.agreed,
        proportion=base.proportion,
        kappa=base.kappa,
        kappa_reason=base.kappa_reason,
        children=len(by_child),
        kappa_interval=interval,
        interval_reason=reason,
        small_n=small_n_warning(base.n),
    )
