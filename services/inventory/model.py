"""Inventory domain: sites, blood units and their life cycle, orders, transfers, stock levels. Plain Python."""
from __future__ import annotations

import uuid
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import ClassVar

from .errors import AlreadyTested, InvalidState
from .recall import RECALL_HOLD
from .policy import (COMPONENTS, DONATION_YIELDS, LEVELS, NO_DATA, PROCESSING, TRACKED_COMPONENTS, StockPolicy,
                     Thresholds)

SITE_KINDS = ("station", "hospital")
UNIT_STATUSES = ("quarantined", "available", "reserved", "in_transit", "issued", "transfused", "discarded", "expired")
TRANSFER_STATUSES = ("requested", "in_transit", "received", "cancelled")
EPS = 1e-9


# ---- helpers ----------------------------------------------------------------------------------------------
def utc(moment: datetime) -> datetime:
    """Aware UTC; naive values (SQLite hands them back) are taken as UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Movement:
    """One line of a unit's history (created, released, issued, dispatched, received, transfused, ...)."""
    unit_id: str
    kind: str
    status: str             # the unit's status after it
    at: datetime
    _: KW_ONLY
    from_site: str | None = None
    to_site: str | None = None
    ref: str | None = None  # what caused it: the order, transfer, transfusion or DIN
    note: str | None = None


# ---- sites ------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Site:
    id: str
    name: str
    kind: str
    region: str
    supplier_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class DemandLine:
    component: str
    abo: str
    rhd: str
    units_per_day: float


@dataclass(frozen=True)
class SiteDemand:
    """A site's baseline daily demand, used until there is issue history (services/stock.py daily_demand)."""
    site_id: str
    lines: list[DemandLine]


# ---- units ------------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Unit:
    id: str
    din: str
    component: str
    abo: str
    rhd: str
    units: float
    volume_ml: int
    status: str
    site_id: str
    collected_at: datetime
    expires_at: datetime
    donation_id: str | None = None
    donor_id: str | None = None        # None for stock loaded without its donation record
    region: str | None = None
    bag_no: int = 1
    issued_to: str | None = None
    issued_from: str | None = None
    issued_at: datetime | None = None
    order_id: str | None = None
    transfer_id: str | None = None
    reason: str | None = None
    updated_at: datetime | None = None
    location_id: str | None = None     # the store it sits in (coldchain.py); None: not placed
    located_at: datetime | None = None
    hold_ref: str | None = None        # the cold-chain excursion holding it in quarantine
    # Its movements as the repository loaded them (rows of their own table, not mapped here; orm.py).
    history: list[Movement] = field(default_factory=list, repr=False)

    def is_expired(self, now: datetime) -> bool:
        return utc(self.expires_at) <= now

    @property
    def on_recall_hold(self) -> bool:
        """Held by a lookback recall (recall.py): a passing test does not release it."""
        return self.reason == RECALL_HOLD

    def release(self, now: datetime) -> None:
        if self.on_recall_hold:
            raise InvalidState(f"血液单元 {self.id} 因回溯召回被隔离", code="unit_on_recall_hold")
        if self.status != "quarantined":
            raise AlreadyTested(f"血液单元 {self.id} 状态为 {self.status}")
        if self.hold_ref:      # a cold-chain excursion is undecided: its decision comes first (services/cold_chain.py)
            raise InvalidState(f"血液单元 {self.id} 因冷链温度偏离待处理", code="cold_chain_hold")
        self.status, self.updated_at = ("expired" if self.is_expired(now) else "available"), now

    def discard(self, reason: str, now: datetime) -> None:
        if self.status not in ("quarantined", "available"):
            raise InvalidState(f"状态为 {self.status} 的血液不能报废", code="unit_not_discardable")
        self.status, self.reason, self.updated_at = "discarded", reason, now

    def expire(self, now: datetime) -> None:
        self.status, self.reason, self.updated_at = "expired", "expired", now

    def process(self, into: str, now: datetime) -> None:
        """Make another product of this bag (washed red cells, frozen plasma): its shelf life follows the rule of
        the new product (policy.PROCESSING), never past what the original bag had when it runs from processing."""
        rule = PROCESSING.get((self.component, into))
        if rule is None:
            raise InvalidState(f"{self.component} 不能加工为 {into}", code="unsupported_processing")
        if self.status != "available" or self.is_expired(now):
            raise InvalidState(f"状态为 {self.status} 的血液不能加工", code="unit_not_processable")
        shelf = COMPONENTS[into].shelf_life
        expires = min(now + shelf, utc(self.expires_at)) if rule.from_processing else utc(self.collected_at) + shelf
        self.component, self.expires_at, self.updated_at = into, expires, now


