"""Authorisation as data: (method, OpenAPI path) → roles allowed and an ownership rule.

Every service declares its matrix in `<service>/authz.py`; `install_authz` enforces it before any
view runs, deny by default (a route missing from the matrix answers 403, so a new endpoint cannot
ship unprotected). Ownership that the path shows (a donor reading another donor's record) is checked
here too; ownership hidden in bodies or stored rows (another hospital's unit) is checked by the use
case, and the matrix names the rule so the walk test knows to try it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Flask, request

from .auth import current_principal
from .errors import Forbidden, NotFound

PUBLIC = "public"          # no token needed
STAFF = ("admin", "station", "hospital", "reviewer")

# Ownership rules (names used in every service's matrix and by the authorisation walk test).
OWN_DONOR = "own_donor"        # a donor only their own donor record (path param donor_id)
OWN_SITE = "own_site"          # a station/hospital only its own site's data
OWN_REGION = "own_region"      # a reviewer only their region
OWN_RESOURCE = "own_resource"  # the stored row's owner (claim owner, unit's hospital), checked in the use case

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(flask_rule: str) -> str:
    """`/api/v1/donors/<string:donor_id>` → `/api/v1/donors/{donor_id}`."""
    return _PARAM.sub(r"{\1}", flask_rule)


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...]
    ownership: tuple[str, ...] = field(default_factory=tuple)

    @property
    def public(self) -> bool:
        return PUBLIC in self.roles


def allow(*roles: str, owner: str | tuple[str, ...] = ()) -> Rule:
    return Rule(tuple(roles), (owner,) if isinstance(owner, str) else tuple(owner))


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
        if OWN_DONOR in rule.ownership and principal.role == "donor":
            donor_id = view_args.get("donor_id")
            if donor_id is not None and donor_id != principal.donor_id:
                raise NotFound("献血者不存在", code="donor_not_found")   # don't reveal that it exists


INFRA_PATHS = ("/healthz", "/readyz", "/openapi.json")


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
