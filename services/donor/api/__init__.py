"""HTTP resources of the donor service, one module per resource (access rules: authz.py)."""
from .donors import blp, me

BLUEPRINTS = [blp, me]
