"""HTTP resources of the donor service, one module per resource (access rules: authz.py)."""
from .donors import blp
from .drives import blp as drives
from .me import me
from .points import blp as points
from .post_donation import blp as post_donation
from .rare import blp as rare

BLUEPRINTS = [blp, me, points, rare, drives, post_donation]
