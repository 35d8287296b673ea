"""The inventory consumer's runs (servicekit EventProcessor.process_run) with its bulk handler for DonationRecorded
leave exactly the state its one-event handler leaves applied one by one: the same units, history and collections,
and one UnitsCreated per new DIN, each caused by its own DonationRecorded and carrying that event's trace."""
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from inventory import orm
from inventory.handlers import BATCHABLE, BULK_HANDLERS, HANDLERS
from inventory.unit_of_work import InventoryUnitOfWork
from servicekit.consumer import APPLIED, DUPLICATE, EventProcessor
from servicekit.db import make_engine, make_session_factory
from servicekit.tables import outbox
from servicekit.testing import FakeProducer, make_envelope, record_of

T0 = datetime(2025, 3, 1, 2, 0, tzinfo=timezone.utc)
TRACE = "00-{:032x}-{:016x}-01"


def _donated(n, k, *, kind="whole_blood", din=None, drive_id=None):
    data = {"donation_id": f"x{n}-{k}", "donor_id": f"d{n}", "region": "SH", "site_id": "SH-S1", "kind": kind,
            "volume_ml": 400 if kind == "whole_blood" else None, "doses": 2 if kind == "platelets" else None,
            "din": din or f"W000125{n:02d}{k:04d}", "collected_at": (T0 + timedelta(days=200 * k)).isoformat(),
            "abo": "O", "rhd": "pos", "drive_id": drive_id, "appointment_id": f"ap{n}-{k}" if k == 0 else None}
    return make_envelope("DonationRecorded", data, source="donor", subject=f"d{n}")


def _records():
    """Donations of three donors, whole blood and platelets, one from a drive, one re-sent under a second event id
    (a re-sent fact: same DIN), a DonorRegistered in the middle (a stretch ends there)."""
    events = [_donated(1, 0), _donated(1, 1, kind="platelets"), _donated(2, 0, drive_id="drive-7"),
              make_envelope("DonorRegistered", {"donor_id": "d3"}, source="donor", subject="d3"),
              _donated(3, 0), _donated(3, 1), _donated(2, 1), _donated(1, 1, kind="platelets")]
    records = []
    for i, e in enumerate(events):
        record = record_of(e, offset=i)
        record.headers = [*record.headers, ("traceparent", TRACE.format(i + 1, i + 1).encode())]
        records.append(record)
    return events, records


def _state(session_factory):
    with session_factory() as s:
        units = {r.id: r for r in s.execute(select(orm.units))}

        def unit_key(unit_id):
            u = units[unit_id]
            return (u.din, u.component, u.bag_no)

        caused = []
        for row in s.execute(select(outbox).order_by(outbox.c.seq)):
            payload = json.loads(row.payload)
            caused.append((payload["causation_id"], payload["data"]["din"],
                           sorted(unit_key(u["unit_id"]) for u in payload["data"]["units"]),
                           dict(row.headers)["traceparent"].split("-")[1]))
        return {
            "units": sorted((u.din, u.component, u.bag_no, u.status, u.site_id, u.donor_id, u.expires_at)
                            for u in units.values()),
            "history": sorted((unit_key(r.unit_id), r.kind, r.status, r.to_site, r.ref)
                              for r in s.execute(select(orm.unit_movements))),
            "collections": sorted(tuple(r) for r in s.execute(select(orm.collections))),
            "caused": caused,
        }


def _processor(url, **kwargs):
    sf = make_session_factory(make_engine(url))
    return sf, EventProcessor(group="inventory", handlers=HANDLERS, uow_factory=lambda: InventoryUnitOfWork(sf),
                              dlq_producer=FakeProducer(), retry_sleep_s=0, **kwargs)


def test_a_run_with_the_bulk_handler_leaves_the_state_one_by_one_leaves(databases, db_kind):
    events, records = _records()
    one_sf, one = _processor(databases.new("inventory", db_kind))
    assert [one.process(r) for r in records] == [APPLIED] * len(records)
    run_sf, run = _processor(databases.new("inventory", db_kind), batchable=BATCHABLE, bulk_handlers=BULK_HANDLERS)
    assert run.process_run(records) == [APPLIED] * len(records)

    expected = _state(one_sf)
    assert _state(run_sf) == expected
    # 6 distinct donations (the re-sent platelet donation adds nothing): 5 of whole blood → 2 units each, one
    # platelet apheresis of 2 doses → 2 bags.
    assert len(expected["units"]) == 12 and len(expected["history"]) == 12
    assert len(expected["collections"]) == 6
    assert {c[5] for c in expected["collections"]} == {None, "drive-7"}
    # Each UnitsCreated names the DonationRecorded that caused it and continues that event's trace, not the
    # first of its stretch's.
    by_id = {e.id: i for i, e in enumerate(events)}
    assert [(by_id[c[0]], c[1]) for c in expected["caused"]] == [
        (0, events[0].data["din"]), (1, events[1].data["din"]), (2, events[2].data["din"]),
        (4, events[4].data["din"]), (5, events[5].data["din"]), (6, events[6].data["din"])]
    assert [c[3] for c in expected["caused"]] == [f"{by_id[c[0]] + 1:032x}" for c in expected["caused"]]

    assert run.process_run(records) == [DUPLICATE] * len(records)
    assert _state(run_sf) == expected


def test_a_din_known_before_the_run_adds_nothing_in_bulk(databases, db_kind):
    """A donation the inventory already has (an earlier event of the same DIN) is no new unit inside a run."""
    events, records = _records()
    sf, processor = _processor(databases.new("inventory", db_kind), batchable=BATCHABLE, bulk_handlers=BULK_HANDLERS)
    assert processor.process(records[4]) == APPLIED
    before = _state(sf)
    resent = _donated(3, 0)      # the same DIN under a new event id
    assert processor.process_run([record_of(resent, offset=100), record_of(_donated(9, 0), offset=101)]) \
        == [APPLIED, APPLIED]
    after = _state(sf)
    assert len(after["units"]) == len(before["units"]) + 2          # only donor 9's two units
    assert [c[1] for c in after["caused"]] == [events[4].data["din"], _donated(9, 0).data["din"]]
