"""/api/v1/cold-chain: stores, temperature readings, excursions and their decision, statistics (#22).
Parse, call one use case, dump; access rules in authz.py."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas_cold_chain import (ColdChainStatsSchema, DecisionSchema, ExcursionQueryArgsSchema, ExcursionSchema,
                                  LocationCreateSchema, LocationQueryArgsSchema, LocationSchema, PlaceUnitsSchema,
                                  ReadingBatchResultSchema, ReadingBatchSchema, StatsQueryArgsSchema)
from ..schemas import UnitSchema
from ..services import cold_chain
from .common import blp, deps, now


@blp.route("/cold-chain/locations")
class Locations(MethodView):
    @blp.arguments(LocationCreateSchema())
    @blp.response(201, LocationSchema)
    def post(self, payload):
        """Register a store (fridge, freezer, platelet agitator) at a station"""
        return cold_chain.create_location(deps().uow(), current_principal(), now=now(), **payload)

    @blp.arguments(LocationQueryArgsSchema(), location="query")
    @blp.response(200, LocationSchema(many=True))
    def get(self, args):
        """Stores and their ranges"""
        return cold_chain.list_locations(deps().uow(), **args)


@blp.route("/cold-chain/locations/<string:location_id>/units")
class LocationUnits(MethodView):
    @blp.arguments(PlaceUnitsSchema())
    @blp.response(200, UnitSchema(many=True))
    def post(self, payload, location_id):
        """Put units the station holds into one of its stores"""
        return cold_chain.place_units(deps().uow(), current_principal(), location_id=location_id, now=now(),
                                      **payload)


@blp.route("/cold-chain/readings")
class Readings(MethodView):
    @blp.arguments(ReadingBatchSchema())
    @blp.response(200, ReadingBatchResultSchema)
    def post(self, payload):
        """A sensor gateway's batch of temperature readings (idempotent per store and moment)"""
        return cold_chain.ingest_readings(deps().uow(), current_principal(), now=now(), **payload)


@blp.route("/cold-chain/excursions")
class Excursions(MethodView):
    @blp.arguments(ExcursionQueryArgsSchema(), location="query")
    @blp.response(200, ExcursionSchema(many=True))
    def get(self, args):
        """Excursions, newest first"""
        return cold_chain.list_excursions(deps().uow(), current_principal(), **args)


@blp.route("/cold-chain/excursions/<string:excursion_id>")
class ExcursionById(MethodView):
    @blp.response(200, ExcursionSchema)
    def get(self, excursion_id):
        """One excursion"""
        return cold_chain.get_excursion(deps().uow(), current_principal(), excursion_id)


@blp.route("/cold-chain/excursions/<string:excursion_id>/decision")
class ExcursionDecision(MethodView):
    @blp.arguments(DecisionSchema())
    @blp.response(200, ExcursionSchema)
    def post(self, payload, excursion_id):
        """Release the held units to stock, or discard them (recorded with who, when and why)"""
        return cold_chain.decide(deps().uow(), current_principal(), excursion_id=excursion_id, now=now(), **payload)


@blp.route("/cold-chain/stats")
class ColdChainStats(MethodView):
    @blp.arguments(StatsQueryArgsSchema(), location="query")
    @blp.response(200, ColdChainStatsSchema)
    def get(self, args):
        """Excursions by kind and outcome, discarded units by cause"""
        return cold_chain.statistics(deps().uow(), current_principal(), **args)
