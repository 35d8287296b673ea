"""The notifier: inbox row in the caller's transaction, push only after commit, masked number only."""
import logging
from datetime import datetime, timezone

import pytest

from donor.config import Config
from donor.notifier import LoggingSmsSender, Notifier, build_notifier


class RecordingSms:
    def __init__(self):
        self.sent = []

    def send(self, phone_masked, kind, title):
        self.sent.append((phone_masked, kind, title))


def _notify(uow, notifier, donor, key="k-1"):
    return notifier.notify(uow, donor, kind="unit_used", title="标题", body="正文",
                           now=datetime.now(timezone.utc), dedupe_key=key)


def test_the_push_goes_out_only_after_the_inbox_row_commits(uow_factory, new_donor):
    donor, sms = new_donor(), RecordingSms()
    notifier = Notifier(sms=sms)
    with pytest.raises(RuntimeError):
        with uow_factory() as uow:
            _notify(uow, notifier, donor)
            raise RuntimeError("the use case fails after notifying")
    assert sms.sent == []
    with uow_factory() as uow:
        assert uow.notifications.for_donor(donor.id) == []
    with uow_factory() as uow:
        assert _notify(uow, notifier, donor) is True
        assert sms.sent == []                     # not before the commit
        uow.commit()
    assert sms.sent == [(donor.phone_masked, "unit_used", "标题")]


def test_one_notification_per_dedupe_key(uow_factory, new_donor):
    donor, sms = new_donor(), RecordingSms()
    for _ in range(2):
        with uow_factory() as uow:
            _notify(uow, Notifier(sms=sms), donor)
            uow.commit()
    with uow_factory() as uow:
        assert len(uow.notifications.for_donor(donor.id)) == 1
    assert len(sms.sent) == 1


def test_development_logs_the_masked_number_and_production_keeps_the_inbox_only(uow_factory, new_donor, caplog):
    caplog.set_level(logging.INFO, logger="donor.notifier")
    donor = new_donor()
    dev = build_notifier(Config(environment="development"))
    assert isinstance(dev.sms, LoggingSmsSender)
    with uow_factory() as uow:
        _notify(uow, dev, donor)
        uow.commit()
    [line] = [r for r in caplog.records if r.name == "donor.notifier"]
    assert line.phone_masked == donor.phone_masked and "*" in line.phone_masked
    assert build_notifier(Config(environment="production")).sms is None
