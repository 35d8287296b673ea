"""Authorisation as data: (method, OpenAPI path) → roles allowed and an ownership rule.

Every service declares its matrix in `<service>/authz.py`; `install_authz` enforces it before any
view runs, deny by default (a route missing from the matrix answers 403, so a new endpoint cannot
ship unprotected). Ownership that the path shows (a caller naming someone else's id in the path) is a
`PathOwner` the service declares and is checked here; ownership hidden in bodies or stored rows is checked
by the use case, and the matrix names the rule (a string) so the walk test knows to try it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from flask import Flask, request

from .auth import current_principal
from .errors import Forbidden

PUBLIC = "public"          # no token needed

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(flask_rule: str) -> str:
    """`/api/v1/items/<string:item_id>` → `/api/v1/items/{item_id}`."""
    return _PARAM.sub(r"{\1}", flask_rule)


@dataclass(frozen=True)
class PathOwner:
    """Ownership the path shows: a caller with `role` may only name their own `param` (the token's claim of
    the same name). Anyone else's answers `refusal()`, the service's own 404, so existence does not leak."""

    name: str
    role: str
    param: str
    refusal: Callable[[], Exception]

    def check(self, principal, view_args: dict) -> None:
        if principal.role != self.role:
            return
        named = view_args.get(self.param)
        if named is not None and named != getattr(principal, self.param):
            raise self.refusal()


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...]
    ownership: tuple = field(default_factory=tuple)   # rule names (str) and PathOwner checks

    @property
    def public(self) -> bool:
        return PUBLIC in self.roles


def allow(*roles: str, owner=()) -> Rule:
    return Rule(tuple(roles), tuple(owner) if isinstance(owner, tuple) else (owner,))


class Matrix:
    def __init__(self, rules: dict[tuple[str, str], Rule]):
        self.rules = {(m.upper(), p): r for (m, p), r in rules.items()}

    def rule_for(self, method: str, path: str) -> Rule | None:
        if method == "HEAD":
            method = "GET"
        return self.rules.get((method.upper(), path))

    def check(self, method: str, path: str, view_args: dict) -> None:
        rule = self.rule_for(method, path)
        if rule is None:
            raise Forbidden("该接口不在授权矩阵中", code="not_in_authorization_matrix")
        if rule.public:
            return
        principal = current_principal()                       # 401 without a valid token
        if principal.role not in rule.roles:
            raise Forbidden(f"角色 {principal.role} 无权执行此操作", code="forbidden_role")
        for owner in rule.ownership:
            if isinstance(owner, PathOwner):
                owner.check(principal, view_args)


INFRA_PATHS = ("/healthz", "/readyz", "/openapi.json", "/metrics")


def install_authz(app: Flask, matrix: Matrix) -> None:
    @app.before_request
    def _authorise():
        if request.url_rule is None or request.method == "OPTIONS":
            return None                                          # 404 / 405 / CORS preflight
        path = openapi_path(request.url_rule.rule)
        if path in INFRA_PATHS or path.startswith(("/api/docs",)):
            return None
        matrix.check(request.method, path, request.view_args or {})
        return None
