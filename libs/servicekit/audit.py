"""Audit trail: every state-changing request, who did it and how it ended, one row each.

Written after the response is decided, as its own single statement: refused requests (401/403/422)
change nothing else, yet they are exactly what an auditor wants to see. On PostgreSQL the row is one
autocommitted INSERT (one round trip instead of BEGIN, INSERT, COMMIT); SQLite takes its write lock with
BEGIN IMMEDIATE (db.make_engine), so there it stays a short transaction.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from types import SimpleNamespace

from flask import Flask, g, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

from . import context
from .db import is_sqlite

log = logging.getLogger(__name__)

audit_metadata = MetaData()

audit_log = Table(
    "audit_log",
    audit_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("service", String(30), nullable=False),
    Column("actor", String(100), nullable=True),
    Column("role", String(20), nullable=True),
    Column("site_id", String(40), nullable=True),
    Column("region", String(8), nullable=True),
    Column("action", String(200), nullable=False),   # "POST /api/v1/items/<item_id>/approve"
    Column("target", String(200), nullable=True),    # the ids in the path: "claim_id=..."
    Column("request_id", String(64), nullable=True),
    Column("status", Integer, nullable=False),
    Column("outcome", String(20), nullable=False),    # succeeded | refused | failed
)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CREATED_ID_FIELDS = ("id", "client_id", "username")   # what a 201 body names its new resource by


def create_audit_tables(bind) -> None:
    audit_metadata.create_all(bind)


def outcome_of(status: int) -> str:
    return "succeeded" if status < 400 else ("failed" if status >= 500 else "refused")


def _created_id(response) -> str | None:
    """A creation (`POST /items`) has no id in its path: the target is the id of what it created."""
    if response.status_code != 201 or not response.is_json:
        return None
    body = response.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    key = next((k for k in CREATED_ID_FIELDS if body.get(k)), None)
    return f"{key}={body[key]}" if key else None


def claim_actor(sub: str | None, *, role: str | None = None, site_id: str | None = None,
                region: str | None = None) -> None:
    """Name the actor of a request that carries no token yet is about someone: a login.

    A refused login is then recorded against the account it tried (role unknown, since nothing was
    proven) and a successful one against the account it opened. A verified token's principal wins.
    """
    g.audit_actor = SimpleNamespace(sub=sub, role=role, site_id=site_id, region=region)


_INSERT = audit_log.insert()    # built once; the row comes as parameters


def _writer(session_factory):
    """Insert one audit row durably: autocommit where the database allows it, else a short transaction."""
    engine = session_factory.kw["bind"]
    if is_sqlite(engine):
        def write(row: dict) -> None:
            with session_factory() as session, session.begin():
                session.execute(_INSERT, row)
        return write
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def write(row: dict) -> None:
        with autocommit.connect() as conn:
            conn.execute(_INSERT, row)
    return write


def install_audit(app: Flask, session_factory, service: str) -> None:
    write = _writer(session_factory)

    @app.after_request
    def _record(response):
        if request.method not in WRITE_METHODS:
            return response
        principal = g.get("principal") or g.get("audit_actor")
        rule = request.url_rule.rule if request.url_rule else request.path
        target = ",".join(f"{k}={v}" for k, v in (request.view_args or {}).items()) or _created_id(response)
        try:
            write({
                "at": datetime.now(timezone.utc), "service": service,
                "actor": principal.sub if principal else None, "role": principal.role if principal else None,
                "site_id": principal.site_id if principal else None,
                "region": principal.region if principal else None,
                "action": f"{request.method} {rule}"[:200], "target": target[:200] if target else None,
                "request_id": context.request_id.get(), "status": response.status_code,
                "outcome": outcome_of(response.status_code)})
        except Exception:  # the audit must never turn a done request into an error; it is logged instead
            log.exception("audit record failed", extra={"action": f"{request.method} {rule}"})
        return response
