"""Audit trail: every state-changing request, who did it and how it ended, one row each.

A request that changes state writes its row in the transaction of the change (install_audit): both commit or
neither does. Refused requests (401/403/422) change nothing else, yet they are exactly what an auditor wants to
see: their row is written after the response is decided, as its own statement. On PostgreSQL that is one
autocommitted INSERT (one round trip instead of BEGIN, INSERT, COMMIT); SQLite takes its write lock with
BEGIN IMMEDIATE (db.make_engine), so there it stays a short transaction.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from types import SimpleNamespace

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, event, update

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
    """Insert one audit row durably: autocommit where the database allows it, else a short transaction; one retry
    (a refused request's row is all that is left of it)."""
    engine = session_factory.kw["bind"]
    if is_sqlite(engine):
        def write_once(row: dict) -> None:    # a Core connection: the sessions' audit hook is not involved
            with engine.begin() as conn:
                conn.execute(_INSERT, row)
    else:
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

        def write_once(row: dict) -> None:
            with autocommit.connect() as conn:
                conn.execute(_INSERT, row)

    def write(row: dict) -> None:
        try:
            write_once(row)
        except Exception:
            log.warning("audit record failed once; retrying", exc_info=True)
            write_once(row)
    return write


AUDIT_HOOK = "servicekit.audit"      # the key of the in-transaction writer in each session's `info`

# What the response may tell that the commit did not know yet: how it ended, what it created, who logged in.
AMENDABLE = ("status", "outcome", "target", "actor", "role", "site_id", "region")


def _success_status() -> int:
    """The status the view answers with when it succeeds (flask-smorest's @blp.response), 200 otherwise."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    codes = getattr(view, "_apidoc", {}).get("success_status_codes") or [200]
    return int(codes[0])


def _row(service: str, status: int, target: str | None) -> dict:
    principal = g.get("principal") or g.get("audit_actor")
    rule = request.url_rule.rule if request.url_rule else request.path
    return {"at": datetime.now(timezone.utc), "service": service,
            "actor": principal.sub if principal else None, "role": principal.role if principal else None,
            "site_id": principal.site_id if principal else None,
            "region": principal.region if principal else None,
            "action": f"{request.method} {rule}"[:200], "target": target[:200] if target else None,
            "request_id": context.request_id.get(), "status": status, "outcome": outcome_of(status)}


def _path_target() -> str | None:
    return ",".join(f"{k}={v}" for k, v in (request.view_args or {}).items()) or None


def install_audit(app: Flask, session_factory, service: str) -> None:
    """A write request's audit row goes into the first transaction the request commits through `session_factory`
    (a `before_commit` hook: the units of work and the gateway's own sessions alike), so a change is never without
    its row, whatever happens after the commit. A request that commits nothing (refused, or failed before its
    commit) gets its row after the response, in its own statement. What only the response tells (a status other
    than the view's success status, a creation's id, a login's account) then updates the row."""
    write = _writer(session_factory)
    engine = session_factory.kw["bind"]

    def _in_transaction(session) -> None:
        if not has_request_context() or request.method not in WRITE_METHODS or g.get("audit_row") is not None \
                or g.get("audit_pending") is not None:
            return
        row = _row(service, _success_status(), _path_target())
        result = session.execute(_INSERT, row)
        g.audit_pending = (result.inserted_primary_key[0], row)

    def _committed(_session) -> None:
        if has_request_context() and g.get("audit_pending") is not None:
            g.audit_row, g.audit_pending = g.audit_pending, None

    def _rolled_back(_session) -> None:
        if has_request_context():
            g.audit_pending = None

    event.listen(session_factory, "before_commit", _in_transaction)
    # A unit of work writes the row before its last writes (uow.last_before_commit): the money chain's head lock
    # is then held for the append and the COMMIT only, not for the audit row too.
    session_factory.configure(info={**session_factory.kw.get("info", {}), AUDIT_HOOK: _in_transaction})
    event.listen(session_factory, "after_commit", _committed)
    event.listen(session_factory, "after_rollback", _rolled_back)

    @app.after_request
    def _record(response):
        if request.method not in WRITE_METHODS:
            return response
        row = _row(service, response.status_code, _path_target() or _created_id(response))
        written = g.get("audit_row")
        try:
            if written is None:
                write(row)
            else:
                changed = {k: row[k] for k in AMENDABLE if row[k] != written[1][k]}
                if changed:
                    with engine.begin() as conn:
                        conn.execute(update(audit_log).where(audit_log.c.id == written[0]).values(**changed))
        except Exception:  # the audit must never turn a done request into an error; it is logged instead
            log.exception("audit record failed", extra={"action": f"{request.method} {request.path}"})
        return response
