"""Issue #2's outage case with the real services: 100 donors registered while the broker is down reach the
waiver and inventory consumer groups exactly once in effect, also after everything is published again."""
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from donor.app import create_app as donor_app
from inventory.handlers import HANDLERS as INVENTORY_HANDLERS
from inventory.unit_of_work import InventoryUnitOfWork
from servicekit import outbox
from servicekit.broker import LocalBroker, free_port
from servicekit.consumer import DUPLICATE, ConsumerLoop, consumer_settings
from servicekit.db import make_engine, make_session_factory
from servicekit.producer import make_producer
from servicekit.tables import processed_events
from servicekit.testing import CountingProcessor
from servicekit.topics import ensure_topics
from servicekit.wakeup import wakeup_for
from tests.helpers import SERVICE_KEYS, PII_KEY, auth, make_national_id, wait_until
from waiver.handlers import HANDLERS as WAIVER_HANDLERS
from waiver.orm import ledger_donors
from waiver.unit_of_work import WaiverUnitOfWork

STATION = auth("station", site_id="SH-S1", region="SH")


def _count(sf, stmt):
    with sf() as s:
        return s.execute(stmt).scalar_one()


@pytest.fixture
def stop():
    event, threads = threading.Event(), []
    yield event, threads
    event.set()
    for t in threads:
        t.join(15)


def test_donors_registered_while_the_broker_is_down_reach_both_groups_once(databases, db_kind, stop):
    stop_event, threads = stop
    broker = LocalBroker(free_port())                           # not started yet: the broker is down
    donor_url = databases.new("donor", db_kind)
    client = donor_app(database_url=donor_url, **SERVICE_KEYS, pii_key=PII_KEY).test_client()
    for i in range(100):
        birth = (date(1980, 1, 1) + timedelta(days=i)).strftime("%Y%m%d")
        resp = client.post("/api/v1/donors", headers=STATION, json={
            "name": f"停机{i}", "national_id": make_national_id(birth=birth, seq=i), "phone": f"1390000{i:04d}",
            "abo": "O", "rhd": "pos"})
        assert resp.status_code == 201, resp.get_json()
    donor_sf = make_session_factory(make_engine(donor_url))
    sinks = {"waiver": (make_session_factory(make_engine(databases.new("waiver", db_kind))), WaiverUnitOfWork,
                        WAIVER_HANDLERS),
             "inventory": (make_session_factory(make_engine(databases.new("inventory", db_kind))), InventoryUnitOfWork,
                           INVENTORY_HANDLERS)}

    def producer():
        ensure_topics(broker.bootstrap, ["donor.events", "waiver.dlq", "inventory.dlq"], 3, deadline_s=1.0)
        return make_producer(broker.bootstrap)

    def run(target):
        t = threading.Thread(target=target, args=(stop_event,), daemon=True)
        t.start()
        threads.append(t)

    wakeup = wakeup_for(donor_url)              # as the relay process has it: notified on PostgreSQL
    try:
        run(outbox.Relay(donor_sf, producer_factory=producer, max_backoff_s=0.5, wakeup=wakeup,
                         max_idle_sleep_s=wakeup.fallback_poll_s).run)
        processors = {}
        for group, (sf, uow_class, handlers) in sinks.items():
            processors[group] = CountingProcessor(group=group, handlers=handlers,
                                                  uow_factory=lambda sf=sf, c=uow_class: c(sf),
                                                  dlq_producer_factory=producer, retry_sleep_s=0.01)
            run(ConsumerLoop(processors[group], ["donor.events"], consumer_settings(broker.bootstrap, group)).run)
        stop_event.wait(1.5)
        assert outbox.pending_count(donor_sf) == 100                 # the relay keeps every row while it waits
        broker.start()
        waiver_sf, inventory_sf = sinks["waiver"][0], sinks["inventory"][0]
        wait_until(lambda: _count(waiver_sf, select(func.count()).select_from(ledger_donors)) == 100, timeout_s=60)
        applied = select(func.count()).select_from(processed_events).where(
            processed_events.c.event_type == "DonorRegistered")
        wait_until(lambda: _count(inventory_sf, applied) == 100, timeout_s=60)

        outbox.replay(donor_sf)                                        # what `make up` does after a broker loss
        for processor in processors.values():
            wait_until(lambda p=processor: p.outcomes.count(DUPLICATE) >= 100, timeout_s=60)
        assert _count(waiver_sf, select(func.count()).select_from(ledger_donors)) == 100
        assert _count(waiver_sf, applied) == 100 and _count(inventory_sf, applied) == 100
    finally:
        stop_event.set()
        for t in threads:
            t.join(5)
        wakeup.close()
        broker.stop()
