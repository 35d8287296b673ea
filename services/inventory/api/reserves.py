"""/api/v1/reserves: reserves for major events (#22). Parse, call one use case, dump; access rules in authz.py."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas_cold_chain import ReserveCreateSchema, ReserveQueryArgsSchema, ReserveSchema
from ..services import reserves
from .common import blp, deps, now


@blp.route("/reserves")
class Reserves(MethodView):
    @blp.arguments(ReserveCreateSchema())
    @blp.response(201, ReserveSchema)
    def post(self, payload):
        """Set a reserve a station keeps for a date range (a major event, a holiday)"""
        return reserves.create_reserve(deps().uow(), current_principal(), now=now(), **payload)

    @blp.arguments(ReserveQueryArgsSchema(), location="query")
    @blp.response(200, ReserveSchema(many=True))
    def get(self, args):
        """Reserves, by site and date range"""
        return reserves.list_reserves(deps().uow(), **args)


@blp.route("/reserves/<string:reserve_id>")
class ReserveById(MethodView):
    @blp.response(204)
    def delete(self, reserve_id):
        """Remove a reserve"""
        reserves.delete_reserve(deps().uow(), current_principal(), reserve_id=reserve_id)
