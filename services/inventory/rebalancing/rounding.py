"""Whole bags: turn the LP's fractional flow into bags that dispatch really picks (first-expiring-first)."""
from __future__ import annotations

import bisect
import itertools

import numpy as np

from .lp import CommodityLP
from .problem import EPS

# Transfers ship whole bags: dispatch (allocation.take_bags) claims bags first-expiring-first, skipping a bag
# bigger than what is still wanted, never more than the line's U. So a move is only shippable as a sum of bags
# that this rule picks, and the LP's fractional flow has to be turned into such sums.
BAG_EPS = 1e-9      # allocation.take_bags' tolerance (model.EPS): the mirror below must decide exactly as it does


class _Shelf:
    """One source's bags of one commodity, first-expiring-first, as take_bags sees them when the plan's
    transfers from this site are dispatched in the plan's order."""

    def __init__(self, bags: list[tuple[float, float]]):
        self.bags = sorted(bags, key=lambda bag: bag[1])
        self.free = [True] * len(self.bags)
        # the smallest bag from each position on: once less than that is still wanted, no later bag can fit
        self.smallest = list(itertools.accumulate(reversed([u for u, _ in self.bags]), min))[::-1]

    def take(self, wanted: float) -> list[int]:
        """The bags take_bags claims for `wanted` U. Dispatching their sum claims exactly these bags again, so
        that sum is a quantity dispatch ships in full."""
        picked, taken = [], 0.0
        if wanted <= BAG_EPS:
            return picked
        for n, (u, _) in enumerate(self.bags):
            if wanted - taken + BAG_EPS < self.smallest[n]:
                break
            if not self.free[n] or u > wanted - taken + BAG_EPS:
                continue
            picked.append(n)
            taken += u
            if taken >= wanted - BAG_EPS:
                break
        return picked

    def nearest(self, flow: float, cap: float) -> list[int]:
        """Whole bags for an LP flow: the least take_bags ships that covers `flow`, else the most below it; never
        above `cap` (the source keeps its target, the receiver is not sent what it does not lack). Rounding only
        down would lose up to a bag on every move."""
        floor = self.take(min(flow, cap))
        got = self.units(floor)
        if got >= flow - BAG_EPS:
            return floor
        sizes = sorted({u for (u, _), free in zip(self.bags, self.free) if free})
        options = [floor] + [self.take(min(cap, got + size)) for size in sizes]
        covering = [p for p in options if self.units(p) >= flow - BAG_EPS]
        return min(covering, key=self.units) if covering else max(options, key=self.units)

    def fill(self, need: float, room: float) -> list[int]:
        """Bag after bag first-expiring-first while the receiver still lacks some, each that fits in what the
        source may still send: the last may take the receiver past its target, as a bag cannot be split.
        take_bags on the sum claims the same bags."""
        picked, taken = [], 0.0
        for n, (u, _) in enumerate(self.bags):
            if need - taken <= EPS or room - taken + BAG_EPS < self.smallest[n]:
                break
            if self.free[n] and u <= room - taken + BAG_EPS:
                picked.append(n)
                taken += u
        return picked

    def units(self, picked: list[int]) -> float:
        return sum(self.bags[n][0] for n in picked)

    def claim(self, picked: list[int]) -> list[tuple[float, float]]:
        for n in picked:
            self.free[n] = False
        return [self.bags[n] for n in picked]


