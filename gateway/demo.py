"""Demo staff accounts for `make up` (password `password1`), one per role, at reference-network sites."""
from __future__ import annotations

from servicekit.db import make_engine, make_session_factory
from servicekit.errors import Conflict

from . import accounts

USERS = [
    ("station.hp", "station", "SH-HP-S", "SH"),
    ("station.pd", "station", "SH-PD-S", "SH"),
    ("hospital.hp", "hospital", "SH-HP-H", "SH"),
    ("reviewer.sh", "reviewer", None, "SH"),
]


def load(config) -> dict:
    engine = make_engine(config.database_url)
    sessions = make_session_factory(engine)
    created = 0
    # The demo loads before the services run, so the inventory service cannot be asked: these sites are the
    # reference network's, with their kind and region as the inventory demo registers them
    # (`python -m gateway.accounts check` compares them with the running inventory service).
    known = {site_id: {"id": site_id, "kind": role, "region": region} for _, role, site_id, region in USERS if site_id}
    for username, role, site_id, region in USERS:
        try:
            accounts.create_user(sessions, known.get, username=username, password="password1", role=role,
                                 site_id=site_id, region=region)
            created += 1
        except Conflict:
            pass
    engine.dispose()
    return {"users_created": created}
