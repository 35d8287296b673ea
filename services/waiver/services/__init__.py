"""Waiver use cases, one module per role: ledger (inbound facts), entitlements, family, deductions, claims,
reports (settlement, statistics) and reminders. Each function owns its transaction (`with uow: ... commit()`)."""
