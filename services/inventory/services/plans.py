"""Rebalancing plans: feed the optimiser from current stock, demand and open transfers; approving creates the
transfers.

What an open transfer promises is counted: a `requested` transfer's units are no longer the sender's to give
(dispatch will take them first-expiring-first) and are the receiver's on arrival, as are the bags of an
`in_transit` one. So planning again right after an approval proposes only what is still missing.

A plan is computed on the sites' transfer versions (`basis`); approving it re-reads them under the sites' row
locks and refuses a plan whose sites had a transfer created or changed since (409 plan_stale): its moves
were computed on stock that is no longer there. Approving an approved plan again creates nothing.

Who approves: the region's dispatch (admin). A station approves only a plan whose every move leaves its own
site (its own surplus); the moves a region plan asks of a station reach it as requested transfers, which it
accepts by dispatching or refuses by cancelling.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from servicekit.auth import Principal
from servicekit.errors import Unprocessable

from .. import rebalancing
from ..allocation import pick_fefo
from ..events import RebalancingPlanApproved
from ..errors import NotYourSite, PlanNotFound, PlanStale
from ..model import Plan, new_id, utc
from ..policy import REBALANCING
from . import reserves, stock
from .transfers import new_transfer


def _scope(principal: Principal, region: str | None, from_site: str | None) -> tuple[str | None, str | None]:
    """A station plans for its own region (the default) and may limit the sources to its own site; only an
    admin plans another region or the network, or for another site's surplus."""
    if principal.role == "admin":
        return region, from_site
    if region not in (None, principal.region):
        raise NotYourSite("只能为本地区制定调配方案")
    if from_site not in (None, principal.site_id):
        raise NotYourSite("只能为本站的富余血液制定调配方案")
    return principal.region, from_site


def _days_left(expires_at: datetime, now: datetime) -> float:
    return (utc(expires_at) - now).total_seconds() / 86400


def _promised(uow, site_ids: set[str], bags: dict, now: datetime) -> dict:
    """Apply the open transfers touching these sites to the shelves in `bags` (in place); return the bags
    each receiver expects, per commodity and site, as the optimiser's `incoming`.

    Requested: the bags dispatch would take (first-expiring-first, whole bags within the line's U; oldest
    transfer first) leave the sender's shelf. In transit: the bags on the road, as they are."""
    incoming: dict = {}
    transfers = uow.transfers.open_touching(site_ids)
    for t in transfers:
        if t.status != "requested":
            continue
        for line in t.lines:
            commodity = (line["component"], line["abo"], line["rhd"])
            shelf = bags.get(commodity, {}).get(t.from_site, [])
            taken = pick_fefo([u for u, _ in shelf], line["units"])
            if t.from_site in site_ids and taken:
                bags[commodity][t.from_site] = [b for n, b in enumerate(shelf) if n not in taken]
            if t.to_site in site_ids:
                incoming.setdefault(commodity, {}).setdefault(t.to_site, []).extend(shelf[n] for n in taken)
    on_road = {t.id: t.to_site for t in transfers if t.status == "in_transit" and t.to_site in site_ids}
    for transfer_id, component, abo, rhd, units, expires_at in uow.units.in_transit_bags(on_road):
        incoming.setdefault((component, abo, rhd), {}).setdefault(on_road[transfer_id], []).append(
            (units, _days_left(expires_at, now)))
    return incoming


