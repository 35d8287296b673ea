"""Taking whole bags first-expiring-first without exceeding a quantity in U; shared by orders and dispatches,
and mirrored by plans (what a requested transfer will take when it is dispatched)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .model import EPS


@dataclass
class Taken:
    unit_ids: list[str] = field(default_factory=list)
    units: float = 0.0


def fits(bag_u: float, wanted_u: float, taken_u: float) -> bool:
    """A bag is taken only if it does not carry the total past what is wanted."""
    return bag_u <= wanted_u - taken_u + EPS


def pick_fefo(bag_units: list[float], wanted_u: float) -> set[int]:
    """The positions of the bags (listed first-expiring-first) that take_bags would claim for `wanted_u`."""
    picked: set[int] = set()
    taken = 0.0
    if wanted_u <= EPS:
        return picked
    for n, bag_u in enumerate(bag_units):
        if not fits(bag_u, wanted_u, taken):
            continue
        picked.add(n)
        taken += bag_u
        if taken >= wanted_u - EPS:
            break
    return picked


def take_bags(uow, *, from_site: str, component: str, abo: str, rhd: str, wanted_u: float, now: datetime,
              claim: dict) -> Taken:
    """Claim bags in FEFO order; a bag bigger than what is still wanted is skipped, a bag someone else claimed
    first is skipped (the conditional update fails), so the result never exceeds `wanted_u` and never holds a
    bag twice."""
    taken = Taken()
    if wanted_u <= EPS:
        return taken
    for unit_id, bag_u, _expires in uow.units.iter_available(from_site, component, abo, rhd, now):
        if not fits(bag_u, wanted_u, taken.units):
            continue
        if uow.units.claim(unit_id, now, **claim):
            taken.unit_ids.append(unit_id)
            taken.units += bag_u
        if taken.units >= wanted_u - EPS:
            break
    taken.units = round(taken.units, 4)
    return taken
