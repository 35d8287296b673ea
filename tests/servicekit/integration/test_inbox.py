"""The event processor applies each event at most once and dead-letters what keeps failing."""
from servicekit.consumer import APPLIED, DEAD_LETTERED, DUPLICATE, SKIPPED, EventProcessor
from servicekit.tables import parked_events, processed_events
from servicekit.testing import FakeProducer, FakeRecord, make_envelope, record_of

from .conftest import ledger_count, make_uow_factory, note


def _processor(session_factory, handlers=None, producer=None):
    return EventProcessor(group="kit", handlers=handlers or {("Noted", 1): note},
                          uow_factory=make_uow_factory(session_factory), dlq_producer=producer or FakeProducer(),
                          retry_sleep_s=0)


def test_the_same_event_delivered_twice_is_applied_once(kit_db):
    processor = _processor(kit_db)
    record = record_of(make_envelope("Noted", {"key": "a"}))
    assert processor.process(record) == APPLIED
    assert processor.process(record) == DUPLICATE
    assert ledger_count(kit_db) == 1


def test_a_failing_handler_rolls_back_its_effect_and_its_event_goes_to_the_dlq_and_parks_its_key(kit_db):
    """The dead letter is claimed in the inbox with its parked row (one transaction): a redelivery is a duplicate,
    not a second dead letter; it is applied only by `dlq replay`."""
    calls = []

    def boom(uow, envelope):
        note(uow, envelope)          # a partial effect that must roll back
        calls.append(1)
        raise ValueError("cannot apply")

    producer = FakeProducer()
    processor = _processor(kit_db, {("Noted", 1): boom}, producer)
    envelope = make_envelope("Noted", {"key": "b"})
    record = record_of(envelope, offset=7)
    assert processor.process(record) == DEAD_LETTERED
    assert len(calls) == 3                                   # retried up to max_attempts
    assert ledger_count(kit_db) == 0
    with kit_db() as s:
        assert [r.event_id for r in s.execute(processed_events.select())] == [envelope.id]
        assert [(r.event_id, r.dead_letter) for r in s.execute(parked_events.select())] == [(envelope.id, True)]
    assert processor.process(record) == DUPLICATE and len(calls) == 3
    [sent] = producer.sent
    headers = dict(sent["headers"])
    assert sent["topic"] == "kit.dlq" and sent["value"] == record.value
    assert b"cannot apply" in headers["dlq_error"]
    assert headers["dlq_source"].endswith(b":0:7")


def test_unknown_types_are_skipped_and_malformed_records_dead_lettered(kit_db):
    producer = FakeProducer()
    processor = _processor(kit_db, producer=producer)
    assert processor.process(record_of(make_envelope("SomethingElse", {}))) == SKIPPED
    assert processor.process(FakeRecord(value=b"{oops")) == DEAD_LETTERED
    assert len(producer.sent) == 1 and ledger_count(kit_db) == 0


def test_the_type_header_decides_a_skip_without_reading_the_body(kit_db):
    producer = FakeProducer()
    processor = _processor(kit_db, producer=producer)
    foreign = FakeRecord(value=b"{not even json", headers=[("type", b"SomethingElse"), ("version", b"1")])
    assert processor.process(foreign) == SKIPPED                 # not ours: its body is never parsed
    ours_but_broken = FakeRecord(value=b"{not even json", headers=[("type", b"Noted"), ("version", b"1")])
    assert processor.process(ours_but_broken) == DEAD_LETTERED   # ours: parsed, and malformed
    unlabelled = FakeRecord(value=b"{oops", headers=[("type", b"Noted"), ("version", b"one")])
    assert processor.process(unlabelled) == DEAD_LETTERED        # headers unusable: parsed in full
    null_version = FakeRecord(value=b"{oops", headers=[("type", b"SomethingElse"), ("version", None)])
    assert processor.process(null_version) == DEAD_LETTERED      # a null header value too
    assert len(producer.sent) == 3 and ledger_count(kit_db) == 0


def _parked(session_factory) -> list:
    with session_factory() as s:
        return list(s.execute(parked_events.select()))


def test_an_event_whose_source_is_not_its_topics_owner_is_dead_lettered_with_the_reason(kit_db):
    """Anyone who can write to the broker could put a `DonationRecorded` on the donor topic: only the donor
    service's own events are applied, and a forgery does not park the genuine events of the key it names."""
    producer = FakeProducer()
    processor = _processor(kit_db, producer=producer)
    forged = make_envelope("Noted", {"key": "forged"}, source="intruder", subject="donor-1")
    assert processor.process(FakeRecord(value=forged.to_json(), topic="test.events", key=b"donor-1",
                                        headers=forged.headers())) == DEAD_LETTERED
    [sent] = producer.sent
    assert sent["topic"] == "kit.dlq" and b"wrong_source" in dict(sent["headers"])["dlq_error"]
    assert ledger_count(kit_db) == 0 and _parked(kit_db) == []
    genuine = make_envelope("Noted", {"key": "genuine"}, source="test", subject="donor-1")
    assert processor.process(record_of(genuine)) == APPLIED
    assert ledger_count(kit_db) == 1


def test_an_event_of_a_type_read_here_in_a_version_no_handler_knows_is_dead_lettered(kit_db):
    producer = FakeProducer()
    processor = _processor(kit_db, producer=producer)
    newer = make_envelope("Noted", {"key": "v2"}, version=2, subject="k-2")
    assert processor.process(record_of(newer)) == DEAD_LETTERED
    [sent] = producer.sent
    assert b"unknown_version: Noted v2 (this consumer reads v[1])" in dict(sent["headers"])["dlq_error"]
    assert ledger_count(kit_db) == 0 and _parked(kit_db) == []
    assert processor.process(record_of(make_envelope("Noted", {"key": "v1"}, subject="k-2"))) == APPLIED
