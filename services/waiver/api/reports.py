"""Monthly settlement per hospital and waiver statistics."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..schemas.reports import (MonthlyStatsQueryArgsSchema, SettlementQueryArgsSchema, SettlementSchema,
                               StatsQueryArgsSchema, StatsSchema)
from ..services import reports
from .common import deps

blp = Blueprint("waiver_reports", __name__, url_prefix="/api/v1/waiver", description="结算与统计")


@blp.route("/settlements")
class Settlements(MethodView):
    @blp.arguments(SettlementQueryArgsSchema(), location="query")
    @blp.response(200, SettlementSchema)
    @blp.alt_response(200, description="CSV (Accept: text/csv or ?format=csv)", content_type="text/csv",
                      success=True)
    def get(self, args):
        """Monthly settlement of a hospital's direct deductions (JSON or CSV)"""
        report = reports.settlement(deps().uow(), principal=current_principal(), hospital_id=args["hospital_id"],
                                    month=args["month"])
        if args.get("format") == "csv" or (args.get("format") is None and _prefers_csv()):
            filename = f"settlement-{args['hospital_id']}-{args['month']}.csv"
            return Response(reports.settlement_csv(report), mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})
        return report


def _prefers_csv() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


@blp.route("/stats")
class Stats(MethodView):
    @blp.arguments(StatsQueryArgsSchema(), location="query")
    @blp.response(200, StatsSchema)
    def get(self, args):
        """Waiver statistics by channel for a month"""
        return reports.stats(deps().uow(), principal=current_principal(), month=args["month"],
                             region=args.get("region"))


@blp.route("/stats/monthly")
class MonthlyStats(MethodView):
    @blp.arguments(MonthlyStatsQueryArgsSchema(), location="query")
    @blp.response(200, StatsSchema(many=True))
    def get(self, args):
        """Waiver statistics by channel for each month of a run of at most 24 (a trend)"""
        return reports.monthly_stats(deps().uow(), principal=current_principal(), first=args["first"],
                                     last=args["last"], region=args.get("region"))
