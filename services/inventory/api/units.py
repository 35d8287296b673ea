"""/api/v1/units and /api/v1/donations/{din}/test-result: units, discards, test results (access: authz.py)."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas import DiscardSchema, ProcessSchema, TestResultSchema, UnitDetailSchema, UnitQueryArgsSchema, UnitSchema
from ..services import units
from .common import blp, deps, now


@blp.route("/units")
class Units(MethodView):
    @blp.arguments(UnitQueryArgsSchema(), location="query")
    @blp.response(200, UnitSchema(many=True))
    def get(self, args):
        """List blood units, first-expiring first"""
        return units.list_units(deps().uow(), current_principal(), **args)


@blp.route("/units/<string:unit_id>")
class UnitById(MethodView):
    @blp.response(200, UnitDetailSchema)
    def get(self, unit_id):
        """A unit with its movement history"""
        return units.get_unit(deps().uow(), current_principal(), unit_id)


@blp.route("/units/<string:unit_id>/discard")
class UnitDiscard(MethodView):
    @blp.arguments(DiscardSchema())
    @blp.response(200, UnitSchema)
    def post(self, payload, unit_id):
        """Discard a unit held by this station"""
        return units.discard_unit(deps().uow(), station_id=current_principal().site_id, unit_id=unit_id,
                                  now=now(), **payload)


@blp.route("/units/<string:unit_id>/process")
class UnitProcess(MethodView):
    @blp.arguments(ProcessSchema())
    @blp.response(200, UnitSchema)
    def post(self, payload, unit_id):
        """Make washed red cells or frozen plasma of a unit held by this station"""
        return units.process_unit(deps().uow(), station_id=current_principal().site_id, unit_id=unit_id,
                                  now=now(), **payload)


@blp.route("/donations/<string:din>/test-result")
class TestResult(MethodView):
    @blp.arguments(TestResultSchema())
    @blp.response(200, UnitSchema(many=True))
    def post(self, payload, din):
        """Release a donation's units, or discard them all"""
        return units.record_test_result(deps().uow(), station_id=current_principal().site_id, din=din,
                                        now=now(), **payload)
