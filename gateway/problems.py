"""problem+json written straight to a WSGI response (the proxy path has no Flask request)."""
from __future__ import annotations

import json

from servicekit.errors import HTTP_PROBLEMS, PROBLEM

_REASONS = {400: "BAD REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT FOUND", 413: "CONTENT TOO LARGE",
            429: "TOO MANY REQUESTS", 502: "BAD GATEWAY", 504: "GATEWAY TIMEOUT"}


def problem_wsgi(start_response, status: int, *, code: str | None = None, title: str | None = None,
                 detail: str | None = None, request_id: str | None = None, headers: dict | None = None, **extra):
    default_code, default_title = HTTP_PROBLEMS.get(status, ("error", "请求失败"))
    body = {"type": f"https://hemolink.example/problems/{code or default_code}", "title": title or default_title,
            "status": status, "detail": detail or title or default_title, "code": code or default_code}
    body.update({k: v for k, v in extra.items() if v is not None})
    data = json.dumps(body, ensure_ascii=False).encode()
    out = [("Content-Type", PROBLEM), ("Content-Length", str(len(data)))]
    if request_id:
        out.append(("X-Request-ID", request_id))
    out.extend((headers or {}).items())
    start_response(f"{status} {_REASONS.get(status, '')}".strip(), out)
    return [data]
