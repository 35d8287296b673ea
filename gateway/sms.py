"""SMS sending behind an adapter: an HTTP provider in production, log-only in development.

Neither sender ever logs the full phone number or the code: a log line must not be enough to log in.
"""
from __future__ import annotations

import logging

import requests

from servicekit.errors import DomainError
from servicekit.pii import mask

log = logging.getLogger("gateway.sms")

CODE_TEXT = "【Hemolink】您的登录验证码为 {code}，5 分钟内有效。请勿告诉他人。"


class SmsUnavailable(DomainError):
    status, code, title = 502, "sms_unavailable", "短信服务暂不可用"


class LoggingSmsSender:
    """Development sender: records that a code was sent, to a masked number."""

    def send_code(self, phone: str, code: str) -> None:
        log.info("one-time code sent", extra={"phone_masked": mask(phone, 3, 4)})


class HttpSmsSender:
    """POSTs `{phone, text}` as JSON to the provider's endpoint, with a bearer token when one is set.

    No retries: a retried POST can deliver the same text twice, and the donor can simply ask again.
    """

    def __init__(self, url: str, token: str = "", *, connect_timeout_s: float = 2.0, read_timeout_s: float = 5.0):
        self.url = url
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.session = requests.Session()   # keep-alive to the provider between codes
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def send_code(self, phone: str, code: str) -> None:
        masked = mask(phone, 3, 4)
        try:
            resp = self.session.post(self.url, json={"phone": phone, "text": CODE_TEXT.format(code=code)},
                                     timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            log.warning("sms provider unreachable", extra={"phone_masked": masked, "error": type(exc).__name__})
            raise SmsUnavailable("短信发送失败，请稍后重试") from None   # the exception text may carry the URL
        if not 200 <= resp.status_code < 300:
            log.warning("sms provider refused", extra={"phone_masked": masked, "status": resp.status_code})
            raise SmsUnavailable("短信发送失败，请稍后重试")
        log.info("one-time code sent", extra={"phone_masked": masked})


def make_sender(config):
    """The HTTP sender whenever a provider is configured; production refuses to start without one
    (Config.check_secrets), so only development falls back to logging."""
    if config.sms_gateway_url:
        return HttpSmsSender(config.sms_gateway_url, config.sms_gateway_token,
                             connect_timeout_s=config.sms_connect_timeout_s,
                             read_timeout_s=config.sms_read_timeout_s)
    if config.is_production:
        raise RuntimeError("SMS_GATEWAY_URL must be set in production")   # belt and braces
    return LoggingSmsSender()
