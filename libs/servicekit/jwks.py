"""Public keys that verify tokens: Ed25519 JWKs (RFC 8037) by key id, from a static set or from the issuer's
JWKS endpoint, cached.

Only the issuer (the gateway) holds private keys; everything here handles public ones, so no process that
uses this module can sign a token any other process accepts (docs/operations.md §Token keys).
"""
from __future__ import annotations

import base64
import json
import logging
import threading
import time
from typing import Mapping

import urllib3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import DomainError

log = logging.getLogger("servicekit.jwks")

ALGORITHM = "EdDSA"
TIMEOUT = urllib3.Timeout(connect=1.0, read=3.0)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(kid: str, key: Ed25519PrivateKey | Ed25519PublicKey) -> dict:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return {"kty": "OKP", "crv": "Ed25519", "alg": ALGORITHM, "use": "sig", "kid": kid,
            "x": b64url(public.public_bytes(Encoding.Raw, PublicFormat.Raw))}


def parse_public_jwks(data: Mapping | str) -> dict[str, Ed25519PublicKey]:
    """kid → public key for every Ed25519 signing key of a JWK Set; anything else in it is ignored (a key of
    another type or with private parts is never used to verify)."""
    doc = json.loads(data) if isinstance(data, (str, bytes)) else data
    keys = {}
    for jwk in doc.get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid") and "d" not in jwk \
                and jwk.get("use", "sig") == "sig":
            keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    return keys


class KeysUnavailable(DomainError):
    status, code, title = 503, "token_keys_unavailable", "无法获取令牌验证公钥"


class StaticKeys:
    """A fixed public key set (JWT_PUBLIC_KEYS, or JWT_PUBLIC_KEYS_FILE: keys distributed out of band)."""

    def __init__(self, jwks: Mapping | str):
        self._keys = parse_public_jwks(jwks)

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        return self._keys.get(kid)


class RemoteKeys:
    """The issuer's JWKS, fetched on first use and kept `cache_s`; an unknown kid (a key the issuer has just
    started publishing) fetches again, at most once per `min_refresh_s`, so made-up kids cannot turn every
    request into a fetch. When a refresh fails the keys already fetched keep serving (a gateway restart must not
    take the services' authentication down); with none fetched yet the request is a 503."""

    def __init__(self, url: str, *, cache_s: float = 300.0, min_refresh_s: float = 10.0,
                 http: urllib3.PoolManager | None = None):
        self.url = url
        self.cache_s = cache_s
        self.min_refresh_s = min_refresh_s
        self.http = http or urllib3.PoolManager(num_pools=1, maxsize=4, retries=False)
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at = float("-inf")
        self._tried_at = float("-inf")
        self._lock = threading.Lock()
        self.fetches = 0

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        now = time.monotonic()
        key = self._keys.get(kid)
        if key is not None and now - self._fetched_at < self.cache_s:
            return key
        tried_at = self._tried_at
        if now - tried_at >= (self.min_refresh_s if self._keys else min(self.min_refresh_s, 1.0)):
            self._refresh(tried_at)
        else:
            # A fetch another request has just started may still be under way (a fresh process's first requests
            # arrive together): wait for its keys rather than answer 503 or 401 in the meantime.
            with self._lock:
                pass
        if not self._keys:
            raise KeysUnavailable(f"令牌公钥服务 {self.url} 暂不可用")
        return self._keys.get(kid)

    def _refresh(self, tried_at: float) -> None:
        with self._lock:
            if self._tried_at != tried_at:
                return                      # another thread fetched while this one waited
            self._tried_at = time.monotonic()
            try:
                resp = self.http.request("GET", self.url, timeout=TIMEOUT, retries=False)
                if resp.status != 200:
                    raise ValueError(f"status {resp.status}")
                self._keys = parse_public_jwks(resp.data.decode())
                self._fetched_at = time.monotonic()
                self.fetches += 1
            except Exception as exc:        # network, status or body: keep what was fetched before
                log.warning("jwks fetch failed", extra={"url": self.url, "error": str(exc)[:200]})


def key_source(config) -> StaticKeys | RemoteKeys:
    """What a service verifies with: JWT_PUBLIC_KEYS when given, else the issuer's JWT_JWKS_URL."""
    if config.jwt_public_keys:
        return StaticKeys(config.jwt_public_keys)
    return RemoteKeys(config.jwt_jwks_url, cache_s=config.jwt_jwks_cache_s)
