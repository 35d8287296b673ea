"""Hospital orders: served by the supplying station first-expiring-first, cut by warning level, emergency
substitution with compatible groups."""
from __future__ import annotations

from datetime import datetime

from ..allocation import take_bags
from ..events import UnitsIssued
from ..errors import SiteNotConfigured
from ..model import EPS, Movement, Order, new_id, order_status, routine_cut
from ..policy import substitutes
from . import approvals, stock


def _supplier(uow, hospital_id: str):
    hospital = uow.sites.get(hospital_id)
    if hospital is None or hospital.kind != "hospital" or not hospital.supplier_id:
        raise SiteNotConfigured(f"医院 {hospital_id} 未登记或未配置供血血站")
    supplier = uow.sites.get(hospital.supplier_id)
    if supplier is None:
        raise SiteNotConfigured(f"供血血站 {hospital.supplier_id} 未登记")
    return hospital, supplier


def place_order(uow, *, hospital_id: str, lines: list[dict], priority: str, now: datetime,
                emergency_override: dict | None = None, vault=None, patient_national_id: str | None = None,
                clinical_approval: dict | None = None) -> Order:
    """Allocate every line; the order is fulfilled, partial or backordered (nothing at all). No bag twice:
    each bag is taken by a conditional update (allocation.take_bags). An `emergency_override` (who decided, why)
    lets an emergency take RhD-incompatible bags after every compatible one; each such substitution says so."""
    with uow:
        hospital, supplier = _supplier(uow, hospital_id)
        policy = stock.policy_for(supplier.region, now)
        levels = stock.current_levels(
            uow, {(supplier.id, ln["component"], ln["abo"], ln["rhd"]) for ln in lines}, supplier.region, now)
        order = Order(id=new_id(), hospital_id=hospital.id, supplier_id=supplier.id, priority=priority,
                      status="backordered", lines=[], created_at=now, emergency_override=emergency_override)
        if patient_national_id:
            order.approval = approvals.assess(uow, vault, order_id=order.id, hospital_id=hospital.id,
                                              patient_national_id=patient_national_id, lines=lines,
                                              priority=priority, clinical_approval=clinical_approval, now=now)
        claim = dict(status="issued", site_id=hospital.id, region=hospital.region, issued_to=hospital.id,
                     issued_from=supplier.id, issued_at=now, order_id=order.id)
        touched, result_lines, unit_ids = set(), [], []
        for line in lines:
            component, abo, rhd, wanted = line["component"], line["abo"], line["rhd"], float(line["units"])
            level = levels[(supplier.id, component, abo, rhd)]
            cut = routine_cut(level, policy) if priority == "routine" else 0.0
            allowed = round(wanted * (1 - cut), 4)
            taken = take_bags(uow, from_site=supplier.id, component=component, abo=abo, rhd=rhd, wanted_u=allowed,
                              now=now, claim=claim)
            unit_ids += taken.unit_ids
            got, substitutions = taken.units, []
            if taken.unit_ids:
                touched.add((supplier.id, component, abo, rhd))
            if priority == "emergency" and got < allowed - EPS:
                compatible = set(substitutes(component, abo, rhd))
                for sub_abo, sub_rhd in substitutes(component, abo, rhd, rhd_override=bool(emergency_override)):
                    more = take_bags(uow, from_site=supplier.id, component=component, abo=sub_abo, rhd=sub_rhd,
                                     wanted_u=allowed - got, now=now, claim=claim)
                    if more.unit_ids:
                        unit_ids += more.unit_ids
                        got += more.units
                        touched.add((supplier.id, component, sub_abo, sub_rhd))
                        substitutions.append({"abo": sub_abo, "rhd": sub_rhd, "units": more.units,
                                              "unit_ids": more.unit_ids,
                                              "rhd_override": (sub_abo, sub_rhd) not in compatible})
                    if got >= allowed - EPS:
                        break
            result_lines.append({"component": component, "abo": abo, "rhd": rhd, "units": wanted, "level": level,
                                 "cut_percent": round(cut * 100, 2), "allowed_units": allowed,
                                 "allocated_units": round(got, 4), "shortfall_units": round(max(0.0, wanted - got), 4),
                                 "substitutions": substitutions})
        order.lines, order.unit_ids = result_lines, unit_ids
        order.status = order_status(result_lines)
        uow.orders.add(order)
        if unit_ids:
            uow.units.record_movements([Movement(uid, "issued", "issued", now, from_site=supplier.id,
                                                 to_site=hospital.id, ref=order.id) for uid in unit_ids])
            uow.publish(UnitsIssued(order_id=order.id, hospital_id=hospital.id, unit_ids=unit_ids, issued_at=now))
            stock.refresh(uow, touched, now)
        order.allocations = uow.units.by_ids(unit_ids)
        uow.commit()
        return order
