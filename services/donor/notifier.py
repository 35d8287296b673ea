"""Telling donors things: the in-app inbox always, plus a push channel (SMS/WeChat).

The inbox row is written in the caller's transaction (once per dedupe key). The push goes out only
after that transaction commits, so a refused or retried request never texts anyone. Development
uses LoggingSmsSender (logs the masked number and the title, never the body or the full number);
production has no provider adapter yet, so it keeps the inbox only (see build_notifier).
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from .model import Notification

log = logging.getLogger("donor.notifier")


class LoggingSmsSender:
    """Development stand-in for the SMS/WeChat gateway."""

    def send(self, phone_masked: str, kind: str, title: str) -> None:
        log.info("sms sent (development: logged only)", extra={"phone_masked": phone_masked, "kind": kind,
                                                                "title": title})


class Notifier:
    def __init__(self, sms=None):
        self.sms = sms

    def notify(self, uow, donor, *, kind: str, title: str, body: str, now: datetime,
               dedupe_key: str | None = None) -> bool:
        """Add to the donor's inbox (once per dedupe key) and push after commit; False if already there."""
        if dedupe_key and uow.notifications.exists(dedupe_key):
            return False
        uow.notifications.add(Notification(id=str(uuid.uuid4()), donor_id=donor.id, kind=kind, title=title,
                                           body=body, created_at=now, read=False, dedupe_key=dedupe_key))
        if self.sms is not None:
            phone_masked, sms = donor.phone_masked, self.sms
            uow.after_commit(lambda: sms.send(phone_masked, kind, title))
        return True


def build_notifier(config) -> Notifier:
    if config.is_production:
        log.warning("no SMS/WeChat provider adapter configured: notifications go to the in-app inbox only")
        return Notifier(sms=None)
    return Notifier(sms=LoggingSmsSender())
