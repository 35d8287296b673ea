"""A hospital's monthly settlement and the month's waiver figures: pure arithmetic over deductions and claims.

A deduction counts in the month it was applied (+) and in the month it was reversed (−); each pool share says
which region's blood station owes the hospital for it (the region of the donation, which may not be the
hospital's: 各单位之间无资金往来, each station pays for its own donors).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

ZERO = Decimal("0.00")
CHANNELS = ("direct", "mini_program", "mail", "on_site")
ZERO_TRIP_CHANNELS = ("direct", "mini_program", "mail")      # no visit to the blood station needed


@dataclass(frozen=True)
class PoolShare:
    kind: str
    region: str
    donor_masked: str
    ml: int                 # negative in a reversal
    yuan: Decimal
    cross_region: bool      # paid by a region other than the hospital's

    @property
    def owed_by_region(self) -> str:
        return self.region


@dataclass(frozen=True)
class SettlementEntry:
    deduction_id: str
    event: str              # "applied" | "reversed"
    at: datetime
    admission_no: str
    patient_masked: str
    waived_yuan: Decimal    # negative in a reversal
    pools: tuple[PoolShare, ...]


@dataclass
class Figure:
    """{count, yuan}: a channel's waivers in the stats, a payer region's share in a settlement."""
    count: int = 0
    yuan: Decimal = ZERO

    def add(self, yuan: Decimal) -> None:
        self.count += 1
        self.yuan += yuan


@dataclass(frozen=True)
class RegionAmount:
    region: str
    yuan: Decimal


@dataclass
class Settlement:
    hospital_id: str
    month: str
    deductions: list[SettlementEntry] = field(default_factory=list)
    by_payer_region: dict[str, Figure] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.deductions)

    @property
    def applied_count(self) -> int:
        return sum(e.event == "applied" for e in self.deductions)

    @property
    def reversed_count(self) -> int:
        return sum(e.event == "reversed" for e in self.deductions)

    @property
    def waived_yuan(self) -> Decimal:
        return sum((e.waived_yuan for e in self.deductions), ZERO)

    @property
    def owed_by_region(self) -> list[RegionAmount]:
        return [RegionAmount(region, figure.yuan) for region, figure in sorted(self.by_payer_region.items())]

    def add(self, entry: SettlementEntry) -> None:
        self.deductions.append(entry)
        # The hospital bills each region's blood station for its share: one count per deduction event and payer.
        for region in sorted({p.region for p in entry.pools}):
            self.by_payer_region.setdefault(region, Figure()).add(
                sum((p.yuan for p in entry.pools if p.region == region), ZERO))


def entries_of(deduction, start: datetime, end: datetime):
    """The deduction's events that fall in [start, end): its application and its reversal, each signed."""
    if deduction.waived_yuan <= 0:
        return
    for event, at, sign in (("applied", deduction.applied_at, 1), ("reversed", deduction.reversed_at, -1)):
        if at is None or not (start <= at < end):
            continue
        yield SettlementEntry(
            deduction_id=deduction.id, event=event, at=at, admission_no=deduction.admission_no,
            patient_masked=deduction.patient_masked, waived_yuan=sign * deduction.waived_yuan,
            pools=tuple(PoolShare(kind=p["kind"], region=p["region"], donor_masked=p["donor_masked"],
                                  ml=sign * p["ml"], yuan=sign * Decimal(p["yuan"]),
                                  cross_region=p["region"] != deduction.hospital_region)
                        for p in deduction.pools_used))


def settle(hospital_id: str, month: str, deductions, start: datetime, end: datetime) -> Settlement:
    settlement = Settlement(hospital_id=hospital_id, month=month)
    for deduction in deductions:
        for entry in entries_of(deduction, start, end):
            settlement.add(entry)
    return settlement


@dataclass
class WaiverStats:
    """Waivers completed in a month by channel; zero-trip share counts the channels that need no visit; days
    to pay runs from submission to payment for claims paid in the month."""
    month: str
    region: str | None
    by_channel: dict[str, Figure] = field(default_factory=lambda: {c: Figure() for c in CHANNELS})
    days_to_pay: list[float] = field(default_factory=list, repr=False)

    @property
    def zero_trip_share(self) -> float | None:
        total = sum(f.count for f in self.by_channel.values())
        zero_trip = sum(self.by_channel[c].count for c in ZERO_TRIP_CHANNELS)
        return round(zero_trip / total, 4) if total else None

    @property
    def median_days_to_pay(self) -> float | None:
        return round(statistics.median(self.days_to_pay), 2) if self.days_to_pay else None