class _Shipment:
    """Whole-bag moves of one commodity as they are built: bags per (source, receiver), in each source's
    dispatch order; what each source may still send (`room_out`, surplus over target) and each receiver
    still lacks (`room_in`)."""

    def __init__(self, bags: dict[int, list], room_out: np.ndarray, room_in: np.ndarray):
        self.bags, self.room_out, self.room_in = bags, room_out.copy(), room_in.copy()
        self.shelves: dict[int, _Shelf] = {}
        self.moves: dict[tuple[int, int], list] = {}

    def shelf(self, i: int) -> _Shelf:
        if i not in self.shelves:
            self.shelves[i] = _Shelf(self.bags.get(i, []))
        return self.shelves[i]

    def send(self, i: int, j: int, flow: float | None = None) -> float:
        """`flow` U rounded to whole bags within the receiver's need, or (None) greedy fill of that need."""
        shelf = self.shelf(i)
        if flow is None:
            picked = shelf.fill(self.room_in[j], self.room_out[i])
        else:
            picked = shelf.nearest(flow, min(self.room_out[i], self.room_in[j]))
        units = shelf.units(picked)
        if picked:
            self.room_out[i] -= units
            self.room_in[j] -= units
            self.moves.setdefault((i, j), []).extend(shelf.claim(picked))
        return units

    def fill_nearest(self, dist: np.ndarray, allowed: np.ndarray) -> None:
        """Greedy: each receiver still short, largest need first, from its nearest sources with bags to spare."""
        live = np.flatnonzero(self.room_out > EPS)
        for j in sorted(np.flatnonzero(self.room_in > EPS), key=lambda j: -self.room_in[j]):
            near = live[allowed[live, j]]
            for i in near[np.argsort(dist[near, j], kind="stable")]:
                if self.room_in[j] <= EPS:
                    break
                if self.send(int(i), int(j)) <= 0:
                    live = live[live != i]          # no bag of it fits what it may still send: it is spent

    def dispatched(self) -> dict[tuple[int, int], list]:
        """What dispatching the moves in the plan's order claims, each for the sum of its bags: the same bags,
        unless a move grew after a later move of its source was planned (then possibly fewer, never more)."""
        shelves: dict[int, _Shelf] = {}
        out = {}
        for (i, j), bags in sorted(self.moves.items(), key=lambda kv: kv[0][0]):    # stable: keeps each order
            shelf = shelves.setdefault(i, _Shelf(self.bags.get(i, [])))
            picked = shelf.take(sum(u for u, _ in bags))
            if picked:
                out[(i, j)] = shelf.claim(picked)
        return out


def pair_flows(lp: CommodityLP, x: np.ndarray) -> dict[tuple[int, int], list]:
    """LP flow per (source, receiver): [earliest bucket drawn on, U]."""
    pairs: dict[tuple[int, int], list] = {}
    on = np.flatnonzero(x > EPS)
    for i, j, b, amount in zip(lp.ci[on].tolist(), lp.cj[on].tolist(), lp.cb[on].tolist(), x[on].tolist()):
        pair = pairs.setdefault((i, j), [b, 0.0])
        pair[0], pair[1] = min(pair[0], b), pair[1] + amount
    return pairs


def round_lp(pairs: dict, bags: dict[int, list], room_out: np.ndarray, room_in: np.ndarray, dist: np.ndarray,
              allowed: np.ndarray) -> dict[tuple[int, int], list]:
    """The LP flow as whole bags.

    1. Each LP pair; a source's pairs in the order its near-expiry stock was meant to leave (earliest bucket
       first), so first-expiring-first dispatch in that order sends the bags the LP meant for each receiver.
       What a pair's rounding falls short of the LP is added to the source's next pair, so a source sends about
       what the LP sends.
    2. Rounding leaves receivers short by parts of bags while sources still hold bags to spare: greedy fill."""
    plan = _Shipment(bags, room_out, room_in)
    carry: dict[int, float] = {}
    for (i, j), (_, flow) in sorted(pairs.items(), key=lambda kv: (kv[0][0], kv[1][0], kv[0][1])):
        wanted = flow + carry.get(i, 0.0)
        carry[i] = max(0.0, wanted - plan.send(i, j, wanted))
    plan.fill_nearest(dist, allowed)
    return plan.dispatched()


def greedy_fill(bags: dict[int, list], room_out: np.ndarray, room_in: np.ndarray, dist: np.ndarray,
            allowed: np.ndarray) -> dict[tuple[int, int], list]:
    """The baseline: largest need first, each from its nearest sources, whole bags."""
    plan = _Shipment(bags, room_out, room_in)
    plan.fill_nearest(dist, allowed)
    return plan.dispatched()


def apply_shipments(h: np.ndarray, shipped: dict[tuple[int, int], list], edges: tuple[float, ...]) -> np.ndarray:
    after = h.copy()
    for (i, j), sent in shipped.items():
        for u, days_left in sent:
            b = bisect.bisect_right(edges, days_left)
            after[i, b] -= u
            after[j, b] += u
    return after