@dataclass(frozen=True)
class ProductLine:
    component: str
    units: float
    volume_ml: int
    expires_at: datetime
    bag: int


def products_of(kind: str, volume_ml: int | None, doses: int | None, collected_at: datetime) -> list[ProductLine]:
    """Whole blood V ml → red cells V/200 U + plasma V/200 U; platelets → one bag per dose (policy.DONATION_YIELDS)."""
    out = []
    for y in DONATION_YIELDS.get(kind, ()):
        spec = COMPONENTS[y.component]
        expires = utc(collected_at) + spec.shelf_life
        if y.per_ml:
            if not volume_ml:
                continue
            units = round(volume_ml / y.per_ml * y.units_per, 2)
            out.append(ProductLine(y.component, units, round(units * spec.ml_per_unit), expires, 1))
        else:
            for bag in range(1, (doses or 0) * (y.bags_per_dose or 1) + 1):
                out.append(ProductLine(y.component, y.units_per, round(y.units_per * spec.ml_per_unit), expires, bag))
    return out


# ---- stock levels -----------------------------------------------------------------------------------------
def days_of_supply(available_u: float, daily_demand_u: float) -> float | None:
    """None when nothing is used (no demand known): there is no shortage to warn about."""
    if daily_demand_u <= EPS:
        return None
    return available_u / daily_demand_u


def raw_level(days: float | None, component: str, policy: StockPolicy) -> str:
    if days is None:
        return "green"
    t = policy.thresholds_for(component)
    if days < t.red_below_days:
        return "red"
    if days < t.orange_below_days:
        return "orange"
    if days < t.yellow_below_days:
        return "yellow"
    return "green"


