"""/api/v1/stock: stock levels and the policy behind them. Parse, call one use case, dump; access rules in authz.py."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas import (ExpectedCollectionsArgsSchema, ExpectedCollectionsSchema, LevelCountsSchema,
                       LevelsHistoryArgsSchema, StockHistoryArgsSchema, StockPolicyQueryArgsSchema, StockPolicySchema,
                       StockQueryArgsSchema, StockRowSchema, StockSnapshotSchema)
from ..services import expected, history, stock
from .common import blp, deps, now


@blp.route("/stock/expected-collections")
class ExpectedCollections(MethodView):
    @blp.arguments(ExpectedCollectionsArgsSchema(), location="query")
    @blp.response(200, ExpectedCollectionsSchema(many=True))
    def get(self, args):
        """Collections expected per station and day from booked appointments and drives, and what came"""
        return expected.expected_collections(deps().uow(), current_principal(), now=now(), **args)


@blp.route("/stock/policy")
class StockPolicyView(MethodView):
    @blp.arguments(StockPolicyQueryArgsSchema(), location="query")
    @blp.response(200, StockPolicySchema)
    def get(self, args):
        """The warning thresholds in force in a region (days of supply per component), for legends"""
        return stock.policy_in_force(deps().uow(), now=now(), **args)


@blp.route("/stock/history")
class StockHistory(MethodView):
    @blp.arguments(StockHistoryArgsSchema(), location="query")
    @blp.response(200, StockSnapshotSchema(many=True))
    def get(self, args):
        """A site's daily stock snapshots of the last `days` Asia/Shanghai days (days without one are absent)"""
        return history.site_history(deps().uow(), now=now(), **args)


@blp.route("/stock/levels-history")
class LevelsHistory(MethodView):
    @blp.arguments(LevelsHistoryArgsSchema(), location="query")
    @blp.response(200, LevelCountsSchema(many=True))
    def get(self, args):
        """Cells (site × component × group) at each warning level per day in a region, from the daily snapshots"""
        return history.levels_history(deps().uow(), now=now(), **args)


@blp.route("/stock")
class Stock(MethodView):
    @blp.arguments(StockQueryArgsSchema(), location="query")
    @blp.response(200, StockRowSchema(many=True))
    def get(self, args):
        """Available units, days of supply and warning level per site × component × ABO × RhD"""
        return stock.list_stock(deps().uow(), now=now(), **args)
