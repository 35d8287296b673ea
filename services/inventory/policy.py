"""Rules that are data: component shelf lives, stock-warning policies per region, order cuts, compatibility.

Numbers and sources: docs/domain-reference.md §3 (WS 399-2012 shelf lives, what 1 U is), §5 (Shanghai's
yellow/orange/red warnings and −30/−50/−70 % allocation cuts), §8 (ABO/RhD compatibility). Everything a region may
change lives here as frozen dataclasses or dict tables with Shanghai defaults, never as branches in code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Mapping

ABO = ("A", "B", "O", "AB")
RHD = ("pos", "neg")
GROUPS = tuple((abo, rhd) for abo in ("O", "A", "B", "AB") for rhd in RHD)
LEVELS = ("green", "yellow", "orange", "red")          # warning levels, ordered by severity
NO_DATA = "no_data"     # shown level when nothing is held and no demand is known: unknown, not green
PRIORITIES = ("routine", "urgent", "emergency")


@dataclass(frozen=True)
class ComponentSpec:
    """How a component is counted and kept. `ml_per_unit`: volume of one U of the finished product."""

    name: str
    shelf_life: timedelta
    ml_per_unit: int
    # Expiry buckets for the rebalancing optimiser (days left, upper edges); see rebalancing/.
    bucket_edges_days: tuple[float, ...]


COMPONENTS: Mapping[str, ComponentSpec] = {
    # Suspended red cells in MAP/SAGM: 35 days at 2–6 °C; 1 U = RBC from 200 ml whole blood (~150 ml).
    "red_cells": ComponentSpec("red_cells", timedelta(days=35), 150, (1, 3, 7, 14, 21, 28)),
    # Fresh frozen plasma: 1 year below −18 °C; 1 U = 100 ml (hospital statistics convention).
    "plasma": ComponentSpec("plasma", timedelta(days=365), 100, (7, 30, 90, 180, 270)),
    # Apheresis platelets: 5 days at 20–24 °C with agitation; one therapeutic dose per bag, counted as 1 U here.
    "platelets": ComponentSpec("platelets", timedelta(days=5), 250, (1, 2, 3, 4)),
    # Cryoprecipitate: 1 year; 1 U from 200 ml whole blood (~25 ml). Not produced from donations yet.
    "cryo": ComponentSpec("cryo", timedelta(days=365), 25, (7, 30, 90, 180, 270)),
    # Whole blood kept unseparated (ACD-B or CPD): 21 days at 2-6 °C; 1 U = 200 ml. Stations separate every
    # donation today (DONATION_YIELDS), so whole-blood units arrive by import or transfer.
    "whole_blood": ComponentSpec("whole_blood", timedelta(days=21), 200, (1, 3, 7, 14)),
    # Frozen plasma (普通冰冻血浆): 4 years from collection below -18 °C; made from fresh frozen plasma (PROCESSING).
    "frozen_plasma": ComponentSpec("frozen_plasma", timedelta(days=4 * 365 + 1), 100, (30, 180, 365, 730, 1095)),
    # Washed red cells in saline: 24 hours at 2-6 °C from washing, not from collection (PROCESSING).
    "washed_red_cells": ComponentSpec("washed_red_cells", timedelta(hours=24), 150, (0.25, 0.5)),
}


@dataclass(frozen=True)
class Processing:
    """A station turns one product into another (WS 399-2012 shelf lives, docs/domain-reference.md §3).

    `from_processing`: the new shelf life runs from the processing time (washing opens the bag), capped by the
    original expiry; otherwise it runs from collection (frozen plasma: 4 years from the day the blood was given)."""

    into: str
    from_processing: bool


PROCESSING: Mapping[tuple[str, str], Processing] = {
    ("red_cells", "washed_red_cells"): Processing("washed_red_cells", from_processing=True),
    ("plasma", "frozen_plasma"): Processing("frozen_plasma", from_processing=False),
}
TRACKED_COMPONENTS = ("red_cells", "plasma", "platelets")   # stock rows exist for these at every station


@dataclass(frozen=True)
class Yield:
    """One product line of a donation: `units_per` U for each `per_ml` ml (whole blood) or each dose."""

    component: str
    units_per: float
    per_ml: int | None = None        # whole blood: U = volume_ml / per_ml × units_per
    bags_per_dose: int | None = None  # apheresis: one bag per dose


DONATION_YIELDS: Mapping[str, tuple[Yield, ...]] = {
    "whole_blood": (Yield("red_cells", 1, per_ml=200), Yield("plasma", 1, per_ml=200)),
    "platelets": (Yield("platelets", 1, bags_per_dose=1),),
}


@dataclass(frozen=True)
class Thresholds:
    """Days of supply below which a level starts (yellow > orange > red)."""

    yellow_below_days: float = 5
    orange_below_days: float = 3
    red_below_days: float = 1


@dataclass(frozen=True)
class StockPolicy:
    """A region's stock-warning policy, effective from a date.

    `sustain_days`: yellow is raised only after the days of supply stayed below its threshold for MORE than this
    many consecutive days (Shanghai's published rule: below 5 days "连续3天以上" [S] docs/domain-reference.md §6).
    `escalation_sustain_days`: the same for orange and red; the sources give no duration, so 0 (at once) [U].
    The orange and red thresholds (3 and 1 days) are not in the sources either [U]. Levels fall back at once.
    `thresholds_by_component`: platelets keep only 5 days, so 5-day thresholds would be yellow forever.
    """

    region: str
    effective_from: date = date(2010, 7, 1)
    thresholds: Thresholds = Thresholds()
    thresholds_by_component: Mapping[str, Thresholds] = field(default_factory=lambda: {
        "platelets": Thresholds(yellow_below_days=2, orange_below_days=1, red_below_days=0.5)})
    sustain_days: float = 3
    escalation_sustain_days: float = 0
    routine_cut: Mapping[str, float] = field(default_factory=lambda: {
        "green": 0.0, "yellow": 0.30, "orange": 0.50, "red": 0.70})
    history_days: int = 28          # moving average window of issues, and the history needed to use it

    def thresholds_for(self, component: str) -> Thresholds:
        return self.thresholds_by_component.get(component, self.thresholds)


STOCK_POLICIES: Mapping[str, tuple[StockPolicy, ...]] = {
    "SH": (StockPolicy("SH"),),
    "JS": (StockPolicy("JS", effective_from=date(2017, 9, 1)),),
    "ZJ": (StockPolicy("ZJ", effective_from=date(2014, 1, 1)),),
    "AH": (StockPolicy("AH", effective_from=date(1999, 1, 1)),),
}
DEFAULT_POLICY_REGION = "SH"


def stock_policy(region: str, on: date) -> StockPolicy:
    """The policy in force in `region` on `on` (latest effective_from not after it); Shanghai's if unknown."""
    versions = STOCK_POLICIES.get(region) or STOCK_POLICIES[DEFAULT_POLICY_REGION]
    current = [p for p in versions if p.effective_from <= on]
    return max(current, key=lambda p: p.effective_from) if current else min(versions, key=lambda p: p.effective_from)


@dataclass(frozen=True)
class RebalancingPolicy:
    target_days: float = 7
    max_distance_km: float | None = None   # e.g. 24 h cold-chain reach; None = any two sites in scope


REBALANCING = RebalancingPolicy()


@dataclass(frozen=True)
class ExpectedCollectionsPolicy:
    """How far the expected-collections view looks. Appointments are bookable 14 days ahead (donor policy BOOKING),
    drives are planned further out; a station plans its week, so 7 days unless asked, a month at most per call."""
    default_days: int = 7
    max_days: int = 31
    # An assumption, not a sourced rule: a group drive (团体献血) collects whole blood (apheresis needs a fixed
    # point), so its target is counted as whole-blood collections.
    drive_kind: str = "whole_blood"


EXPECTED_COLLECTIONS = ExpectedCollectionsPolicy()


@dataclass(frozen=True)
class ForecastPolicy:
    """When and how the demand forecast (forecast.py) replaces the moving average in days of supply [U: our
    choice, backtested in docs/simulation.md].

    `min_history_days`: 8 weeks, so each weekday has been seen 8 times before its effect is trusted;
    `history_days`: the fit window (half a year: a trend, not last winter's Spring Festival);
    `horizon_days`: days of supply divide the stock by the mean forecast of the next `horizon_days` days,
    the rebalancing target (REBALANCING.target_days), so stock is judged against the week it must cover;
    `interval`: the nominal coverage of the prediction intervals."""

    min_history_days: int = 56
    history_days: int = 182
    horizon_days: int = 7
    interval: float = 0.90


FORECAST = ForecastPolicy()

# Emergency substitution (docs/domain-reference.md §8). ABO: acceptable donor groups per recipient, identical first.
RED_CELL_ABO = {"O": ("O",), "A": ("A", "O"), "B": ("B", "O"), "AB": ("AB", "A", "B", "O")}
PLASMA_ABO = {"O": ("O", "A", "B", "AB"), "A": ("A", "AB"), "B": ("B", "AB"), "AB": ("AB",)}
# RhD: RhD-negative products may go to RhD-positive recipients; the reverse only under an explicit, recorded
# clinical override (life-threatening emergency, no anti-D, patient/family consent: docs/domain-reference.md §8, R54).
RHD_ACCEPTS = {"pos": ("pos", "neg"), "neg": ("neg",)}
# What an emergency override adds, after every group of the patient's own RhD (RhD-negative stock is spent first):
# for an A RhD- patient A- -> O- -> A+ -> O+, as R54's selection order.
RHD_OVERRIDE_ADDS = {"red_cells": {"neg": ("pos",)}, "washed_red_cells": {"neg": ("pos",)},
                     "whole_blood": {"neg": ("pos",)}, "platelets": {"neg": ("pos",)}}
# Whole blood carries both red cells and plasma: ABO-identical only.
IDENTICAL_ABO = {abo: (abo,) for abo in ABO}
SUBSTITUTION_ABO = {"red_cells": RED_CELL_ABO, "washed_red_cells": RED_CELL_ABO, "whole_blood": IDENTICAL_ABO,
                    "platelets": PLASMA_ABO, "plasma": PLASMA_ABO, "frozen_plasma": PLASMA_ABO, "cryo": PLASMA_ABO}
# Plasma carries no red cells: RhD does not matter.
_ANY_RHD = {"pos": ("pos", "neg"), "neg": ("neg", "pos")}
SUBSTITUTION_RHD = {"red_cells": RHD_ACCEPTS, "washed_red_cells": RHD_ACCEPTS, "whole_blood": RHD_ACCEPTS,
                    "platelets": RHD_ACCEPTS, "plasma": _ANY_RHD, "frozen_plasma": _ANY_RHD, "cryo": _ANY_RHD}


def substitutes(component: str, abo: str, rhd: str, *, rhd_override: bool = False) -> list[tuple[str, str]]:
    """Compatible donor groups other than the identical one, in order of preference.

    Same RhD before the other (RhD-negative stock is ~0.35 % of donors: spend it last), then the ABO order
    of the table (identical first, O last for red cells). `rhd_override` (a recorded clinical decision) adds the
    RhD groups RHD_OVERRIDE_ADDS names, after all the others.
    """
    out = []
    extra = RHD_OVERRIDE_ADDS.get(component, {}).get(rhd, ()) if rhd_override else ()
    for donor_rhd in (*SUBSTITUTION_RHD[component][rhd], *extra):
        for donor_abo in SUBSTITUTION_ABO[component][abo]:
            if (donor_abo, donor_rhd) != (abo, rhd):
                out.append((donor_abo, donor_rhd))
    return out

# Test-result reason codes (GB 18467/18469 screening). A failed donation whose reason is infectious defers the
# donor for good (the donor service decides, from DonationDiscarded.infectious); an explicit `infectious` in the
# request wins over this table; unknown codes count as not infectious.
TEST_FAILURE_REASONS: Mapping[str, bool] = {
    "hbsag": True, "hbv_nat": True, "hcv": True, "hiv": True, "syphilis": True, "htlv": True,
    "alt": False, "abo_rhd_discrepancy": False, "irregular_antibody": False, "lipaemic": False,
    "haemolysed": False, "bag_damaged": False, "volume_out_of_range": False, "other": False,
}


def is_infectious(reason: str | None) -> bool:
    return TEST_FAILURE_REASONS.get((reason or "").strip().lower(), False)
