"""Rebalancing plans: feed the optimiser from current stock and demand; approving creates the transfers."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from servicekit.auth import Principal

from . import rebalancing, stock
from .events import RebalancingPlanApproved
from .model import NotYourSite, Plan, PlanNotFound, new_id, utc
from .policy import REBALANCING
from .transfers import new_transfer


def _scope(principal: Principal, region: str | None) -> str | None:
    """A station plans for its own region (the default); only an admin plans another region or the network."""
    if principal.role == "admin":
        return region
    if region not in (None, principal.region):
        raise NotYourSite("只能为本地区制定调配方案")
    return principal.region


def build_problem(uow, stations, target_days: float, now: datetime) -> rebalancing.Problem:
    """Stations with coordinates; bags of available stock (days left) and daily demand per group."""
    points = [rebalancing.SitePoint(s.id, s.lat, s.lon) for s in stations if s.lat is not None and s.lon is not None]
    site_regions = {s.id: s.region for s in stations if s.lat is not None and s.lon is not None}
    demand: dict = {}
    for (site_id, component, abo, rhd), daily in stock.daily_demand(uow, site_regions, now).items():
        if site_id in site_regions:
            demand.setdefault((component, abo, rhd), {})[site_id] = daily
    bags: dict = {}
    for site_id, component, abo, rhd, units, expires_at in uow.units.available_bags(site_regions, now):
        days_left = (utc(expires_at) - now).total_seconds() / 86400
        bags.setdefault((component, abo, rhd), {}).setdefault(site_id, []).append((units, days_left))
    return rebalancing.Problem(sites=points, target_days=target_days, demand=demand, stock=bags,
                               max_distance_km=REBALANCING.max_distance_km)


def create_plan(uow, principal: Principal, *, region: str | None = None, target_days: float | None = None,
                now: datetime) -> Plan:
    region = _scope(principal, region)
    target_days = target_days or REBALANCING.target_days
    with uow:
        stations = uow.sites.list(region=region, kind="station")
        result = rebalancing.solve(build_problem(uow, stations, target_days, now))
        plan = Plan(id=new_id(), status="proposed", region=region, target_days=target_days,
                    moves=[asdict(m) for m in result.moves], before=result.before.as_dict(),
                    after=result.after.as_dict(), objective=dict(result.objective, seconds=round(result.seconds, 3)),
                    solver=result.solver, created_at=now, created_by=principal.sub, transfer_ids=[])
        uow.plans.add(plan)
        uow.commit()
        return plan


def approve_plan(uow, principal: Principal, *, plan_id: str, now: datetime) -> Plan:
    """One requested transfer per move; the stations then dispatch and receive them as usual."""
    with uow:
        plan = uow.plans.get_for_update(plan_id)
        if plan is None:
            raise PlanNotFound()
        if principal.role != "admin" and (plan.region is None or plan.region != principal.region):
            raise NotYourSite("只能批准本地区的调配方案")
        plan.approve([], now)                  # 409 before anything is created when it is not 'proposed'
        transfer_ids = [new_transfer(uow, from_site=m["from_site"], to_site=m["to_site"], lines=[
                            {k: m[k] for k in ("component", "abo", "rhd", "units")}],
                            reason=f"rebalancing plan {plan.id}", now=now, requested_by=principal.sub,
                            plan_id=plan.id).id
                        for m in plan.moves]
        plan.transfer_ids = transfer_ids
        uow.publish(RebalancingPlanApproved(plan_id=plan.id, region=plan.region, transfer_ids=transfer_ids,
                                            approved_at=now))
        uow.commit()
        return plan


def get_plan(uow, plan_id: str) -> Plan:
    with uow:
        plan = uow.plans.get(plan_id)
        if plan is None:
            raise PlanNotFound()
        return plan
