"""Rate limits per token and per client IP (the `limits` library; memory by default, Redis in production).

With the in-memory storage each gateway worker process counts on its own, so the effective limit is
the configured one times the number of workers; point RATE_LIMIT_STORAGE_URI at Redis to share counts.
"""
from __future__ import annotations

import math
import time

from limits import parse, storage, strategies

from servicekit.errors import DomainError


class RateLimited(DomainError):
    status, code, title = 429, "rate_limited", "请求过于频繁"


class RateLimiter:
    def __init__(self, *, per_token: str, per_ip: str, storage_uri: str = "memory://"):
        self._strategy = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        self.per_token = parse(per_token)
        self.per_ip = parse(per_ip)

    def check(self, token_key: str | None, ip: str) -> None:
        """Count one request; raises RateLimited (429 with Retry-After) past either limit."""
        self.hit(self.per_ip, "ip", ip)
        if token_key:
            self.hit(self.per_token, "token", token_key)

    def hit(self, limit, *key: str) -> None:
        if not self._strategy.hit(limit, *key):
            reset = self._strategy.get_window_stats(limit, *key).reset_time
            retry_after = max(1, math.ceil(reset - time.time()))
            raise RateLimited(f"请在 {retry_after} 秒后重试", headers={"Retry-After": str(retry_after)})
