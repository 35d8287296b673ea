"""HTTP resources of the waiver service: parse, call one use case, dump."""
from . import claims, deductions, entitlements, family, reports

BLUEPRINTS = [entitlements.blp, family.blp, deductions.blp, claims.blp, reports.blp]
