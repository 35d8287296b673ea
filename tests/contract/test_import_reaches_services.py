"""Issue #18: a bulk import's events reach inventory and waiver as any donation's do (units in quarantine, the
donors' pools built), applied in runs of one transaction each, once in effect even when published twice."""
import csv
import threading

import pytest
from sqlalchemy import func, select

from donor import importer
from donor.config import Config
from inventory.consumer import wiring as inventory_wiring
from inventory.config import Config as InventoryConfig
from inventory.orm import units
from servicekit import outbox
from servicekit.broker import LocalBroker, free_port
from servicekit.consumer import DUPLICATE, ConsumerLoop, consumer_settings
from servicekit.db import make_engine, make_session_factory
from servicekit.producer import make_producer
from servicekit.testing import CountingProcessor
from servicekit.topics import ensure_topics
from tests.bench import region
from tests.helpers import PII_KEY, wait_until
from waiver.config import Config as WaiverConfig
from waiver.consumer import wiring as waiver_wiring
from waiver.orm import ledger_donations, pools


def _count(sf, table) -> int:
    with sf() as s:
        return s.execute(select(func.count()).select_from(table)).scalar_one()


class _CountingCommits:
    """Wraps a service's unit-of-work factory and counts the transactions committed."""

    def __init__(self, factory):
        self.factory, self.commits = factory, 0

    def __call__(self):
        uow, counter = self.factory(), self
        commit = uow.commit

        def counted():
            if uow._depth == 1:
                counter.commits += 1
            commit()
        uow.commit = counted
        return uow


@pytest.fixture
def broker():
    b = LocalBroker(free_port()).start()       # its own: the topic holds this test's events only
    yield b
    b.stop()


def test_imported_donations_reach_inventory_and_waiver_in_runs_and_once(databases, db_kind, broker, tmp_path):
    path = tmp_path / "region.csv"
    rows = region.write(path, 300, 5, station="SH-S1")
    donor_url = databases.new("donor", db_kind)
    done, _ = importer.run(path, station="SH-S1", region="SH", config=Config(database_url=donor_url, pii_key=PII_KEY),
                           out=open(tmp_path / "out.txt", "w"))
    assert (done.donors, done.donations) == (300, rows)
    donor_sf = make_session_factory(make_engine(donor_url))

    def producer():
        ensure_topics(broker.bootstrap, ["donor.events", "waiver.dlq", "inventory.dlq"], 6, deadline_s=2.0)
        return make_producer(broker.bootstrap)

    stop, threads = threading.Event(), []

    def run(target):
        t = threading.Thread(target=target, args=(stop,), daemon=True)
        t.start()
        threads.append(t)

    sinks, processors, counters = {}, {}, {}
    for group, wiring, config_class in (("inventory", inventory_wiring, InventoryConfig),
                                        ("waiver", waiver_wiring, WaiverConfig)):
        sf = make_session_factory(make_engine(databases.new(group, db_kind)))
        wired = wiring(config_class())
        counters[group] = _CountingCommits(wired["uow_factory_builder"](sf, None))
        processors[group] = CountingProcessor(group=group, handlers=wired["handlers"], uow_factory=counters[group],
                                              batchable=wired["batchable"], dlq_producer_factory=producer,
                                              bulk_handlers=wired.get("bulk_handlers"),
                                              retry_sleep_s=0.01)
        sinks[group] = sf
    try:
        run(outbox.Relay(donor_sf, producer_factory=producer, max_backoff_s=0.5).run)
        for group, processor in processors.items():
            run(ConsumerLoop(processor, ["donor.events"], consumer_settings(broker.bootstrap, group)).run)
        wait_until(lambda: _count(sinks["waiver"], ledger_donations) == rows, timeout_s=120)
        wait_until(lambda: processors["inventory"].outcomes.count("applied") >= rows + 300, timeout_s=120)
        assert _count(sinks["waiver"], pools) == 2 * 300                 # a self and a family pool each, in SH
        with open(path, encoding="utf-8") as f:
            file_rows = list(csv.DictReader(f))
        expected_units = sum(2 if r["kind"] == "whole_blood" else int(r["doses"]) for r in file_rows)
        assert _count(sinks["inventory"], units) == expected_units
        events = rows + 300
        for group in processors:
            assert counters[group].commits < events / 5, (group, counters[group].commits)

        outbox.replay(donor_sf)                                  # everything published again
        for processor in processors.values():
            wait_until(lambda p=processor: p.outcomes.count(DUPLICATE) >= events, timeout_s=120)
        assert _count(sinks["waiver"], ledger_donations) == rows and _count(sinks["waiver"], pools) == 600
        assert _count(sinks["inventory"], units) == expected_units
    finally:
        stop.set()
        for t in threads:
            t.join(10)
