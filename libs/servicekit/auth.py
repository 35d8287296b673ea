"""JWT issue/verify and the role check every service repeats (zero trust inside)."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from functools import wraps
from typing import Iterable

import jwt
from flask import current_app, g, request

from .errors import Forbidden, Unauthorized

# `service` is internal: the gateway signs it for its own calls to services; never issued to people.
ROLES = ("admin", "station", "hospital", "reviewer", "donor", "service")
ISSUER = "hemolink"


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    site_id: str | None = None
    region: str | None = None
    donor_id: str | None = None
    client_id: str | None = None

    @classmethod
    def from_claims(cls, claims: dict) -> "Principal":
        return cls(sub=claims["sub"], role=claims["role"], site_id=claims.get("site_id"),
                   region=claims.get("region"), donor_id=claims.get("donor_id"),
                   client_id=claims.get("client_id"))


def issue_token(secret: str, *, sub: str, role: str, ttl_s: int = 3600, **claims) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role}")
    now = int(time.time())
    payload = {"sub": sub, "role": role, "iat": now, "exp": now + ttl_s, "iss": ISSUER,
               "jti": uuid.uuid4().hex}
    payload.update({k: v for k, v in claims.items() if v is not None})
    return jwt.encode(payload, secret, algorithm="HS256")


def verify_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER,
                            options={"require": ["exp", "sub", "role"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized("令牌无效或已过期", code="invalid_token") from exc
    if claims.get("role") not in ROLES:
        raise Unauthorized("令牌角色无效", code="invalid_token")
    return Principal.from_claims(claims)


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
        principal = verify_token(current_app.config["JWT_SECRET"], token)
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


def has_role(principal: Principal, roles: Iterable[str]) -> bool:
    return principal.role in set(roles)
