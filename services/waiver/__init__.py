"""Waiver service: blood-fee waiver policies, entitlement pools, deductions, claims, settlement."""
