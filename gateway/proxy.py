"""Forwarding to upstreams as a bare WSGI callable: the hot path, kept free of Flask's per-request cost.

One pooled HTTP client (urllib3, the transport under `requests`, used directly: cheaper per request than
`requests.Session`, docs/tooling-notes.md §7 and docs/performance.md) with connect and read timeouts and
keep-alive connections to each upstream.

Retries follow Go's net/http transport: a request is sent a second time only where that cannot apply it twice:
- the connection could not be made (nothing was sent), whatever the method;
- the connection dropped before any response, and the request is idempotent by its method (RFC 9110 §9.2.2) or
  carries an `Idempotency-Key` (the service replays the first answer). The usual cause is a keep-alive race: the
  upstream closes an idle connection just as the gateway reuses it. Any other POST gets the 502: the gateway
  cannot know whether it was applied. The upstreams keep idle connections longer than any gap the gateway
  leaves (servicekit.gunicorn_conf.keepalive), which makes that race rare in the first place.
"""
from __future__ import annotations

import logging
import time
import uuid

import urllib3
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError, TimeoutError as U3Timeout

from hemolink.access import ROLES
from servicekit import metrics, tracing
from servicekit.auth import verify_token
from servicekit.errors import DomainError, Unauthorized

from .problems import problem_wsgi

log = logging.getLogger("gateway.proxy")

# Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length", "host"}
# Methods a second send cannot apply twice (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}
# Set by the gateway itself: its request id, and its own span as the upstream's parent.
OWN_HEADERS = {"x-request-id", "traceparent"}


class Proxy:
    def __init__(self, upstreams: dict[str, str], *, token_keys, connect_timeout_s: float,
                 read_timeout_s: float, max_body_bytes: int, limiter=None, revocations=None):
        self.upstreams = upstreams
        self.token_keys = token_keys
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter
        self.revocations = revocations
        self.http = urllib3.PoolManager(
            num_pools=8, maxsize=64, block=False, retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s),
        )

    def __call__(self, environ, start_response, upstream: str, route: str = ""):
        """`route` is the routing prefix the path matched: the metrics' route label (never the raw path)."""
        started = time.perf_counter()
        status = []

        def recording_start_response(status_line, headers, exc_info=None):
            status.append(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        # A span per proxied request, child of the caller's traceparent or a new trace; the upstream gets ours.
        with tracing.span(f"{environ['REQUEST_METHOD']} {route or upstream}",
                          tracing.from_headers({"traceparent": environ.get("HTTP_TRACEPARENT", ""),
                                                "tracestate": environ.get("HTTP_TRACESTATE", "")})):
            body = self._forward(environ, recording_start_response, upstream)
        metrics.REQUEST_SECONDS.labels("gateway", route or upstream, environ["REQUEST_METHOD"],
                                       status[0] if status else "500").observe(time.perf_counter() - started)
        return body

    def _forward(self, environ, start_response, upstream: str):
        request_id = environ.get("HTTP_X_REQUEST_ID") or str(uuid.uuid4())
        started = time.perf_counter()
        headers = self._forward_headers(environ, request_id)
        try:
            principal_key = self._check_token(environ)
            if self.limiter is not None:
                self.limiter.check(principal_key, environ.get("REMOTE_ADDR", ""))
            body = self._read_body(environ)
        except DomainError as error:
            return problem_wsgi(start_response, error.status, code=error.code, title=error.title,
                                detail=error.detail, request_id=request_id, headers=error.headers, **error.extra)
        url = self.upstreams[upstream] + environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            url += "?" + environ["QUERY_STRING"]
        method = environ["REQUEST_METHOD"]
        replayable = method in IDEMPOTENT_METHODS or "Idempotency-Key" in headers
        for attempt in (1, 2):
            try:
                resp = self.http.urlopen(method, url, body=body, headers=headers,
                                         redirect=False, preload_content=True, decode_content=False)
                break
            except NewConnectionError:
                if attempt == 1:
                    continue
                return self._upstream_failed(start_response, 502, "upstream_unavailable", upstream, request_id)
            except (ReadTimeoutError, U3Timeout):
                return self._upstream_failed(start_response, 504, "upstream_timeout", upstream, request_id)
            except (ProtocolError, OSError, urllib3.exceptions.HTTPError):
                if attempt == 1 and replayable:
                    log.info("upstream dropped the connection, sending again", extra={"upstream": upstream})
                    continue
                return self._upstream_failed(start_response, 502, "upstream_unavailable", upstream, request_id)
        data = resp.data
        out = [(k, v) for k, v in resp.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "x-request-id"]
        out.append(("Content-Length", str(len(data))))
        out.append(("X-Request-ID", request_id))
        start_response(f"{resp.status} {resp.reason or ''}".strip(), out)
        log.debug("proxied", extra={"upstream": upstream, "status": resp.status,
                                    "ms": round((time.perf_counter() - started) * 1000, 2)})
        return [data]

    def _check_token(self, environ) -> str | None:
        """Verify a presented token here too (fail fast); a missing one is the upstream's call."""
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header[:7].lower() != "bearer ":
            return None
        principal = verify_token(self.token_keys, header[7:].strip(), ROLES)
        if principal.client_id and self.revocations is not None and self.revocations.is_revoked(principal.client_id):
            raise Unauthorized("客户端已被吊销", code="client_revoked")
        return f"{principal.role}:{principal.sub}"

    def _read_body(self, environ) -> bytes | None:
        length = environ.get("CONTENT_LENGTH")
        if length:
            try:
                size = int(length)
            except ValueError:
                raise DomainError("Content-Length 无效", status=400, code="bad_request")
            if size > self.max_body_bytes:
                raise DomainError(f"请求体超过 {self.max_body_bytes} 字节上限", status=413,
                                  code="payload_too_large", title="请求内容过大")
            return environ["wsgi.input"].read(size) if size else b""
        if environ["REQUEST_METHOD"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            return None
        body = environ["wsgi.input"].read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            raise DomainError(f"请求体超过 {self.max_body_bytes} 字节上限", status=413,
                              code="payload_too_large", title="请求内容过大")
        return body

    @staticmethod
    def _forward_headers(environ, request_id: str) -> dict[str, str]:
        headers = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").title()
                if name.lower() not in HOP_BY_HOP and name.lower() not in OWN_HEADERS:
                    headers[name] = value
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["X-Request-ID"] = request_id
        headers["X-Forwarded-For"] = forwarded_for(environ)
        traceparent = tracing.current_traceparent()
        if traceparent:
            headers["Traceparent"] = traceparent
        return headers

    @staticmethod
    def _upstream_failed(start_response, status, code, upstream, request_id):
        log.warning("upstream failed", extra={"upstream": upstream, "code": code})
        detail = f"上游服务 {upstream} " + ("无法连接" if status == 502 else "响应超时")
        return problem_wsgi(start_response, status, code=code, detail=detail, request_id=request_id)


def forwarded_for(environ) -> str:
    """X-Forwarded-For for the upstream: the chain as it reached us, with the address we got it from appended
    (what every proxy in the chain does, RFC 7239 §5.2 in its older header). Behind trusted proxies ProxyFix
    has put the client in REMOTE_ADDR and kept the received header and peer in `werkzeug.proxy_fix.orig`."""
    orig = environ.get("werkzeug.proxy_fix.orig", {})
    received = orig.get("HTTP_X_FORWARDED_FOR", environ.get("HTTP_X_FORWARDED_FOR", ""))
    peer = orig.get("REMOTE_ADDR", environ.get("REMOTE_ADDR", ""))
    return f"{received}, {peer}" if received else peer
