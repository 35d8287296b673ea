"""RFC 9457 problem+json for every error: domain errors, werkzeug, flask-smorest/webargs, crashes."""
from __future__ import annotations

import logging

from flask import Response, json
from werkzeug.exceptions import HTTPException

from .messages import translate

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

# Titles people read are Simplified Chinese first; `code` stays an English machine word.
HTTP_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式错误"),
    401: ("unauthorized", "未登录或令牌无效"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    406: ("not_acceptable", "无法提供所请求的格式"),
    409: ("conflict", "与当前状态冲突"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_failed", "请求参数校验失败"),
    428: ("precondition_required", "缺少必需的请求头"),
    429: ("rate_limited", "请求过于频繁"),
    500: ("internal_error", "服务器内部错误"),
    502: ("bad_gateway", "上游服务不可用"),
    503: ("service_unavailable", "服务暂不可用"),
    504: ("gateway_timeout", "上游服务超时"),
}


class DomainError(Exception):
    """Base of the errors a use case raises; mapped to HTTP in exactly one place (here)."""

    status = 400
    code = "bad_request"
    title = "请求无法处理"

    def __init__(self, detail: str = "", *, code: str | None = None, status: int | None = None,
                 title: str | None = None, headers: dict | None = None, **extra):
        super().__init__(detail or self.title)
        self.headers = headers or {}
        self.detail = detail or self.title
        if code:
            self.code = code
        if status:
            self.status = status
        if title:
            self.title = title
        self.extra = extra


class NotFound(DomainError):
    status, code, title = 404, "not_found", "资源不存在"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "与当前状态冲突"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "无权执行此操作"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "未登录或令牌无效"


class Unprocessable(DomainError):
    status, code, title = 422, "validation_failed", "请求参数校验失败"


def problem(status: int, *, code: str | None = None, title: str | None = None, detail: str | None = None,
            headers: dict | None = None, **extra) -> Response:
    default_code, default_title = HTTP_PROBLEMS.get(status, ("error", "请求失败"))
    body = {
        "type": f"https://hemolink.example/problems/{code or default_code}",
        "title": title or default_title,
        "status": status,
        "detail": detail or title or default_title,
        "code": code or default_code,
    }
    # A domain error's own fields are kept even when null (a refusal that never clears still says
    # next_eligible_at: null); only an absent `errors` map is left out.
    body.update({k: v for k, v in extra.items() if not (k == "errors" and v is None)})
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _flatten_messages(messages) -> dict[str, list[str]]:
    """webargs nests messages by location ({"json": {"field": [...]}}); clients want field → messages."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out.setdefault(prefix or "_schema", []).extend(translate(v) for v in value)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(f"{prefix}.{i}", v)
        else:
            out.setdefault(prefix or "_schema", []).append(translate(str(value)))

    if isinstance(messages, dict):
        for location, fields_ in messages.items():
            if location in ("json", "query", "form", "files", "headers", "view_args", "path", "querystring"):
                walk("", fields_)
            else:
                walk(location, fields_)
    else:
        walk("", messages)
    return out


def http_exception_to_problem(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    errors = None
    detail = data.get("message") if isinstance(data.get("message"), str) else None
    if "messages" in data:
        errors = _flatten_messages(data["messages"])
    if status == 400 and errors and translate("Invalid JSON body.") in str(errors):
        detail = "请求体不是有效的 JSON"
    return problem(status, detail=detail, errors=errors, headers=headers)


def domain_error_to_problem(error: DomainError) -> Response:
    return problem(error.status, code=error.code, title=error.title, detail=error.detail, headers=error.headers,
                   **error.extra)


def unexpected_to_problem(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_exception_to_problem(error)
    log.exception("unhandled error")
    return problem(500)


def register_error_handlers(app) -> None:
    app.register_error_handler(DomainError, domain_error_to_problem)
    app.register_error_handler(HTTPException, http_exception_to_problem)
    app.register_error_handler(Exception, unexpected_to_problem)
