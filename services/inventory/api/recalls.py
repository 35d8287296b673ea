"""/api/v1/recalls: lookback recalls, a hospital's answers per unit, closure statistics (access: authz.py)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask.views import MethodView

from servicekit.auth import current_principal

from hemolink.calendar import SHANGHAI
from ..schemas import (RecallAnswerSchema, RecallQueryArgsSchema, RecallSchema, RecallStatsArgsSchema,
                       RecallStatsSchema)
from ..services import recalls
from .common import blp, deps, now


@blp.route("/recalls")
class Recalls(MethodView):
    @blp.arguments(RecallQueryArgsSchema(), location="query")
    @blp.response(200, RecallSchema(many=True))
    def get(self, args):
        """Recalls, latest first (a hospital: those with units it received, its own lines only)"""
        return recalls.list_recalls(deps().uow(), current_principal(), **args)


@blp.route("/recalls/stats")
class RecallStats(MethodView):
    @blp.arguments(RecallStatsArgsSchema(), location="query")
    @blp.response(200, RecallStatsSchema)
    def get(self, args):
        """Recalls opened between two Asia/Shanghai days (inclusive): closed, open, closure time in hours"""
        since = datetime.combine(args["since"], time(), SHANGHAI)
        until = datetime.combine(args["until"] + timedelta(days=1), time(), SHANGHAI)
        return recalls.recall_stats(deps().uow(), since=since, until=until)


@blp.route("/recalls/<string:recall_id>")
class RecallById(MethodView):
    @blp.response(200, RecallSchema)
    def get(self, recall_id):
        """One recall (a hospital: only one that reached it, its own lines)"""
        return recalls.get_recall(deps().uow(), current_principal(), recall_id)


@blp.route("/recalls/<string:recall_id>/lines/<string:line_id>/answer")
class RecallLineAnswer(MethodView):
    @blp.arguments(RecallAnswerSchema())
    @blp.response(200, RecallSchema)
    def post(self, payload, recall_id, line_id):
        """The hospital's answer for one recalled unit: returned, destroyed, or already transfused"""
        return recalls.answer_line(deps().uow(), current_principal(), recall_id=recall_id, line_id=line_id,
                                   answer=payload["answer"], note=payload.get("note"), now=now())
