"""The one app factory every service and the gateway build on: problem+json, request ids, logs, health,
authorisation, audit, and the dependencies views reach through `current_app.extensions[<service name>]`."""
from __future__ import annotations

import json
import logging
import time
from decimal import Decimal
from types import SimpleNamespace
from typing import Callable, Iterable

from flask import Flask, Response, g, request
from flask_smorest import Api
from marshmallow import Schema, fields

from . import context, metrics, tracing
from .audit import install_audit
from .authz import Matrix, install_authz
from .db import make_engine, make_session_factory, read_only_session_factory
from .errors import DomainError, http_exception_to_problem, register_error_handlers
from .health import make_health_blueprint
from .jwks import key_source
from .logs import configure_logging
from .pii import PiiVault

log = logging.getLogger("access")

MAX_BODY_BYTES = 11 * 1024 * 1024  # 10 MB documents plus multipart overhead
# No request body of ours nests deeper than a handful of levels; a deeper one is refused before any schema sees it
# (a thousand levels made the JSON parser itself overflow the stack: a 500).
MAX_JSON_DEPTH = 32


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error response is shaped (documented in each OpenAPI spec)."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


def _json_schema_numbers(self, field, ret, **kwargs) -> dict:
    """Decimal bounds (`Range(min=Decimal("0.01"))`) must be JSON numbers in the spec.

    apispec copies the Decimal objects and Flask's JSON encoder writes Decimals as strings, which makes
    `"minimum": "0.01"`: invalid JSON Schema that spec-driven clients and fuzzers refuse to read.
    """
    return {k: float(ret[k]) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
            if isinstance(ret.get(k), Decimal)}


class ProblemApi(Api):
    """flask-smorest's Api, answering every HTTP error as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app=None, **kwargs):
        super().__init__(app, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_json_schema_numbers)

    def handle_http_exception(self, error):
        return http_exception_to_problem(error)


def create_service_app(name: str, config, engine, *, title: str, roles, token_keys=None) -> tuple[Flask, ProblemApi]:
    app = Flask(name)
    app.config.update(
        SERVICE_NAME=config.service_name,
        JWT_KEYS=token_keys,
        JWT_ROLES=tuple(roles),
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    api = ProblemApi(app)
    register_error_handlers(app)
    app.register_blueprint(make_health_blueprint(engine, config.kafka_bootstrap_servers))
    install_request_context(app)
    install_json_depth_limit(app)
    return app, api


def json_depth(value) -> int:
    """How deeply `value` nests lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def install_json_depth_limit(app: Flask) -> None:
    """400 problem+json for a JSON body nested deeper than MAX_JSON_DEPTH. The body is read once (cached for the
    schema's parser); a body that is not JSON at all is left to that parser's own 400."""

    @app.before_request
    def _limit_depth():
        if not request.is_json or not request.content_length:
            return None
        try:
            depth = json_depth(json.loads(request.get_data(cache=True)))
        except RecursionError:
            depth = MAX_JSON_DEPTH + 1
        except ValueError:
            return None
        if depth > MAX_JSON_DEPTH:
            raise DomainError(f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层", status=400, code="bad_request",
                              title="请求格式错误")
        return None


def install_metrics_endpoint(app: Flask, extra=()) -> None:
    """`GET /metrics`: Prometheus text format (servicekit.metrics), plus the `extra` collectors read at scrape.
    Left unauthenticated like /healthz: the proxy or the network policy keeps it off the public side."""

    def _metrics():
        body, content_type = metrics.exposition(extra)
        return Response(body, content_type=content_type)

    app.add_url_rule("/metrics", "metrics", _metrics, methods=["GET"])


def create_app(import_name: str, config, *, title: str, roles: Iterable[str], blueprints: Iterable = (),
               matrix: Matrix | None = None, unit_of_work=None, log_name: str | None = None,
               extras: Callable[[SimpleNamespace], dict] | None = None, token_keys=None) -> Flask:
    """Build an app; nothing connects at import time and nothing here is specific to one service.

    `app.extensions[config.service_name]` holds what views need: config, engine, session_factory, the smorest
    `api`, a PII `vault`, `uow()` when a `unit_of_work` class is given (read-only on GET), and whatever
    `extras(deps)` returns (built once the engine and sessions exist). A `matrix` is enforced before every view.
    Tokens are verified with `token_keys` (the gateway passes its own keyring), by default the issuer's public
    keys as configured (servicekit.jwks.key_source).
    """
    config.check_secrets()
    configure_logging(log_name or f"{config.service_name}-api", config.log_level)
    engine = make_engine(config.database_url)
    sessions = make_session_factory(engine)
    token_keys = token_keys if token_keys is not None else key_source(config)
    app, api = create_service_app(import_name, config, engine, title=title, roles=roles, token_keys=token_keys)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    if matrix is not None:
        install_authz(app, matrix)
    install_audit(app, sessions, config.service_name)
    # Services (those with a unit of work) have an outbox; its backlog is part of their metrics.
    install_metrics_endpoint(app, [metrics.OutboxCollector(sessions, config.service_name)]
                             if unit_of_work is not None else ())
    deps = SimpleNamespace(config=config, engine=engine, session_factory=sessions, api=api,
                           vault=PiiVault.from_config(config), token_keys=token_keys)
    if unit_of_work is not None:
        deps.uow = request_uow_factory(unit_of_work, sessions, read_only_session_factory(engine))
    if extras is not None:
        vars(deps).update(extras(deps))
    app.extensions[config.service_name] = deps
    return app


def request_uow_factory(make_uow, write_sessions, read_sessions):
    """`deps.uow()` for views: GET/HEAD requests get a read-only unit of work on read sessions.

    HTTP says GET changes nothing, so reads need no write lock; a read-only unit of work refuses
    to commit, which turns an accidental write in a GET into a loud 500 instead of silent state.
    """

    def factory():
        if request and request.method in ("GET", "HEAD"):
            return make_uow(read_sessions, read_only=True)
        return make_uow(write_sessions)

    return factory


def install_request_context(app: Flask) -> None:
    """X-Request-ID in, out, in every log line, and as the correlation id of events it causes; the caller's
    traceparent as the parent of the request's span (servicekit.tracing); latency by route into the metrics."""
    service = app.config["SERVICE_NAME"]

    @app.before_request
    def _bind():
        rid = request.headers.get("X-Request-ID") or context.new_id()
        g.request_id = rid
        g.started = time.perf_counter()
        g.tokens = (context.request_id.set(rid),
                    context.correlation_id.set(request.headers.get("X-Correlation-ID") or rid))
        g.span = tracing.start(f"{request.method} {_route()}", tracing.from_headers(request.headers))

    @app.after_request
    def _echo(response):
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
        metrics.REQUEST_SECONDS.labels(service, _route(), request.method, str(response.status_code)).observe(
            time.perf_counter() - g.get("started", time.perf_counter()))
        if request.path not in ("/healthz", "/readyz"):
            log.info("request", extra={"method": request.method, "path": request.path,
                                       "status": response.status_code,
                                       "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2)})
        return response

    @app.teardown_request
    def _unbind(_exc):
        span = g.pop("span", None)
        if span:
            tracing.end(span)
        tokens = g.pop("tokens", None)
        if tokens:
            context.request_id.reset(tokens[0])
            context.correlation_id.reset(tokens[1])


def _route() -> str:
    """The URL rule that matched (`/api/v1/things/<thing_id>`), so a metric has one series per endpoint."""
    return request.url_rule.rule if request.url_rule is not None else "unmatched"
