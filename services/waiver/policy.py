"""Region waiver policies as versioned data, and what a donation or a used blood line is worth under one.

A policy is plain data (loaded from `policy_data.DEFAULTS` and the `policies` table); nothing here knows a
region by name. The policy of the region where blood was DONATED values that donation: the version in force on
the day it was GIVEN says what it is worth (multiples, worth, lifetime rule), and the version in force on the day
the blood is USED says who is covered and in which unit the pool pays (allocation.quota_on).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping

# Re-exported: the waiver's modules say policy.add_years, policy.shanghai_day.
from hemolink.calendar import SHANGHAI, add_years, shanghai_day  # noqa: F401


RELATIONS = ("self", "spouse", "parent", "child", "parent_in_law", "sibling", "grandparent", "grandchild")
FAMILY_RELATIONS = RELATIONS[1:]
AWARD_LEVELS = ("bronze", "silver", "gold", "lifetime")          # ascending
COMPONENTS = ("red_cells", "plasma", "platelets", "cryo")
DOCUMENT_KINDS = ("invoice", "transfusion_record", "id_card", "kinship_proof", "donation_certificate")
QUOTA_MODELS = ("volume", "money")
FEN = Decimal("0.01")


def award_rank(level: str | None) -> int:
    return AWARD_LEVELS.index(level) + 1 if level in AWARD_LEVELS else 0


@dataclass(frozen=True)
class Multiples:
    """Free blood = multiple × what was donated: `within` inside `window_years` of each donation, `after` later.
    `window_years` None means no window: `within` applies for ever (a cumulative allowance)."""

    within: Decimal
    after: Decimal = Decimal(0)
    window_years: int | None = None

    def for_day(self, donated: date, used: date) -> tuple[Decimal, date | None]:
        """(multiple on the day of use, last day inside the window or None)."""
        if self.window_years is None:
            return self.within, None
        end = add_years(donated, self.window_years)              # first day outside
        last_inside = date.fromordinal(end.toordinal() - 1)
        return (self.within, last_inside) if used < end else (self.after, None)


@dataclass(frozen=True)
class FamilyTier:
    relations: tuple[str, ...]
    multiples: Multiples
    min_award_level: str | None = None      # the tier only counts once the donor holds this award


@dataclass(frozen=True)
class UsageRule:
    """How a used blood line converts to ml of quota: by its ml, or per unit/dose at `ml_per` each.
    A line that gives no unit/dose count is counted as volume_ml / `nominal_ml` (the usual bag size)."""

    basis: str                      # "ml" | "units" | "doses"
    ml_per: int = 1
    nominal_ml: int = 1


@dataclass(frozen=True)
class PriceTable:
    effective_from: date
    prices: Mapping[str, Decimal]           # what a donation is worth (the money model's base amounts)
    source: str = ""            # where the numbers come from, with the reference's confidence mark
    # The supply price of a used component, per count of its usage basis (per U, per dose; per 100 ml where the
    # basis is ml): a blood line is waived at most at this price. A component without one is waived as billed.
    line_prices: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    region: str
    name: str
    effective_from: date
    quota_model: str                                  # "volume" (ml) | "money" (yuan, base amounts)
    donor: Multiples
    donor_lifetime_threshold_ml: int | None           # cumulative ml from which the donor's blood is free for life
    rare_type_lifetime: bool                          # a rare-type donation makes the donor free for life
    family: tuple[FamilyTier, ...]
    platelet_dose_ml: int                             # one apheresis dose counts as this much whole blood
    usage: Mapping[str, UsageRule]
    price_tables: tuple[PriceTable, ...]
    claim_deadline_days: int | None
    required_documents: Mapping[str, tuple[str, ...]]  # "self" | "relative" → document kinds
    notes: str = ""
    source: str = field(default="default", compare=False)
    rare_types: tuple[str, ...] = ("rhd_neg",)        # what counts as a rare type (policy_data.RARE_TYPES)
    # Family pools pay only for relatives attested as unable to donate and without an employer paying
    # (Shanghai's statute); the hospital or the reviewer attests it, the system cannot know it.
    relative_conditions_required: bool = False

    def is_rare(self, types: set[str]) -> bool:
        """Whether a donation with these recorded types ("rhd_neg", "bombay", ...) is of a rare type."""
        return bool(types & set(self.rare_types))

    # --- scope --------------------------------------------------------------------------------------
    def tier_for(self, relation: str, award_level: str | None) -> FamilyTier | None:
        for tier in self.family:
            if relation in tier.relations and award_rank(award_level) >= award_rank(tier.min_award_level):
                return tier
        return None

    def relations_in_scope(self, award_level: str | None) -> list[str]:
        return [r for r in FAMILY_RELATIONS if self.tier_for(r, award_level)]

    def multiples_for(self, relation: str, award_level: str | None) -> Multiples | None:
        if relation == "self":
            return self.donor
        tier = self.tier_for(relation, award_level)
        return tier.multiples if tier else None

    def documents_for(self, relation: str) -> tuple[str, ...]:
        return tuple(self.required_documents.get("self" if relation == "self" else "relative", ()))

    # --- what a donation is worth -------------------------------------------------------------------
    def donation_ml(self, kind: str, volume_ml: int | None, doses: int | None) -> int:
        if kind == "platelets":
            return (doses or 1) * self.platelet_dose_ml
        return volume_ml or 0

    def table_on(self, day: date) -> PriceTable | None:
        tables = sorted(self.price_tables, key=lambda t: t.effective_from)
        current = [t for t in tables if t.effective_from <= day]
        return (current[-1] if current else tables[0]) if tables else None

    def prices_on(self, day: date) -> Mapping[str, Decimal]:
        table = self.table_on(day)
        return table.prices if table else {}

    def line_price(self, component: str, volume_ml: int, units: Decimal | None, doses: Decimal | None,
                   day: date) -> Decimal | None:
        """The most a used blood line may cost: the region's supply price for its component and amount on the
        day it was used, or None where the table gives no price for the component."""
        table = self.table_on(day)
        price = table.line_prices.get(component) if table else None
        if price is None:
            return None
        rule = self.usage.get(component) or UsageRule("ml")
        count = self.usage_count(component, volume_ml, units, doses)
        return (count / (100 if rule.basis == "ml" else 1) * price).quantize(FEN, ROUND_HALF_UP)

    def whole_blood_price(self, rhd: str, day: date) -> Decimal:
        """The price of 200 ml of whole blood in the table in force on `day` (RhD-negative where priced)."""
        prices = self.prices_on(day)
        return prices["whole_blood_200ml_rhd_neg" if rhd == "neg" and "whole_blood_200ml_rhd_neg" in prices
                      else "whole_blood_200ml"]

    def donation_base_yuan(self, kind: str, volume_ml: int | None, doses: int | None, rhd: str,
                           donated: date) -> Decimal:
        """Money model: the donation valued at the price table in force when it was donated."""
        if kind == "platelets":
            return ((doses or 1) * self.prices_on(donated)["platelets_dose"]).quantize(FEN)
        return (Decimal(volume_ml or 0) / 200 * self.whole_blood_price(rhd, donated)).quantize(FEN, ROUND_HALF_UP)

    # --- what a used line costs in ml ---------------------------------------------------------------
    def usage_count(self, component: str, volume_ml: int, units: Decimal | None = None,
                    doses: Decimal | None = None) -> Decimal:
        """How much of the component the line is, in its usage basis: ml, U or doses."""
        rule = self.usage.get(component) or UsageRule("ml")
        if rule.basis == "ml":
            return Decimal(volume_ml)
        count = doses if rule.basis == "doses" else units
        if count is None:
            count = Decimal(volume_ml) / rule.nominal_ml
            if rule.basis == "doses":   # a bag is at least one dose
                count = max(Decimal(1), count.to_integral_value(ROUND_HALF_UP))
        return Decimal(count)

    def usage_ml(self, component: str, volume_ml: int, units: Decimal | None = None,
                 doses: Decimal | None = None) -> int:
        rule = self.usage.get(component) or UsageRule("ml")
        ml = self.usage_count(component, volume_ml, units, doses) * (1 if rule.basis == "ml" else rule.ml_per)
        return max(1, int(ml.to_integral_value(ROUND_HALF_UP)))

    def to_dict(self) -> dict:
        """The wire/storage shape (also what `from_dict` reads)."""
        def mult(m: Multiples) -> dict:
            return {"within_window": str(m.within), "after_window": str(m.after), "window_years": m.window_years}

        return {
            "region": self.region, "name": self.name, "effective_from": self.effective_from.isoformat(),
            "quota_model": self.quota_model,
            "donor": {**mult(self.donor), "lifetime_threshold_ml": self.donor_lifetime_threshold_ml,
                      "rare_type_lifetime": self.rare_type_lifetime, "rare_types": list(self.rare_types)},
            "family": [{"relations": list(t.relations), **mult(t.multiples), "min_award_level": t.min_award_level}
                       for t in self.family],
            "platelet_dose_ml": self.platelet_dose_ml,
            "usage": {c: {"basis": r.basis, "ml_per": r.ml_per, "nominal_ml": r.nominal_ml}
                      for c, r in self.usage.items()},
            "price_tables": [{"effective_from": t.effective_from.isoformat(), "source": t.source,
                              "prices": {k: str(v) for k, v in t.prices.items()},
                              "line_prices": {k: str(v) for k, v in t.line_prices.items()}}
                             for t in self.price_tables],
            "claim_deadline_days": self.claim_deadline_days,
            "required_documents": {k: list(v) for k, v in self.required_documents.items()},
            "notes": self.notes,
            "relative_conditions_required": self.relative_conditions_required,
        }

    @classmethod
    def from_dict(cls, d: Mapping, source: str = "default") -> "Policy":
        def mult(m: Mapping) -> Multiples:
            return Multiples(Decimal(str(m["within_window"])), Decimal(str(m.get("after_window", 0))),
                             m.get("window_years"))

        donor = d["donor"]
        return cls(
            region=d["region"], name=d["name"], effective_from=date.fromisoformat(d["effective_from"]),
            quota_model=d["quota_model"], donor=mult(donor),
            donor_lifetime_threshold_ml=donor.get("lifetime_threshold_ml"),
            rare_type_lifetime=bool(donor.get("rare_type_lifetime", False)),
            family=tuple(FamilyTier(tuple(t["relations"]), mult(t), t.get("min_award_level")) for t in d["family"]),
            platelet_dose_ml=int(d["platelet_dose_ml"]),
            usage={c: UsageRule(r["basis"], int(r.get("ml_per", 1)), int(r.get("nominal_ml", 1)))
                   for c, r in d["usage"].items()},
            price_tables=tuple(PriceTable(date.fromisoformat(t["effective_from"]),
                                          {k: Decimal(str(v)) for k, v in t["prices"].items()}, t.get("source", ""),
                                          {k: Decimal(str(v)) for k, v in t.get("line_prices", {}).items()})
                               for t in d.get("price_tables", ())),
            claim_deadline_days=d.get("claim_deadline_days"),
            required_documents={k: tuple(v) for k, v in d.get("required_documents", {}).items()},
            notes=d.get("notes", ""), source=source,
            rare_types=tuple(donor.get("rare_types", ("rhd_neg",))),
            relative_conditions_required=bool(d.get("relative_conditions_required", False)),
        )


class PolicyBook:
    """Every version of every region's policy; picks the one in force on a day."""

    def __init__(self, policies: list[Policy]):
        self._by_region: dict[str, list[Policy]] = {}
        for p in sorted(policies, key=lambda p: p.effective_from):
            versions = self._by_region.setdefault(p.region, [])
            versions[:] = [v for v in versions if v.effective_from != p.effective_from] + [p]

    @property
    def regions(self) -> list[str]:
        return sorted(self._by_region)

    def in_force(self, region: str, day: date) -> Policy | None:
        """The latest version effective on `day`. Before the first recorded version the earliest one
        applies: our data starts at the statute or notice we could source, not at the region's first rule."""
        versions = self._by_region.get(region)
        if not versions:
            return None
        current = [v for v in versions if v.effective_from <= day]
        return current[-1] if current else versions[0]

    def all_in_force(self, day: date) -> list[Policy]:
        return [self.in_force(r, day) for r in self.regions]
