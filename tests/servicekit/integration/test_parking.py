"""A dead-lettered event parks its key: later events of the key wait, other keys flow, and `dlq replay|discard`
releases the key in order. On SQLite and PostgreSQL (the broker side is in test_broker_flows)."""
import pytest
from sqlalchemy import func, select

from servicekit import parking
from servicekit.consumer import APPLIED, DEAD_LETTERED, DUPLICATE, PARKED, EventProcessor
from servicekit.tables import parked_events, processed_events
from servicekit.testing import FakeProducer, make_envelope, record_of

from .conftest import ledger, make_uow_factory, note


class Recorder:
    """A handler that applies (a ledger row) and remembers the order it applied events in; `broken` keys fail."""

    def __init__(self, broken=()):
        self.applied: list[tuple[str, int]] = []
        self.broken = set(broken)

    def __call__(self, uow, envelope):
        if (envelope.subject, envelope.data["n"]) in self.broken:
            raise ValueError("handler bug")
        note(uow, envelope)
        self.applied.append((envelope.subject, envelope.data["n"]))


def _processor(kit_db, handler):
    return EventProcessor(group="kit", handlers={("Noted", 1): handler}, uow_factory=make_uow_factory(kit_db),
                          dlq_producer=FakeProducer(), retry_sleep_s=0)


def _event(subject, n, offset):
    envelope = make_envelope("Noted", {"key": f"{subject}-{n}", "n": n}, subject=subject)
    return envelope, record_of(envelope, offset=offset)


def _parked(kit_db):
    with kit_db() as s:
        return [(r.key, r.event_type, r.dead_letter) for r in s.execute(select(parked_events).order_by(parked_events.c.seq))]


def _dead_lettered_world(kit_db):
    """Key a: event 0 fails for good, 1 and 2 come after it; key b flows in between."""
    handler = Recorder(broken={("a", 0)})
    processor = _processor(kit_db, handler)
    events = [_event("a", 0, 0), _event("b", 0, 1), _event("a", 1, 2), _event("b", 1, 3), _event("a", 2, 4)]
    outcomes = [processor.process(record) for _, record in events]
    return handler, processor, events, outcomes


def test_after_a_dead_letter_the_keys_later_events_are_parked_and_other_keys_flow(kit_db):
    handler, processor, events, outcomes = _dead_lettered_world(kit_db)
    assert outcomes == [DEAD_LETTERED, APPLIED, PARKED, APPLIED, PARKED]
    assert handler.applied == [("b", 0), ("b", 1)]
    assert _parked(kit_db) == [("a", "Noted", True), ("a", "Noted", False), ("a", "Noted", False)]
    assert processor.dlq_producer.sent[0]["value"] == events[0][1].value
    assert processor.process(events[2][1]) == DUPLICATE           # a redelivered parked event is not parked twice
    [letter] = parking.dead_letters(processor)
    assert (letter.event_id, letter.key, letter.waiting) == (events[0][0].id, "a", 2)
    assert "handler bug" in letter.error


def test_replay_applies_the_fixed_dead_letter_then_the_parked_events_in_order(kit_db):
    handler, processor, events, _ = _dead_lettered_world(kit_db)
    handler.broken.clear()                                       # the bug is fixed
    assert parking.release(processor, events[0][0].id, replay=True) == 3
    assert handler.applied == [("b", 0), ("b", 1), ("a", 0), ("a", 1), ("a", 2)]
    assert _parked(kit_db) == [] and parking.dead_letters(processor) == []
    later, record = _event("a", 3, 5)                             # the key flows again
    assert processor.process(record) == APPLIED and handler.applied[-1] == ("a", 3)
    assert processor.process(events[3][1]) == DUPLICATE          # and nothing released is applied twice


def test_discard_drops_the_dead_letter_and_applies_the_parked_events_in_order(kit_db):
    handler, processor, events, _ = _dead_lettered_world(kit_db)
    assert parking.release(processor, events[0][0].id, replay=False) == 2
    assert handler.applied == [("b", 0), ("b", 1), ("a", 1), ("a", 2)]
    assert _parked(kit_db) == []
    assert processor.process(events[0][1]) == DUPLICATE          # discarded: a redelivery does not apply it


def _state(kit_db):
    with kit_db() as s:
        return _parked(kit_db), s.execute(select(func.count()).select_from(processed_events)).scalar_one()


@pytest.mark.parametrize("which", ["unknown", "parked, not a dead letter"])
def test_a_release_of_an_id_that_is_no_dead_letter_is_refused_and_changes_nothing(kit_db, which):
    handler, processor, events, _ = _dead_lettered_world(kit_db)
    event_id = "00000000-0000-0000-0000-000000000000" if which == "unknown" else events[2][0].id
    before = _state(kit_db)
    with pytest.raises(parking.ReleaseError, match="死信"):
        parking.release(processor, event_id, replay=True)
    assert _state(kit_db) == before and handler.applied == [("b", 0), ("b", 1)]


def test_a_replay_whose_handler_still_fails_changes_nothing(kit_db):
    handler, processor, events, _ = _dead_lettered_world(kit_db)
    before = _state(kit_db)
    with pytest.raises(parking.ReleaseError, match="still fails"):
        parking.release(processor, events[0][0].id, replay=True)
    assert _state(kit_db) == before and handler.applied == [("b", 0), ("b", 1)]


def test_a_parked_event_that_fails_on_release_becomes_the_keys_dead_letter(kit_db):
    handler, processor, events, _ = _dead_lettered_world(kit_db)
    handler.broken = {("a", 2)}                                  # a's first bug fixed, a second one met
    with pytest.raises(parking.ReleaseError, match="now the dead letter"):
        parking.release(processor, events[0][0].id, replay=True)
    assert handler.applied[-2:] == [("a", 0), ("a", 1)]
    [letter] = parking.dead_letters(processor)
    assert letter.event_id == events[4][0].id and letter.waiting == 0
    _, record = _event("a", 3, 5)
    assert processor.process(record) == PARKED                   # still parked behind the new dead letter


def test_a_run_in_one_transaction_parks_a_parked_keys_events_drops_duplicates_and_applies_the_rest(kit_db):
    handler, processor, events, _ = _dead_lettered_world(kit_db)
    processor.batchable = frozenset({("Noted", 1)})
    b2, a3, c0 = _event("b", 2, 5), _event("a", 3, 6), _event("c", 0, 7)
    run = [b2[1], events[1][1], a3[1], c0[1], c0[1]]           # b's event 0 and c's event 0 twice: duplicates
    assert processor.process_run(run) == [APPLIED, DUPLICATE, PARKED, APPLIED, DUPLICATE]
    assert handler.applied[-2:] == [("b", 2), ("c", 0)]
    assert _parked(kit_db)[-1] == ("a", "Noted", False)          # behind a's dead letter, in arrival order
    assert processor.process_run([b2[1], a3[1]]) == [DUPLICATE, DUPLICATE]


def test_a_run_whose_handler_fails_is_rolled_back_whole(kit_db):
    handler = Recorder(broken={("b", 1)})
    processor = _processor(kit_db, handler)
    processor.batchable = frozenset({("Noted", 1)})
    run = [_event("a", 0, 0)[1], _event("b", 1, 1)[1]]
    assert processor.process_run(run) is None
    with kit_db() as s:
        assert s.execute(select(ledger)).all() == [] and s.execute(select(processed_events)).all() == []
