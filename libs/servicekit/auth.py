"""JWT issue/verify and the role check every service repeats (zero trust inside).

Tokens are EdDSA (Ed25519) with a `kid`: the gateway alone holds the private keys and signs; every process
verifies with public keys (servicekit.jwks), so reading a service's configuration gives no way to mint a token.

Which roles exist and which claims a token carries are the project's (hemolink.access): the functions here
take the roles as an argument, and a Principal keeps whatever claims the issuer added.
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from functools import wraps
from typing import Collection, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app, g, request

from .errors import Forbidden, Unauthorized

ISSUER = "hemolink"
AUDIENCE = "hemolink-api"
ALGORITHM = "EdDSA"
_REGISTERED = frozenset({"sub", "role", "iat", "exp", "nbf", "iss", "aud", "jti"})


@dataclass(frozen=True)
class Principal:
    """The verified caller: `sub`, `role`, and the issuer's other claims as attributes (`principal.site_id`);
    a claim the token does not carry reads as None, as an absent optional claim always has."""

    sub: str
    role: str
    claims: tuple[tuple[str, object], ...] = ()

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return dict(self.claims).get(name)

    @classmethod
    def from_claims(cls, claims: dict) -> "Principal":
        return cls(sub=claims["sub"], role=claims["role"],
                   claims=tuple(sorted((k, v) for k, v in claims.items() if k not in _REGISTERED)))


class Signer(Protocol):
    """What signs tokens: only the issuer has one (the gateway's keyring, gateway/keys.py)."""

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]: ...


class PublicKeys(Protocol):
    """What verifies them: a public key by key id (servicekit.jwks), None for a kid it does not know."""

    def public_key(self, kid: str) -> Ed25519PublicKey | None: ...


def issue_token(signer: Signer, *, sub: str, role: str, roles: Collection[str], ttl_s: int = 3600,
                **claims) -> str:
    if role not in roles:
        raise ValueError(f"unknown role {role}")
    kid, key = signer.signing_key()
    now = int(time.time())
    payload = {"sub": sub, "role": role, "iat": now, "exp": now + ttl_s, "iss": ISSUER, "aud": AUDIENCE,
               "jti": uuid.uuid4().hex}
    payload.update({k: v for k, v in claims.items() if v is not None})
    return jwt.encode(payload, key, algorithm=ALGORITHM, headers={"kid": kid})


# Tokens already verified, by (key source, exact token text) → (principal, exp). A caller presents the same token
# on every request until it expires, and checking its signature and parsing its JSON again each time was a large
# share of the gateway's CPU per proxied request (docs/performance.md, "Why the code is this way"). Only tokens
# that passed verification are kept, each until its own expiry (the same `now < exp` rule as PyJWT's). Bounded:
# the oldest entries go first.
_VERIFIED_MAX = 4096
_verified: dict[tuple[PublicKeys, str], tuple[Principal, float]] = {}
_verified_lock = threading.Lock()


def verify_token(keys: PublicKeys, token: str, roles: Collection[str]) -> Principal:
    key = (keys, token)     # the key source itself (by identity), never its id(): a freed one's id is reused
    hit = _verified.get(key)
    if hit is not None:
        if time.time() < hit[1]:
            return _known_role(hit[0], roles)
        with _verified_lock:
            _verified.pop(key, None)
    principal, exp = _decode(keys, token)
    _known_role(principal, roles)
    with _verified_lock:
        while len(_verified) >= _VERIFIED_MAX:
            _verified.pop(next(iter(_verified)))
        _verified[key] = (principal, exp)
    return principal


def _decode(keys: PublicKeys, token: str) -> tuple[Principal, float]:
    """Only EdDSA, only a kid the issuer publishes: `alg` none, HS256 keyed with a public key, or a key of the
    caller's own choosing never reach a verification that could pass."""
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        public = keys.public_key(kid) if header.get("alg") == ALGORITHM and isinstance(kid, str) else None
        if public is None:
            raise jwt.InvalidTokenError("unknown signing key or algorithm")
        claims = jwt.decode(token, public, algorithms=[ALGORITHM], issuer=ISSUER, audience=AUDIENCE,
                            options={"require": ["exp", "sub", "role", "aud"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized("令牌无效或已过期", code="invalid_token") from exc
    return Principal.from_claims(claims), float(claims["exp"])


def _known_role(principal: Principal, roles: Collection[str]) -> Principal:
    if principal.role not in roles:
        raise Unauthorized("令牌角色无效", code="invalid_token")
    return principal


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def current_principal() -> Principal:
    """The verified caller; raises 401 when there is no valid token."""
    principal = g.get("principal")
    if principal is None:
        token = bearer_token()
        if not token:
            raise Unauthorized("缺少访问令牌", code="missing_token")
        principal = verify_token(current_app.config["JWT_KEYS"], token, current_app.config["JWT_ROLES"])
        g.principal = principal
    return principal


def require_role(*roles: str):
    """Decorator: a valid token whose role is one of `roles` (403 otherwise)."""
    allowed = set(roles)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal.role not in allowed:
                raise Forbidden(f"角色 {principal.role} 无权执行此操作", code="forbidden_role")
            return view(*args, **kwargs)

        return wrapper

    return decorate

