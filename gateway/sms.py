"""SMS sending behind an adapter; development only logs (never the full phone number)."""
from __future__ import annotations

import logging

from servicekit.pii import mask

log = logging.getLogger("gateway.sms")


class LoggingSmsSender:
    """Development sender: records that a code was sent, to a masked number."""

    def send_code(self, phone: str, code: str) -> None:
        log.info("one-time code sent", extra={"phone_masked": mask(phone, 3, 4)})


def make_sender(environment: str):
    if environment == "production":
        raise RuntimeError("no production SMS gateway is configured yet")  # refuse to pretend
    return LoggingSmsSender()