def build_problem(uow, stations, target_days: float, now: datetime,
                  sources: frozenset[str] | None = None) -> rebalancing.Problem:
    """Stations with coordinates; bags of available stock (days left), what open transfers promise, and daily
    demand per group."""
    placed = [s for s in stations if s.lat is not None and s.lon is not None]
    points = [rebalancing.SitePoint(s.id, s.lat, s.lon) for s in placed]
    site_regions = {s.id: s.region for s in placed}
    demand: dict = {}
    for (site_id, component, abo, rhd), daily in stock.daily_demand(uow, site_regions, now).items():
        if site_id in site_regions:
            demand.setdefault((component, abo, rhd), {})[site_id] = daily
    bags: dict = {}
    for site_id, component, abo, rhd, units, expires_at in uow.units.available_bags(site_regions, now):
        bags.setdefault((component, abo, rhd), {}).setdefault(site_id, []).append((units, _days_left(expires_at, now)))
    incoming = _promised(uow, set(site_regions), bags, now)
    keep: dict = {}
    for (site_id, component, abo, rhd), units in reserves.floors(uow, site_regions, now).items():
        keep.setdefault((component, abo, rhd), {})[site_id] = units
    return rebalancing.Problem(sites=points, target_days=target_days, demand=demand, stock=bags,
                               max_distance_km=REBALANCING.max_distance_km, incoming=incoming, sources=sources,
                               keep=keep)


def create_plan(uow, principal: Principal, *, region: str | None = None, target_days: float | None = None,
                from_site: str | None = None, now: datetime) -> Plan:
    region, from_site = _scope(principal, region, from_site)
    target_days = target_days or REBALANCING.target_days
    with uow:
        stations = uow.sites.list(region=region, kind="station")
        if from_site is not None and from_site not in {s.id for s in stations}:
            raise Unprocessable("调出站点须为本方案范围内的血站",
                                errors={"from_site": ["不是该地区已登记的血站"]})
        # The basis is read before stock and transfers: a transfer committed in between then makes the plan
        # look stale (refused, safe), never counted-and-current when it was not counted.
        basis = uow.sites.transfer_versions(s.id for s in stations)
        sources = None if from_site is None else frozenset({from_site})
        result = rebalancing.solve(build_problem(uow, stations, target_days, now, sources))
        plan = Plan(id=new_id(), status="proposed", region=region, target_days=target_days,
                    moves=[asdict(m) for m in result.moves], before=result.before.as_dict(),
                    after=result.after.as_dict(), objective=dict(result.objective, seconds=round(result.seconds, 3)),
                    solver=result.solver, created_at=now, created_by=principal.sub, transfer_ids=[],
                    from_site=from_site, basis=basis)
        uow.plans.add(plan)
        uow.commit()
        return plan


def _may_approve(principal: Principal, plan: Plan) -> None:
    if principal.role == "admin":
        return
    if plan.region != principal.region or not plan.sources <= {principal.site_id}:
        raise NotYourSite("血站只能批准调出方均为本站的方案；地区调配方案由调度中心批准")


def approve_plan(uow, principal: Principal, *, plan_id: str, now: datetime) -> Plan:
    """One requested transfer per move; the stations then dispatch (or cancel) and receive them as usual."""
    with uow:
        plan = uow.plans.get_for_update(plan_id)      # a second approval waits here, then finds it approved
        if plan is None:
            raise PlanNotFound()
        _may_approve(principal, plan)
        if plan.status == "approved":
            return plan                               # approving again creates nothing
        stations = uow.sites.list(region=plan.region, kind="station")
        changed = plan.stale_against(uow.sites.transfer_versions((s.id for s in stations), lock=True))
        if changed:
            raise PlanStale("方案生成后相关站点的调拨单已有变化，请重新生成方案", sites=changed[:20])
        plan.approve([], now)                         # 409 before anything is created when it is not 'proposed'
        plan.transfer_ids = [new_transfer(uow, from_site=m["from_site"], to_site=m["to_site"], lines=[
                                 {k: m[k] for k in ("component", "abo", "rhd", "units")}],
                                 reason=f"rebalancing plan {plan.id}", now=now, requested_by=principal.sub,
                                 plan_id=plan.id).id
                             for m in plan.moves]
        uow.publish(RebalancingPlanApproved(plan_id=plan.id, region=plan.region, transfer_ids=plan.transfer_ids,
                                            approved_at=now))
        uow.commit()
        return plan


def get_plan(uow, plan_id: str) -> Plan:
    with uow:
        plan = uow.plans.get(plan_id)
        if plan is None:
            raise PlanNotFound()
        return plan
