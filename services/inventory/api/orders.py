"""/api/v1/orders: hospital orders. Parse, call one use case, dump; access rules in authz.py."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas import OrderCreateSchema, OrderSchema
from ..services import orders
from .common import blp, deps, now


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(OrderCreateSchema())
    @blp.response(201, OrderSchema)
    def post(self, payload):
        """Order blood from the supplying station"""
        d = deps()
        return orders.place_order(d.uow(), hospital_id=current_principal().site_id, now=now(), vault=d.vault,
                                  **payload)
