"""Rate limits per token, per client IP and per account on the login endpoints (the `limits` library;
memory by default, Redis in production).

With the in-memory storage each gateway worker process counts on its own, so the effective limit is
the configured one times the number of workers; RATE_LIMIT_STORAGE_URI=redis://… makes every process of the
deployment count in one place (production refuses anything else, gateway/config.py).
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager

from limits import parse, parse_many, storage, strategies

from servicekit import metrics
from servicekit.errors import DomainError, Unauthorized


class RateLimited(DomainError):
    status, code, title = 429, "rate_limited", "请求过于频繁"


class SmsBudgetSpent(RateLimited):
    code, title = "sms_budget_exhausted", "短信验证码发送量已达上限"


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

    def hit(self, limit, *key: str, error: type[RateLimited] = RateLimited) -> None:
        if not self._strategy.hit(limit, *key):
            raise self._limited(limit, key, error)

    def hit_all(self, limits, *key: str, error: type[RateLimited] = RateLimited) -> None:
        for limit in limits:
            self.hit(limit, *key, error=error)

    def require_budget(self, limits, *key: str, error: type[RateLimited] = RateLimited) -> None:
        """Raise RateLimited if any of `limits` is spent for `key`, without counting this request."""
        for limit in limits:
            if not self._strategy.test(limit, *key):
                raise self._limited(limit, key, error)

    def spend(self, limits, *key: str) -> None:
        """Count one request against `limits` for `key`, refusing nothing (it has already been answered)."""
        for limit in limits:
            self._strategy.hit(limit, *key)

    def _limited(self, limit, key, error: type[RateLimited]) -> RateLimited:
        metrics.LIMITER_REFUSALS.labels(limit=key[0]).inc()      # the key's kind (ip, otp-phone, ...), never the key
        reset = self._strategy.get_window_stats(limit, *key).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        return error(f"请在 {retry_after} 秒后重试", headers={"Retry-After": str(retry_after)})


class OtpLimits:
    """Budgets for sending login codes, each an SMS paid for: `limits.admit(ip, phone_key)` before sending.

    Per phone is strict (a donor needs one code a minute at most). Per IP is high: behind a carrier's NAT many
    donors share one address, and a low per-IP limit would lock a whole city out. What bounds the cost of an
    attacker rotating phones and addresses is the deployment-wide ceiling on codes sent per minute. It is checked
    first, so a spent ceiling costs no donor their per-phone budget, and counted last, so a request refused per
    phone or per IP never takes a code from the ceiling; concurrent requests may pass the first check together,
    and the last count, atomic in the storage, still refuses every one past the ceiling.
    """

    CEILING_KEY = ("sms-ceiling",)

    def __init__(self, limiter: RateLimiter, *, per_phone: str, per_ip: str, ceiling: str):
        self.limiter = limiter
        self.per_phone = parse_many(per_phone)
        self.per_ip = parse_many(per_ip)
        self.ceiling = parse_many(ceiling)

    def admit(self, ip: str, phone_key: str) -> None:
        self.limiter.require_budget(self.ceiling, *self.CEILING_KEY, error=SmsBudgetSpent)
        self.limiter.hit_all(self.per_ip, "otp-ip", ip)
        self.limiter.hit_all(self.per_phone, "otp-phone", phone_key)
        self.limiter.hit_all(self.ceiling, *self.CEILING_KEY, error=SmsBudgetSpent)


class AuthThrottle:
    """Budgets for the endpoints that take credentials: `with throttle.staff(ip, username): ...`.

    Per IP, every attempt counts: it bounds the password hashing one host can make us do. Per account
    (username, HIS client id), only refused attempts count, since that budget is against guessing at one
    account from many hosts and a success is not a guess; busy but correct users and HIS clients are
    never slowed. The account budget is checked before the password is looked at, so once it is spent
    even the right password waits for the window and a 429 tells a guesser nothing. Concurrent guesses
    can overshoot by the number of requests in flight; the window stays the bound that matters.
    """

    def __init__(self, limiter: RateLimiter, *, per_ip: str, per_username: str, per_client: str,
                 per_donor_ip: str):
        self.limiter = limiter
        self.per_ip = parse_many(per_ip)
        self.per_donor_ip = parse_many(per_donor_ip)
        self.per_username = parse_many(per_username)
        self.per_client = parse_many(per_client)

    def staff(self, ip: str, username: str):
        return self._guard(("auth-ip", "staff", ip), self.per_username, ("auth-username", username))

    def client(self, ip: str, client_id: str):
        return self._guard(("auth-ip", "client", ip), self.per_client, ("auth-client", client_id))

    def donor(self, ip: str):
        # Per phone, the code is its own limit: five wrong codes lock the phone (otp.py). Per IP it is high:
        # many donors share a carrier's NAT address.
        return self._guard(("auth-ip", "donor", ip), (), (), ip_limits=self.per_donor_ip)

    @contextmanager
    def _guard(self, ip_key: tuple, account_limits, account_key: tuple, ip_limits=None):
        self.limiter.hit_all(self.per_ip if ip_limits is None else ip_limits, *ip_key)
        self.limiter.require_budget(account_limits, *account_key)
        try:
            yield
        except Unauthorized:
            self.limiter.spend(account_limits, *account_key)
            raise
