"""The environment `make up` runs with; the e2e tests and `make bench` reuse it with other ports."""
from __future__ import annotations

import os
from pathlib import Path

from servicekit.topics import service_names

ROOT = Path(__file__).resolve().parent.parent
SERVICES = tuple(service_names())

DEFAULTS = {
    "HEMOLINK_VAR": str(ROOT / "var"),
    "BROKER_PORT": "9092",
    "GATEWAY_PORT": "8080",
    "DONOR_PORT": "8101",
    "INVENTORY_PORT": "8102",
    "WAIVER_PORT": "8103",
    "HEMOLINK_ADMIN_PASSWORD": "admin",
    "HEMOLINK_DEV_OTP": "1",
    "ENVIRONMENT": "development",
    "LOG_LEVEL": "INFO",
}


def local_env(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Defaults < the caller's environment < explicit overrides; derived URLs follow the ports."""
    env = dict(os.environ)
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    env.update(overrides or {})
    # The gateway's limits are one limit only where its processes share counts: in memory (the default here)
    # that holds for one process, so without RATE_LIMIT_STORAGE_URI=redis://… one worker runs (with its threads).
    if not env.get("RATE_LIMIT_STORAGE_URI", "memory://").startswith(("redis://", "rediss://")):
        env["GATEWAY_WORKERS"] = "1"
    env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{env['BROKER_PORT']}"
    # The gateway signs with a keyring under var/ (created on its first start); the services fetch its public keys.
    env.setdefault("JWT_SIGNING_KEYS_FILE", f"{env['HEMOLINK_VAR']}/jwt-signing-keys.json")
    env.setdefault("JWT_JWKS_URL", f"http://127.0.0.1:{env['GATEWAY_PORT']}/api/v1/.well-known/jwks.json")
    env.setdefault("DOCUMENTS_DIR", f"{env['HEMOLINK_VAR']}/documents")   # waiver claim documents
    env.setdefault("BANK_BATCH_DIR", f"{env['HEMOLINK_VAR']}/bank")       # development bank batch files
    for svc in SERVICES:
        env[f"{svc.upper()}_URL"] = f"http://127.0.0.1:{env[svc.upper() + '_PORT']}"
    venv_bin = str(ROOT / ".venv" / "bin")
    if venv_bin not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def database_url(env: dict[str, str], service: str) -> str:
    """SQLite under var/ unless <SERVICE>_DATABASE_URL points elsewhere (PostgreSQL in `make bench`)."""
    return env.get(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{env['HEMOLINK_VAR']}/{service}.db"
