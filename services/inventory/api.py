"""HTTP resources of the inventory service: parse, call one use case, dump. Access rules: authz.py."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from .services import orders, plans, sites, stock, transfers, transfusions, units
from .schemas import (DemandResultSchema, DemandSchema, DiscardSchema, OrderCreateSchema, OrderSchema,
                      PlanCreateSchema, PlanSchema, SiteCreateSchema, SiteQueryArgsSchema, SiteSchema,
                      StockPolicyQueryArgsSchema, StockPolicySchema, StockQueryArgsSchema, StockRowSchema, TestResultSchema, TransferCreateSchema,
                      TransferQueryArgsSchema, TransferSchema, TransfusionCreateSchema, TransfusionSchema,
                      UnitDetailSchema, UnitQueryArgsSchema, UnitSchema)

blp = Blueprint("inventory", __name__, url_prefix="/api/v1", description="站点、血液库存、订单、输血、调拨与调配")


def _deps():
    return current_app.extensions["inventory"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---- sites -----------------------------------------------------------------------------------------------------
@blp.route("/sites")
class Sites(MethodView):
    @blp.arguments(SiteCreateSchema())
    @blp.response(201, SiteSchema)
    def post(self, payload):
        """Register a blood station or hospital"""
        return sites.create_site(_deps().uow(), now=_now(), **payload)

    @blp.arguments(SiteQueryArgsSchema(), location="query")
    @blp.response(200, SiteSchema(many=True))
    def get(self, args):
        """List sites"""
        return sites.list_sites(_deps().uow(), **args)


@blp.route("/sites/<string:site_id>")
class SiteById(MethodView):
    @blp.response(200, SiteSchema)
    def get(self, site_id):
        """A site (the gateway reads a site user's region from it)"""
        return sites.get_site(_deps().uow(), site_id)


@blp.route("/sites/<string:site_id>/demand")
class SiteDemand(MethodView):
    @blp.arguments(DemandSchema())
    @blp.response(200, DemandResultSchema)
    def put(self, payload, site_id):
        """Set a site's baseline daily demand (used until there is issue history)"""
        return sites.set_demand(_deps().uow(), current_principal(), site_id=site_id, now=_now(), **payload)

    @blp.response(200, DemandResultSchema)
    def get(self, site_id):
        """A site's baseline daily demand"""
        return sites.get_demand(_deps().uow(), site_id)


# ---- units -----------------------------------------------------------------------------------------------------
@blp.route("/units")
class Units(MethodView):
    @blp.arguments(UnitQueryArgsSchema(), location="query")
    @blp.response(200, UnitSchema(many=True))
    def get(self, args):
        """List blood units, first-expiring first"""
        return units.list_units(_deps().uow(), current_principal(), **args)


@blp.route("/units/<string:unit_id>")
class UnitById(MethodView):
    @blp.response(200, UnitDetailSchema)
    def get(self, unit_id):
        """A unit with its movement history"""
        return units.get_unit(_deps().uow(), current_principal(), unit_id)


@blp.route("/units/<string:unit_id>/discard")
class UnitDiscard(MethodView):
    @blp.arguments(DiscardSchema())
    @blp.response(200, UnitSchema)
    def post(self, payload, unit_id):
        """Discard a unit held by this station"""
        return units.discard_unit(_deps().uow(), station_id=current_principal().site_id, unit_id=unit_id,
                                  now=_now(), **payload)


@blp.route("/donations/<string:din>/test-result")
class TestResult(MethodView):
    @blp.arguments(TestResultSchema())
    @blp.response(200, UnitSchema(many=True))
    def post(self, payload, din):
        """Release a donation's units, or discard them all"""
        return units.record_test_result(_deps().uow(), station_id=current_principal().site_id, din=din,
                                        now=_now(), **payload)


@blp.route("/stock/policy")
class StockPolicyView(MethodView):
    @blp.arguments(StockPolicyQueryArgsSchema(), location="query")
    @blp.response(200, StockPolicySchema)
    def get(self, args):
        """The warning thresholds in force in a region (days of supply per component), for legends"""
        return stock.policy_in_force(_deps().uow(), now=_now(), **args)


@blp.route("/stock")
class Stock(MethodView):
    @blp.arguments(StockQueryArgsSchema(), location="query")
    @blp.response(200, StockRowSchema(many=True))
    def get(self, args):
        """Available units, days of supply and warning level per site × component × ABO × RhD"""
        return stock.list_stock(_deps().uow(), now=_now(), **args)


# ---- orders and transfusions -----------------------------------------------------------------------------------
@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(OrderCreateSchema())
    @blp.response(201, OrderSchema)
    def post(self, payload):
        """Order blood from the supplying station"""
        return orders.place_order(_deps().uow(), hospital_id=current_principal().site_id, now=_now(), **payload)


@blp.route("/transfusions")
class Transfusions(MethodView):
    @blp.arguments(TransfusionCreateSchema())
    @blp.response(201, TransfusionSchema)
    def post(self, payload):
        """Record that a unit issued to this hospital was transfused"""
        deps = _deps()
        return transfusions.record_transfusion(deps.uow(), deps.vault, hospital_id=current_principal().site_id,
                                               now=_now(), **payload)


# ---- transfers -------------------------------------------------------------------------------------------------
@blp.route("/transfers")
class Transfers(MethodView):
    @blp.arguments(TransferCreateSchema())
    @blp.response(201, TransferSchema)
    def post(self, payload):
        """Request a transfer between stations"""
        principal = current_principal()
        return transfers.request_transfer(_deps().uow(), station_id=principal.site_id, requested_by=principal.sub,
                                          now=_now(), **payload)

    @blp.arguments(TransferQueryArgsSchema(), location="query")
    @blp.response(200, TransferSchema(many=True))
    def get(self, args):
        """List transfers, newest first"""
        return transfers.list_transfers(_deps().uow(), **args)


def _station() -> str | None:
    return current_principal().site_id


@blp.route("/transfers/<string:transfer_id>/dispatch")
class TransferDispatch(MethodView):
    @blp.response(200, TransferSchema)
    def post(self, transfer_id):
        """Dispatch: the sending station picks units first-expiring-first"""
        return transfers.dispatch_transfer(_deps().uow(), station_id=_station(), transfer_id=transfer_id, now=_now())


@blp.route("/transfers/<string:transfer_id>/receive")
class TransferReceive(MethodView):
    @blp.response(200, TransferSchema)
    def post(self, transfer_id):
        """Receive: the units join the receiving station's stock"""
        return transfers.receive_transfer(_deps().uow(), station_id=_station(), transfer_id=transfer_id, now=_now())


@blp.route("/transfers/<string:transfer_id>/cancel")
class TransferCancel(MethodView):
    @blp.response(200, TransferSchema)
    def post(self, transfer_id):
        """Cancel a transfer that has not been dispatched"""
        return transfers.cancel_transfer(_deps().uow(), station_id=_station(), transfer_id=transfer_id, now=_now())


# ---- rebalancing -----------------------------------------------------------------------------------------------
@blp.route("/rebalancing/plans")
class Plans(MethodView):
    @blp.arguments(PlanCreateSchema())
    @blp.response(201, PlanSchema)
    def post(self, payload):
        """Propose moves that bring stations to target days of supply"""
        return plans.create_plan(_deps().uow(), current_principal(), now=_now(), **payload)


@blp.route("/rebalancing/plans/<string:plan_id>")
class PlanById(MethodView):
    @blp.response(200, PlanSchema)
    def get(self, plan_id):
        """A rebalancing plan"""
        return plans.get_plan(_deps().uow(), plan_id)


@blp.route("/rebalancing/plans/<string:plan_id>/approve")
class PlanApprove(MethodView):
    @blp.response(200, PlanSchema)
    def post(self, plan_id):
        """Approve a plan: one requested transfer per move"""
        return plans.approve_plan(_deps().uow(), current_principal(), plan_id=plan_id, now=_now())
