"""Tables of the inventory service and the imperative mapping of the plain domain classes onto them."""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Date, Float, Index, Integer, MetaData, String, Table,
                        UniqueConstraint, event)
from sqlalchemy.orm import registry

from servicekit.db import UtcDateTime
from servicekit.mapping import map_once

from . import approval, coldchain, model, recall, reserve

metadata = MetaData()
mapper_registry = registry(metadata=metadata)


sites = Table(
    "sites", metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("region", String(8), nullable=False, index=True),
    Column("supplier_id", String(40), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # Bumped by every change to a transfer from or to the site; plans compare it on approval (plans.py).
    Column("transfer_version", Integer, nullable=False, default=0, server_default="0"),
)

# Baseline daily demand per site and group, used for days of supply until there is issue history.
site_demand = Table(
    "site_demand", metadata,
    Column("site_id", String(40), primary_key=True),
    Column("component", String(20), primary_key=True),
    Column("abo", String(2), primary_key=True),
    Column("rhd", String(3), primary_key=True),
    Column("units_per_day", Float, nullable=False),
)

units = Table(
    "units", metadata,
    Column("id", String(36), primary_key=True),
    Column("din", String(14), nullable=False, index=True),
    Column("donation_id", String(36), nullable=True),    # stock loaded without its donation record has none
    Column("donor_id", String(36), nullable=True),
    Column("component", String(20), nullable=False),
    Column("abo", String(2), nullable=False),
    Column("rhd", String(3), nullable=False),
    Column("units", Float, nullable=False),
    Column("volume_ml", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("region", String(8), nullable=True),          # of the holding site, when known
    Column("collected_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("bag_no", Integer, nullable=False, default=1),
    Column("issued_to", String(40), nullable=True),
    Column("issued_from", String(40), nullable=True),
    Column("issued_at", UtcDateTime, nullable=True),
    Column("order_id", String(36), nullable=True),
    Column("transfer_id", String(36), nullable=True),
    Column("reason", String(200), nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
    # Cold chain (#22): the store it sits in since when (None: not placed, no store's excursion touches it), and
    # the excursion holding it in quarantine until someone decides.
    Column("location_id", String(36), nullable=True, index=True),
    Column("located_at", UtcDateTime, nullable=True),
    Column("hold_ref", String(36), nullable=True),
    UniqueConstraint("din", "component", "bag_no", name="uq_unit_per_donation"),   # a redelivered donation adds nothing
    Index("ix_units_stock", "site_id", "status", "component", "abo", "rhd", "expires_at"),
    Index("ix_units_issues", "issued_from", "component", "abo", "rhd", "issued_at"),
    Index("ix_units_expiry", "status", "expires_at"),
)

# Every movement of a unit (created, released, issued, dispatched, received, ...): its history.
unit_movements = Table(
    "unit_movements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit_id", String(36), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("from_site", String(40), nullable=True),
    Column("to_site", String(40), nullable=True),
    Column("ref", String(36), nullable=True),
    Column("note", String(200), nullable=True),
)

# The level last announced per site × component × group (StockLevelChanged only on change), and when the
# days of supply first went below each threshold (the consecutive-days rule).
stock_levels = Table(
    "stock_levels", metadata,
    Column("site_id", String(40), primary_key=True),
    Column("component", String(20), primary_key=True),
    Column("abo", String(2), primary_key=True),
    Column("rhd", String(3), primary_key=True),
    Column("region", String(8), nullable=False),
    Column("level", String(10), nullable=True),
    Column("available_units", Float, nullable=False),
    Column("days_of_supply", Float, nullable=True),
    Column("yellow_since", UtcDateTime, nullable=True),
    Column("orange_since", UtcDateTime, nullable=True),
    Column("red_since", UtcDateTime, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The stock view as it stood each Asia/Shanghai day (the snapshot job, services/history.py): one row per station,
# component, group and day, refreshed by every run of that day, so the day's row is its last picture. The key leads
# with the site (a site's history reads a day range of it); levels over time read by region and day, or by day.
stock_snapshots = Table(
    "stock_snapshots", metadata,
    Column("site_id", String(40), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("component", String(20), primary_key=True),
    Column("abo", String(2), primary_key=True),
    Column("rhd", String(3), primary_key=True),
    Column("region", String(8), nullable=False),
    Column("available_units", Float, nullable=False),
    Column("days_of_supply", Float, nullable=True),
    Column("level", String(10), nullable=False),          # as GET /stock shows it: green … red or no_data
    Column("taken_at", UtcDateTime, nullable=False),      # the computation's moment: an older one never overwrites
    Index("ix_stock_snapshots_region_day", "region", "day"),
    Index("ix_stock_snapshots_day", "day"),               # levels over time of every region
)

orders = Table(
    "orders", metadata,
    Column("id", String(36), primary_key=True),
    Column("hospital_id", String(40), nullable=False, index=True),
    Column("supplier_id", String(40), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("status", String(15), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("unit_ids", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("emergency_override", JSON, nullable=True),
)

transfusions = Table(
    "transfusions", metadata,
    Column("id", String(36), primary_key=True),
    Column("unit_id", String(36), nullable=False, unique=True),   # a unit is transfused once
    Column("hospital_id", String(40), nullable=False, index=True),
    Column("patient_blind", String(64), nullable=False, index=True),
    Column("patient_masked", String(40), nullable=False),
    Column("patient_name_encrypted", String(400), nullable=False),
    Column("transfused_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

transfers = Table(
    "transfers", metadata,
    Column("id", String(36), primary_key=True),
    Column("from_site", String(40), nullable=False, index=True),
    Column("to_site", String(40), nullable=False, index=True),
    Column("inter_region", Boolean, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("status", String(15), nullable=False, index=True),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("requested_by", String(100), nullable=True),
    Column("plan_id", String(36), nullable=True),
    Column("unit_ids", JSON, nullable=False),
    Column("dispatched_at", UtcDateTime, nullable=True),
    Column("received_at", UtcDateTime, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
)

plans = Table(
    "rebalancing_plans", metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(15), nullable=False),
    Column("region", String(8), nullable=True),
    Column("target_days", Float, nullable=False),
    Column("moves", JSON, nullable=False),
    Column("before", JSON, nullable=False),
    Column("after", JSON, nullable=False),
    Column("objective", JSON, nullable=False),
    Column("solver", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(100), nullable=True),
    Column("approved_at", UtcDateTime, nullable=True),
    Column("transfer_ids", JSON, nullable=False),
    Column("from_site", String(40), nullable=True),   # a plan that moves only this site's surplus
    Column("basis", JSON, nullable=True),             # {site_id: transfer_version} the plan was computed on
)

# ---- cold chain and reserves (#22) --------------------------------------------------------------------------
storage_locations = Table(
    "storage_locations", metadata,
    Column("id", String(36), primary_key=True),
    Column("site_id", String(40), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

# One reading per store and moment: a gateway that re-sends a batch adds nothing.
temperature_readings = Table(
    "temperature_readings", metadata,
    Column("location_id", String(36), primary_key=True),
    Column("at", UtcDateTime, primary_key=True),
    Column("celsius", Float, nullable=False),
    Column("agitating", Boolean, nullable=True),
    Column("received_at", UtcDateTime, nullable=False),
)

transport_readings = Table(
    "transport_readings", metadata,
    Column("transfer_id", String(36), primary_key=True),
    Column("at", UtcDateTime, primary_key=True),
    Column("celsius", Float, nullable=False),
)

excursions = Table(
    "cold_chain_excursions", metadata,
    Column("id", String(36), primary_key=True),
    Column("site_id", String(40), nullable=False, index=True),
    Column("kind", String(10), nullable=False),            # storage | transport
    Column("location_id", String(36), nullable=True, index=True),
    Column("transfer_id", String(36), nullable=True, unique=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("min_c", Float, nullable=True),
    Column("max_c", Float, nullable=True),
    Column("unit_ids", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("status", String(10), nullable=False, index=True),
    Column("detected_at", UtcDateTime, nullable=False),
    Column("decision", String(10), nullable=True),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decision_reason", String(500), nullable=True),
    # A store's stretch is one excursion however many batches extend it.
    UniqueConstraint("location_id", "started_at", name="uq_excursion_per_stretch"),
)

stock_reserves = Table(
    "stock_reserves", metadata,
    Column("id", String(36), primary_key=True),
    Column("site_id", String(40), nullable=False, index=True),
    Column("component", String(20), nullable=False),
    Column("abo", String(2), nullable=False),
    Column("rhd", String(3), nullable=False),
    Column("units", Float, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("created_by", String(100), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)


# Expected collections (the donor service's facts): booked appointments and scheduled drives per station and day, and
# every donation collected (its drive and the appointment it kept) to count what came against what was expected.
expected_appointments = Table(
    "expected_appointments", metadata,
    Column("appointment_id", String(36), primary_key=True),
    Column("site_id", String(40), nullable=False),
    Column("region", String(8), nullable=False),
    Column("point_id", String(36), nullable=False),
    Column("day", Date, nullable=False),                  # the slot's day, Asia/Shanghai
    Column("kind", String(20), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("status", String(12), nullable=False),         # booked | cancelled | missed
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_expected_appointments_site_day", "site_id", "day"),
)

expected_drives = Table(
    "expected_drives", metadata,
    Column("drive_id", String(36), primary_key=True),
    Column("site_id", String(40), nullable=False),
    Column("region", String(8), nullable=False),
    Column("point_id", String(36), nullable=True),
    Column("day", Date, nullable=False),
    Column("target_donors", Integer, nullable=False),
    Column("scheduled_at", UtcDateTime, nullable=False),
    Index("ix_expected_drives_site_day", "site_id", "day"),
)

collections = Table(
    "collections", metadata,
    Column("donation_id", String(36), primary_key=True),
    Column("site_id", String(40), nullable=False),
    Column("region", String(8), nullable=False),
    Column("day", Date, nullable=False),                  # collected_at's day, Asia/Shanghai
    Column("kind", String(20), nullable=False),
    Column("drive_id", String(36), nullable=True, index=True),
    Column("appointment_id", String(36), nullable=True, index=True),
    Column("collected_at", UtcDateTime, nullable=False),
    Index("ix_collections_site_day", "site_id", "day"),
)


# ---- lookback and recall (#22; recall.py) ---------------------------------------------------------------------
recalls = Table(
    "recalls", metadata,
    Column("id", String(36), primary_key=True),
    Column("trigger", String(30), nullable=False),
    Column("trigger_ref", String(64), nullable=False),
    Column("marker", String(40), nullable=False),
    Column("donor_id", String(36), nullable=False, index=True),
    Column("window_days", Integer, nullable=False),
    Column("window_from", UtcDateTime, nullable=False),
    Column("window_to", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False, index=True),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("held_unit_ids", JSON, nullable=False),
    # One recall per positive donation or per report: a redelivered trigger opens nothing twice.
    UniqueConstraint("trigger", "trigger_ref", name="uq_recall_trigger"),
)

recall_lines = Table(
    "recall_lines", metadata,
    Column("id", String(36), primary_key=True),
    Column("recall_id", String(36), nullable=False, index=True),
    Column("hospital_id", String(40), nullable=False, index=True),
    Column("region", String(8), nullable=True),
    Column("unit_id", String(36), nullable=False),
    Column("din", String(14), nullable=False),
    Column("component", String(20), nullable=False),
    Column("status_at_notice", String(20), nullable=False),
    Column("notified_at", UtcDateTime, nullable=False),
    Column("answer", String(20), nullable=True),
    Column("answered_at", UtcDateTime, nullable=True),
    Column("answered_by", String(100), nullable=True),
    Column("note", String(500), nullable=True),
    UniqueConstraint("recall_id", "unit_id", name="uq_recall_line_unit"),
)

# ---- tiered clinical approval of orders for a named patient (#22; approval.py) --------------------------------
order_approvals = Table(
    "order_approvals", metadata,
    Column("order_id", String(36), primary_key=True),
    Column("hospital_id", String(40), nullable=False),
    Column("patient_blind", String(64), nullable=False),
    Column("patient_masked", String(40), nullable=False),
    Column("day", String(10), nullable=False),             # Asia/Shanghai date
    Column("counted_ml", Integer, nullable=False),
    Column("day_total_ml", Integer, nullable=False),
    Column("required_level", String(30), nullable=False),
    Column("status", String(20), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("given", JSON, nullable=True),
    Column("approved_at", UtcDateTime, nullable=True),
    Index("ix_order_approvals_owed", "status", "hospital_id"),
)

# The running total per hospital, patient and day: its row is locked while an order adds to it, so two orders for
# one patient at once cannot both stay under a tier.
patient_day_totals = Table(
    "patient_day_totals", metadata,
    Column("hospital_id", String(40), primary_key=True),
    Column("patient_blind", String(64), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("ml", Integer, nullable=False),
)


def _map_all() -> None:
    # The transfer version is bookkeeping for plans, not part of a site: read and bumped with Core statements.
    mapper_registry.map_imperatively(model.Site, sites, exclude_properties=["transfer_version"])
    mapper_registry.map_imperatively(model.Unit, units)
    mapper_registry.map_imperatively(model.Order, orders)
    mapper_registry.map_imperatively(model.Transfusion, transfusions)
    mapper_registry.map_imperatively(model.Transfer, transfers)
    mapper_registry.map_imperatively(model.Plan, plans)
    mapper_registry.map_imperatively(coldchain.StorageLocation, storage_locations)
    mapper_registry.map_imperatively(coldchain.Excursion, excursions)
    mapper_registry.map_imperatively(reserve.Reserve, stock_reserves)
    mapper_registry.map_imperatively(recall.Recall, recalls)
    mapper_registry.map_imperatively(recall.RecallLine, recall_lines)
    mapper_registry.map_imperatively(approval.OrderApproval, order_approvals)


# What the entities carry besides their columns, for the schemas to present (the use cases fill them in): a
# row loaded from the database skips __init__, so they start empty here.
@event.listens_for(model.Unit, "load")
def _init_unit(unit, _context):
    unit.history = []


@event.listens_for(model.Order, "load")
def _init_order(order, _context):
    order.allocations = []
    order.approval = None


@event.listens_for(recall.Recall, "load")
def _init_recall(recall_, _context):
    recall_.lines = []


@event.listens_for(model.Transfusion, "load")
def _init_transfusion(transfusion, _context):
    transfusion.unit = None


@event.listens_for(model.Transfer, "load")
def _init_transfer(transfer, _context):
    transfer.units = []


start_mappers = map_once(mapper_registry, _map_all)
