"""/healthz (the process is alive) and /readyz (its database and the broker are reachable).

`/readyz?check=database` asks about the database alone: what a readiness probe wants. A broker blip must not
take every API out of service, which the outbox exists to avoid (writes commit, the relay sends them later)."""
from __future__ import annotations

import socket

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import text


def broker_reachable(bootstrap_servers: str, timeout_s: float = 0.5) -> bool:
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
                return True
        except OSError:
            continue
    return False


def database_reachable(engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def make_health_blueprint(engine, bootstrap_servers: str) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=current_app.config["SERVICE_NAME"])

    @bp.get("/readyz")
    def readyz():
        probes = {"database": lambda: database_reachable(engine),
                  "broker": lambda: broker_reachable(bootstrap_servers)}
        wanted = [name for name in request.args.getlist("check") if name in probes] or list(probes)
        checks = {name: "ok" if probes[name]() else "down" for name in wanted}
        ok = all(v == "ok" for v in checks.values())
        return jsonify(status="ok" if ok else "degraded", checks=checks), (200 if ok else 503)

    return bp
