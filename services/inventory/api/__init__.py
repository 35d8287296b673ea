"""HTTP resources of the inventory service, one module per resource (access rules: authz.py).

Importing each module registers its routes on the one blueprint (api.common.blp)."""
from . import orders, plans, sites, stock, transfers, transfusions, units  # noqa: F401  (registers the routes)
from . import cold_chain, reserves  # noqa: F401  (#22)
from . import approvals, recalls  # noqa: F401  (#22: recalls, clinical approval)
from .common import blp

BLUEPRINTS = [blp]
