"""The draw's warning when the stratification field is blank for most of the eligible population.

The statutory returns (Annex A, CIN census, SSDA903) seldom name a team or locality: stratifying their cases by
locality then puts nearly all of them in one stratum, "Not recorded". The round page says so before the draw,
naming the field and the share blank, and suggests the mapping of workers and teams to localities.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditapp.domain.rounds import NOT_RECORDED, Population
from auditapp.models import STRATIFY_FIELDS

BLANK_SHARE_WARNING = 0.5  # more than half the eligible cases with no value: the strata mean little


@dataclass(frozen=True)
class BlankStratumWarning:
    field: str  # as the coordinator knows it, in lower case: "locality", "team"
    blank: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.blank / self.total) if self.total else 0

    @property
    def message(self) -> str:
        return (
            f"The {self.field} is blank for {self.blank:,} of the {self.total:,} eligible cases ({self.percent}%): "
            f"stratifying by {self.field} puts them all in one group, '{NOT_RECORDED}'"
        )


def blank_stratum_warning(population: Population, stratify_by: str | None) -> BlankStratumWarning | None:
    """A warning when ``stratify_by`` is blank for more than half of ``population``; None otherwise."""
    if not stratify_by or stratify_by == "none" or not population.eligible:
        return None
    blank = sum(1 for _ref, stratum in population.eligible if stratum == NOT_RECORDED)
    if blank <= BLANK_SHARE_WARNING * len(population.eligible):
        return None
    label = STRATIFY_FIELDS.get(stratify_by, stratify_by).lower()
    return BlankStratumWarning(field=label, blank=blank, total=len(population.eligible))