def severity(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def sustained_level(raw: str, since: dict[str, datetime | None], now: datetime,
                    sustain_days: float, escalation_sustain_days: float = 0) -> tuple[str, dict[str, datetime | None]]:
    """Apply the consecutive-days rule: yellow counts once the raw level has been at least yellow for MORE than
    `sustain_days` (Shanghai: "连续3天以上"), orange and red once at least that severe for more than
    `escalation_sustain_days` (0: at once). `since[level]` is when that stretch began (None when not below).
    Returns (level, since)."""
    updated: dict[str, datetime | None] = {}
    for lvl in LEVELS[1:]:
        at_least = severity(raw) >= severity(lvl)
        updated[lvl] = (since.get(lvl) or now) if at_least else None
    level = "green"
    for lvl in LEVELS[1:]:
        start = updated[lvl]
        days = sustain_days if lvl == "yellow" else escalation_sustain_days
        if start is not None and (utc(start) < now - timedelta(days=days) if days else True):
            level = lvl
    return level, updated


@dataclass(frozen=True)
class StockLegend:
    """The warning policy as staff read it in a legend: for the region asked about (one without a policy of its
    own reads Shanghai's, as its levels are computed), the thresholds per tracked component."""
    region: str
    policy: StockPolicy
    levels: ClassVar[tuple[str, ...]] = (*LEVELS, NO_DATA)     # as the stock rows show them

    @property
    def thresholds(self) -> dict[str, Thresholds]:
        return {c: self.policy.thresholds_for(c) for c in TRACKED_COMPONENTS}


def routine_cut(level: str, policy: StockPolicy) -> float:
    return policy.routine_cut.get(level, 0.0)


# ---- orders -----------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Order:
    id: str
    hospital_id: str
    supplier_id: str
    priority: str
    status: str
    lines: list
    created_at: datetime
    unit_ids: list = field(default_factory=list)
    emergency_override: dict | None = None      # {approved_by, reason}: RhD-incompatible red cells allowed
    # The bags it took (Unit rows by unit_ids, as the use case loaded them; not mapped, orm.py).
    allocations: list[Unit] = field(default_factory=list, repr=False)
    # Its clinical approval (approval.OrderApproval, own table) when it names a patient; not mapped here.
    approval: object | None = field(default=None, repr=False)


def order_status(lines: list[dict]) -> str:
    got = sum(line["allocated_units"] for line in lines)
    if got <= EPS:
        return "backordered"
    if all(line["allocated_units"] >= line["units"] - EPS for line in lines):
        return "fulfilled"
    return "partial"


# ---- transfusions -----------------------------------------------------------------------------------------
@dataclass(eq=False)
class Transfusion:
    id: str
    unit_id: str
    hospital_id: str
    patient_blind: str
    patient_masked: str
    patient_name_encrypted: str
    transfused_at: datetime
    recorded_at: datetime
    unit: Unit | None = field(default=None, repr=False)    # the bag, as the use case loaded it (not mapped, orm.py)


# ---- transfers --------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Transfer:
    id: str
    from_site: str
    to_site: str
    inter_region: bool
    lines: list
    reason: str
    status: str
    requested_at: datetime
    requested_by: str | None = None
    plan_id: str | None = None
    unit_ids: list = field(default_factory=list)
    dispatched_at: datetime | None = None
    received_at: datetime | None = None
    cancelled_at: datetime | None = None
    # Its bags (Unit rows by unit_ids) as the repository loaded them: not mapped (orm.py).
    units: list[Unit] = field(default_factory=list, repr=False)

    def _require(self, status: str, action: str) -> None:
        if self.status != status:
            raise InvalidState(f"调拨单状态为 {self.status}，不能{action}", code="invalid_transfer_state")

    def dispatch(self, unit_ids: list[str], dispatched_lines: list, now: datetime) -> None:
        self._require("requested", "发出")
        self.status, self.unit_ids, self.lines, self.dispatched_at = "in_transit", unit_ids, dispatched_lines, now

    def receive(self, now: datetime) -> None:
        self._require("in_transit", "接收")
        self.status, self.received_at = "received", now

    def cancel(self, now: datetime) -> None:
        self._require("requested", "取消")
        self.status, self.cancelled_at = "cancelled", now


# ---- rebalancing plans ------------------------------------------------------------------------------------
@dataclass(eq=False)
class Plan:
    id: str
    status: str
    region: str | None
    target_days: float
    moves: list
    before: dict
    after: dict
    objective: dict
    solver: str
    created_at: datetime
    created_by: str | None = None
    approved_at: datetime | None = None
    transfer_ids: list = field(default_factory=list)
    from_site: str | None = None          # only this site's surplus moves (a station's own plan)
    basis: dict | None = None             # {site_id: transfer version} of the sites it was computed on

    @property
    def sources(self) -> set[str]:
        return {m["from_site"] for m in self.moves}

    def stale_against(self, versions: dict[str, int]) -> list[str]:
        """The sites whose transfers changed since the plan was computed (every site, for a plan without a
        basis: it was proposed before plans counted open transfers)."""
        if self.basis is None:
            return sorted(versions)
        return sorted(s for s in set(self.basis) | set(versions) if self.basis.get(s) != versions.get(s))

    def approve(self, transfer_ids: list[str], now: datetime) -> None:
        if self.status != "proposed":
            raise InvalidState(f"方案状态为 {self.status}，不能批准", code="plan_not_proposed")
        self.status, self.transfer_ids, self.approved_at = "approved", transfer_ids, now
