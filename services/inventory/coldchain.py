"""Cold chain, plain Python: storage ranges as policy data and the excursion detector.

Ranges (docs/domain-reference.md §3, WS 399-2012 血液储存要求 [C] R32, transport [S] R33):
- red cells (and whole blood, washed red cells) 2–6 °C in a blood fridge;
- plasma, frozen plasma, cryoprecipitate below −18 °C in a freezer;
- platelets 20–24 °C with continuous gentle agitation (an agitator that stops is out of range);
- red cells in transport 2–10 °C for at most 24 h.

How long a store may be out of range before its blood is in doubt is not in the sources [U]: the allowed
durations below (30 min in store; 0 in transport, where the 2–10 °C band is already the tolerance) are Shanghai
defaults chosen here, policy parameters a region can change, never branches in the code.

A reading exactly at a limit is in range (2.0 °C and 6.0 °C are inside 2–6 °C). A store is taken to be out
of range from its first out-of-range reading until its next in-range reading (nothing said it came back in
between); the stretch is an excursion when it lasts MORE than the allowed duration: out for exactly 30 min is
not, 30 min and 1 s is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from .errors import InvalidState

LOCATION_KINDS = ("fridge", "freezer", "platelet_agitator")
EXCURSION_STATUSES = ("open", "released", "discarded")
DECISIONS = ("release", "discard")
MAX_BATCH = 1000             # readings per POST: a gateway posts every few minutes, this is hours of a site


@dataclass(frozen=True)
class TemperatureRange:
    """In range when min_c ≤ t ≤ max_c (None: no bound on that side); `allowed` is how long it may be out."""
    min_c: float | None
    max_c: float | None
    allowed: timedelta
    agitation: bool = False

    def holds(self, celsius: float, agitating: bool | None = None) -> bool:
        if self.min_c is not None and celsius < self.min_c:
            return False
        if self.max_c is not None and celsius > self.max_c:
            return False
        return not (self.agitation and agitating is False)


STORAGE: Mapping[str, TemperatureRange] = {
    "fridge": TemperatureRange(2.0, 6.0, timedelta(minutes=30)),
    "freezer": TemperatureRange(None, -18.0, timedelta(minutes=30)),
    "platelet_agitator": TemperatureRange(20.0, 24.0, timedelta(minutes=30), agitation=True),
}
# What each location kind may hold (a unit is placed only where its component is kept).
HOLDS: Mapping[str, tuple[str, ...]] = {
    "fridge": ("red_cells", "washed_red_cells", "whole_blood"),
    "freezer": ("plasma", "frozen_plasma", "cryo"),
    "platelet_agitator": ("platelets",),
}


@dataclass(frozen=True)
class TransportRule:
    range: TemperatureRange
    max_duration: timedelta


# Only red cells have a published transport rule (§3: 2–10 °C, ≤ 24 h). Other components arrive as today [U].
TRANSPORT: Mapping[str, TransportRule] = {
    c: TransportRule(TemperatureRange(2.0, 10.0, timedelta(0)), timedelta(hours=24))
    for c in ("red_cells", "washed_red_cells", "whole_blood")
}


@dataclass(frozen=True)
class Reading:
    at: datetime
    celsius: float
    agitating: bool | None = None


@dataclass(frozen=True)
class Window:
    """A stretch out of range: from the first out-of-range reading to the reading that came back (`ended_at`),
    or to the latest reading while it lasts (`ongoing`)."""
    started_at: datetime
    ended_at: datetime
    ongoing: bool
    min_c: float
    max_c: float

    @property
    def duration(self) -> timedelta:
        return self.ended_at - self.started_at


def out_of_range_windows(readings: Iterable[Reading], rng: TemperatureRange) -> list[Window]:
    """Every out-of-range stretch in the readings (any order; sorted here by time)."""
    out: list[Window] = []
    start = None
    temps: list[float] = []
    last = None
    for r in sorted(readings, key=lambda r: r.at):
        last = r
        if rng.holds(r.celsius, r.agitating):
            if start is not None:
                out.append(Window(start, r.at, False, min(temps), max(temps)))
                start, temps = None, []
        else:
            if start is None:
                start = r.at
            temps.append(r.celsius)
    if start is not None and last is not None:
        out.append(Window(start, last.at, True, min(temps), max(temps)))
    return out


def excursions(readings: Iterable[Reading], rng: TemperatureRange) -> list[Window]:
    """The stretches that lasted more than the range allows: those put the stored blood in doubt."""
    return [w for w in out_of_range_windows(readings, rng) if w.duration > rng.allowed]


@dataclass(frozen=True)
class TransportVerdict:
    doubtful: bool
    reasons: list[str] = field(default_factory=list)    # out_of_range, over_time
    min_c: float | None = None
    max_c: float | None = None


def judge_transport(component: str, readings: list[Reading], dispatched_at: datetime,
                    received_at: datetime) -> TransportVerdict:
    """Red cells arrive in doubt when any leg reading is outside 2–10 °C or the leg took more than 24 h."""
    rule = TRANSPORT.get(component)
    if rule is None:
        return TransportVerdict(False)
    reasons = []
    if any(not rule.range.holds(r.celsius) for r in readings):
        reasons.append("out_of_range")
    if received_at - dispatched_at > rule.max_duration:
        reasons.append("over_time")
    temps = [r.celsius for r in readings]
    return TransportVerdict(bool(reasons), reasons, min(temps) if temps else None, max(temps) if temps else None)


# ---- entities ---------------------------------------------------------------------------------------------
@dataclass(eq=False)
class StorageLocation:
    id: str
    site_id: str
    kind: str
    name: str
    created_at: datetime
    active: bool = True

    @property
    def range(self) -> TemperatureRange:
        return STORAGE[self.kind]


@dataclass(eq=False)
class Excursion:
    """An excursion at a store (location_id) or on a transfer's road (transfer_id): its units wait in quarantine
    for a recorded decision (release or discard) by the site's staff."""
    id: str
    site_id: str
    kind: str                   # storage | transport
    started_at: datetime
    ended_at: datetime | None
    min_c: float | None
    max_c: float | None
    unit_ids: list
    status: str
    detected_at: datetime
    location_id: str | None = None
    transfer_id: str | None = None
    reasons: list = field(default_factory=list)
    decision: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None

    def decide(self, decision: str, by: str, reason: str, now: datetime) -> None:
        if self.status != "open":
            raise InvalidState(f"温度偏离已处理（{self.status}）", code="excursion_decided")
        self.status = "released" if decision == "release" else "discarded"
        self.decision, self.decided_by, self.decided_at, self.decision_reason = decision, by, now, reason
