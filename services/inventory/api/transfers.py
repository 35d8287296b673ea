"""/api/v1/transfers: transfers between stations. Parse, call one use case, dump; access rules in authz.py."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas import TransferCreateSchema, TransferQueryArgsSchema, TransferSchema
from ..schemas_cold_chain import TransferReceiveSchema
from ..services import transfers
from .common import blp, deps, now


@blp.route("/transfers")
class Transfers(MethodView):
    @blp.arguments(TransferCreateSchema())
    @blp.response(201, TransferSchema)
    def post(self, payload):
        """Request a transfer between stations"""
        principal = current_principal()
        return transfers.request_transfer(deps().uow(), station_id=principal.site_id, requested_by=principal.sub,
                                          now=now(), **payload)

    @blp.arguments(TransferQueryArgsSchema(), location="query")
    @blp.response(200, TransferSchema(many=True))
    def get(self, args):
        """List transfers, newest first"""
        return transfers.list_transfers(deps().uow(), **args)


def _station() -> str | None:
    return current_principal().site_id


@blp.route("/transfers/<string:transfer_id>/dispatch")
class TransferDispatch(MethodView):
    @blp.response(200, TransferSchema)
    def post(self, transfer_id):
        """Dispatch: the sending station picks units first-expiring-first"""
        return transfers.dispatch_transfer(deps().uow(), station_id=_station(), transfer_id=transfer_id, now=now())


@blp.route("/transfers/<string:transfer_id>/receive")
class TransferReceive(MethodView):
    @blp.arguments(TransferReceiveSchema(), required=False)
    @blp.response(200, TransferSchema)
    def post(self, payload, transfer_id):
        """Receive: the units join the receiving station's stock (red cells in doubt from the road: quarantined)"""
        return transfers.receive_transfer(deps().uow(), station_id=_station(), transfer_id=transfer_id, now=now(),
                                          transport_readings=(payload or {}).get("transport_readings"),
                                          location_id=(payload or {}).get("location_id"))


@blp.route("/transfers/<string:transfer_id>/cancel")
class TransferCancel(MethodView):
    @blp.response(200, TransferSchema)
    def post(self, transfer_id):
        """Cancel a transfer that has not been dispatched"""
        return transfers.cancel_transfer(deps().uow(), station_id=_station(), transfer_id=transfer_id, now=now())
