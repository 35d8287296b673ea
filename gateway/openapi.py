"""The merged OpenAPI document (gateway + every service) and readable docs with local assets.

Each service serves its own spec at /openapi.json; the gateway fetches them (cached briefly), keeps
the public /api/v1 paths each service owns, prefixes component names with the service name so that
two `Donor` schemas cannot collide, and rewrites every $ref accordingly.
"""
from __future__ import annotations

import json
import threading
import time

import urllib3
from flask import Blueprint, Response, jsonify, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from . import routes

PUBLIC_PATHS = ("/api/v1/auth/", "/api/v1/health", "/api/v1/waiver/policies")

DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Hemolink 接口文档</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#ui", deepLinking: true});</script>
</body></html>"""


COMPONENT_KINDS = ("schemas", "responses", "parameters", "examples", "requestBodies", "headers")


def _prefix_ref(ref: str, prefix: str) -> str:
    for kind in COMPONENT_KINDS:
        head = f"#/components/{kind}/"
        if ref.startswith(head):
            return head + prefix + ref[len(head):]
    return ref


def _prefix_refs(node, prefix: str):
    if isinstance(node, dict):
        return {k: (_prefix_ref(v, prefix) if k == "$ref" and isinstance(v, str) else _prefix_refs(v, prefix))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_prefix_refs(v, prefix) for v in node]
    return node


def merge(own: dict, services: dict[str, dict | None]) -> dict:
    merged = {
        "openapi": "3.0.3",
        "info": {"title": "Hemolink API", "version": "v1",
                 "description": "献血者、血液库存与血费减免的公开接口（经网关访问）"},
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "security": [{"bearerAuth": []}],
    }
    sources = {"gateway": own, **services}
    unavailable = []
    for name, spec in sources.items():
        if spec is None:
            unavailable.append(name)
            continue
        prefix = name.capitalize()
        spec = _prefix_refs(spec, prefix)
        for kind in COMPONENT_KINDS:
            for name_, component in spec.get("components", {}).get(kind, {}).items():
                merged["components"].setdefault(kind, {})[prefix + name_] = component
        for path, item in spec.get("paths", {}).items():
            owner = routes.match(path)
            if not path.startswith("/api/v1/") or (owner or "gateway") != name:
                continue
            if path.startswith(PUBLIC_PATHS):
                item = {m: {**op, "security": []} if isinstance(op, dict) else op for m, op in item.items()}
            merged["paths"][path] = item
    if unavailable:
        merged["info"]["x-unavailable"] = unavailable
    return merged


class SpecCache:
    def __init__(self, upstreams: dict[str, str], http: urllib3.PoolManager, ttl_s: float = 30.0):
        self.upstreams, self.http, self.ttl_s = upstreams, http, ttl_s
        self._specs: dict[str, dict | None] = {}
        self._at = 0.0
        self._lock = threading.Lock()

    def services(self) -> dict[str, dict | None]:
        with self._lock:
            if time.monotonic() - self._at > self.ttl_s or any(v is None for v in self._specs.values()):
                self._specs = {name: self._fetch(url) for name, url in self.upstreams.items()}
                self._at = time.monotonic()
            return self._specs

    def _fetch(self, base: str) -> dict | None:
        try:
            resp = self.http.request("GET", base + "/openapi.json", timeout=urllib3.Timeout(connect=0.5, read=3.0),
                                     retries=False)
            return json.loads(resp.data) if resp.status == 200 else None
        except Exception:
            return None


def make_docs_blueprint(smorest_api, cache: SpecCache) -> Blueprint:
    bp = Blueprint("docs", __name__)

    @bp.get("/api/v1/openapi.json")
    def openapi():
        return jsonify(merge(smorest_api.spec.to_dict(), cache.services()))

    @bp.get("/api/docs")
    def docs():
        return Response(DOCS_PAGE, mimetype="text/html")

    @bp.get("/api/docs/assets/<path:filename>")
    def assets(filename):
        return send_from_directory(swagger_ui_path, filename, max_age=3600)

    return bp
