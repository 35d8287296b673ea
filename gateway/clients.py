"""Hospital information systems (HIS) as machine clients: client credentials → hospital tokens.

The secret is shown once at creation and stored as a SHA-256 hash (it is 256 random bits, so a slow
password hash buys nothing). Revoking a client stops new tokens at once and, through the gateway's
revocation check, makes its outstanding tokens useless within seconds.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import datetime, timezone

from sqlalchemy import select, update

from hemolink.access import ROLES
from servicekit.auth import issue_token
from servicekit.errors import NotFound, Unauthorized

from .orm import his_clients
from .site_directory import site_region


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _public(row) -> dict:
    return {"client_id": row.client_id, "name": row.name, "site_id": row.site_id, "region": row.region,
            "created_at": row.created_at, "revoked_at": row.revoked_at}


def create_client(session_factory, site_of, *, name: str, site_id: str, region: str | None = None) -> dict:
    """A HIS acts for one hospital and carries that hospital's region (site_directory.site_region)."""
    region = site_region("hospital", site_id, region, site_of(site_id))
    client_id = "his_" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    with session_factory.begin() as session:
        session.execute(his_clients.insert().values(client_id=client_id, secret_hash=_hash(secret), name=name,
                                                    site_id=site_id, region=region,
                                                    created_at=datetime.now(timezone.utc)))
    return {"client_id": client_id, "client_secret": secret, "name": name, "site_id": site_id, "region": region}


def list_clients(session_factory) -> list[dict]:
    with session_factory() as session:
        return [_public(r) for r in session.execute(select(his_clients).order_by(his_clients.c.created_at))]


def revoke_client(session_factory, client_id: str) -> dict:
    with session_factory.begin() as session:
        result = session.execute(update(his_clients).where(his_clients.c.client_id == client_id,
                                                           his_clients.c.revoked_at.is_(None))
                                 .values(revoked_at=datetime.now(timezone.utc)))
        row = session.execute(select(his_clients).where(his_clients.c.client_id == client_id)).first()
    if row is None:
        raise NotFound("客户端不存在", code="client_not_found")
    del result
    return _public(row)


def issue_client_token(session_factory, signer, ttl_s: int, *, client_id: str, client_secret: str) -> dict:
    with session_factory() as session:
        row = session.execute(select(his_clients).where(his_clients.c.client_id == client_id)).first()
    expected = row.secret_hash if row else _hash("no-such-client")
    if not hmac.compare_digest(expected, _hash(client_secret)) or row is None or row.revoked_at is not None:
        raise Unauthorized("客户端凭据无效", code="invalid_client", title="客户端认证失败")
    token = issue_token(signer, roles=ROLES, sub=row.client_id, role="hospital", ttl_s=ttl_s, site_id=row.site_id,
                        region=row.region, client_id=row.client_id)
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl_s, "role": "hospital",
            "site_id": row.site_id, "region": row.region}


class RevocationList:
    """Revoked client ids, re-read at most every `refresh_s` seconds (cheap enough for the hot path)."""

    def __init__(self, session_factory, refresh_s: float = 2.0):
        self.session_factory = session_factory
        self.refresh_s = refresh_s
        self._revoked: frozenset[str] = frozenset()
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def is_revoked(self, client_id: str) -> bool:
        if time.monotonic() - self._loaded_at > self.refresh_s:
            with self._lock:
                if time.monotonic() - self._loaded_at > self.refresh_s:
                    with self.session_factory() as session:
                        self._revoked = frozenset(session.execute(
                            select(his_clients.c.client_id).where(his_clients.c.revoked_at.is_not(None))).scalars())
                    self._loaded_at = time.monotonic()
        return client_id in self._revoked
