"""Consumer loop: envelope → inbox claim + handler in one transaction → offset commit after it."""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Callable, Mapping

from kafka import KafkaConsumer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from sqlalchemy.exc import OperationalError

from . import context, heartbeat, inbox, metrics, outbox, parking, tracing
from .envelope import Envelope, parse, type_from_headers
from .fetchwait import FetchWait
from .topics import topic_owner

log = logging.getLogger(__name__)

Handler = Callable[[object, Envelope], None]  # handler(uow, envelope)

APPLIED, DUPLICATE, SKIPPED, DEAD_LETTERED, PARKED = "applied", "duplicate", "skipped", "dead_lettered", "parked"


def consumer_settings(bootstrap_servers: str, group: str, **overrides) -> dict:
    """Group settings tuned on the local broker (docs/tooling-notes.md §2a, §2d; figures in docs/performance.md)."""
    settings = dict(
        bootstrap_servers=bootstrap_servers.split(","),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        max_poll_interval_ms=60000,
        fetch_max_wait_ms=25,
        request_timeout_ms=15000,
        reconnect_backoff_max_ms=1000,
        metadata_max_age_ms=5000,
        metrics_enabled=False,       # nothing reads kafka-python's sensors, and recording them costs CPU (performance.md)
    )
    settings.update(overrides)
    return settings


class EventProcessor:
    """Applies one record at most once in effect; the part of the loop that tests drive directly.

    An event that keeps failing goes to the dead-letter topic and parks its key (servicekit.parking): the key's
    later events are parked behind it, not applied, until `python -m <service>.dlq` releases the key."""

    def __init__(self, *, group: str, handlers: Mapping[tuple[str, int], Handler], uow_factory,
                 dlq_producer=None, dlq_producer_factory=None, dlq_topic: str | None = None,
                 max_attempts: int = 3, retry_sleep_s: float = 0.2, batchable=frozenset(), bulk_handlers=None):
        """`batchable`: the (type, version)s whose handlers may share a transaction with the events around them
        (`process_run`): a handler that neither rolls the session back itself nor relies on failing alone.
        `bulk_handlers`: for some of those, a handler(uow, envelopes) that applies consecutive events of its type
        in a run at once, with the same effect as the one-event handler applied to each in turn. It may return,
        per envelope in order, the events that envelope caused (not published by itself): they are staged with
        that envelope's correlation, causation and trace, as the one-event handler's would be."""
        self.group = group
        self.handlers = handlers
        self.bulk_handlers = dict(bulk_handlers or {})
        self.batchable = frozenset(batchable) | frozenset(self.bulk_handlers)
        self.uow_factory = uow_factory
        self.dlq_producer = dlq_producer
        self.dlq_producer_factory = dlq_producer_factory
        self.dlq_topic = dlq_topic or f"{group}.dlq"
        self.max_attempts = max_attempts
        self.retry_sleep_s = retry_sleep_s
        self._types = frozenset(t for t, _version in handlers)

    def process(self, record) -> str:
        if self._unhandled(record):
            # Most events on a topic are for someone else (a service reads another's topic for a few types
            # only): the type header decides without parsing the body.
            return SKIPPED
        try:
            envelope = parse(record.value)
        except ValueError as exc:
            log.error("malformed record sent to dead-letter topic", extra={"error": str(exc)})
            self._dead_letter(record, f"malformed: {exc}")
            return DEAD_LETTERED
        refusal = self.refusal(record.topic, envelope)
        if refusal is not None:
            # Not parked: a forged event must not hold back the genuine events of the key it names.
            log.error("event refused, sent to dead-letter topic",
                      extra={"event_type": envelope.type, "event_id": envelope.id, "reason": refusal})
            self._dead_letter(record, refusal)
            return DEAD_LETTERED
        handler = self.handlers.get((envelope.type, envelope.version))
        if handler is None:
            log.debug("no handler, skipped", extra={"event_type": envelope.type, "event_id": envelope.id})
            return SKIPPED
        tokens = (context.correlation_id.set(envelope.correlation_id),
                  context.causation_id.set(envelope.id))
        try:
            # The work runs in the producer's trace: its logs and the events it stages carry the same trace id.
            with tracing.span(f"consume {envelope.type}", tracing.from_record_headers(record.headers),
                              tracing.CONSUMER):
                return self._apply_with_retries(record, envelope, handler)
        finally:
            context.correlation_id.reset(tokens[0])
            context.causation_id.reset(tokens[1])

    def batches(self, record) -> bool:
        """Whether `record` may go into a run applied in one transaction: a type this consumer skips, or one whose
        handler is batchable (judged by the headers; a record without them goes alone)."""
        key = type_from_headers(record.headers)
        return key is not None and (key not in self.handlers or key in self.batchable)

    def process_run(self, records) -> list[str] | None:
        """Apply consecutive records of one partition in ONE transaction: one inbox insert for all of them, one
        parked-key read, each handler in order, one commit. A bulk import's thousands of events then cost a
        commit per run, not per event. Returns each record's outcome, or None when anything failed: the run is
        rolled back whole (its inbox claims too) and the caller processes its records one by one, with the
        retries and dead letters of `process`."""
        outcomes: list[str | None] = [None] * len(records)
        work = []
        for i, record in enumerate(records):
            if self._unhandled(record):
                outcomes[i] = SKIPPED
                continue
            try:
                envelope = parse(record.value)
            except ValueError:
                return None                     # `process` dead-letters it
            handler = self.handlers.get((envelope.type, envelope.version))
            if handler is None:
                outcomes[i] = SKIPPED
                continue
            work.append((i, record, envelope, handler))
        if not work:
            return outcomes
        uow = self.uow_factory()
        try:
            with uow:
                claimed = inbox.claim_many(uow.session, self.group, [(e.id, e.type) for _, _, e, _ in work])
                parked = parking.parked_keys(uow.session, self.group, {e.subject for _, _, e, _ in work})
                todo = []
                for i, record, envelope, handler in work:
                    if envelope.id not in claimed:
                        outcomes[i] = DUPLICATE
                        continue
                    claimed.discard(envelope.id)          # the same event twice in one run: the second is a duplicate
                    if envelope.subject in parked:
                        parking.park(uow.session, self.group, record, envelope, dead_letter=False)
                        outcomes[i] = PARKED
                        continue
                    todo.append((i, record, envelope, handler))
                for stretch in _stretches(todo, self.bulk_handlers):
                    self._apply_stretch(uow, stretch)
                    for i, *_ in stretch:
                        outcomes[i] = APPLIED
                uow.commit()
        except Exception as exc:
            log.warning("batch not applied, its events are applied one by one",
                        extra={"records": len(records), "error": repr(exc)[:500]})
            return None
        log.info("events applied", extra={"records": len(records), "applied": outcomes.count(APPLIED),
                                          "duplicates": outcomes.count(DUPLICATE), "parked": outcomes.count(PARKED)})
        return outcomes

    def _apply_stretch(self, uow, stretch) -> None:
        """One event through its handler, or consecutive events of one type through their bulk handler."""
        _, record, envelope, handler = stretch[0]
        bulk = self.bulk_handlers.get((envelope.type, envelope.version)) if len(stretch) > 1 else None
        with self._consuming(record, envelope):
            if bulk is None:
                handler(uow, envelope)
            else:
                caused = bulk(uow, [e for _, _, e, _ in stretch])
            uow.stage_events()     # its events take this event's trace and correlation, not the next one's
        if bulk is None:
            return
        if caused is not None:
            # The events each envelope caused, staged as if applied one by one: each under its cause's correlation,
            # causation and span, all in one statement.
            rows = []
            for (_, record, envelope, _), events in zip(stretch, caused, strict=True):
                with self._consuming(record, envelope):
                    rows.extend(outbox.rows(uow.envelopes(events), uow.topic))
            outbox.insert_rows(uow.session, rows)
        uow.session.expire_all()   # written with Core: what the session holds is re-read when next used

    @staticmethod
    @contextmanager
    def _consuming(record, envelope):
        with context.caused_by(envelope), tracing.span(
                f"consume {envelope.type}", tracing.from_record_headers(record.headers), tracing.CONSUMER):
            yield

    def _unhandled(self, record) -> bool:
        """True when the record's headers name a type this consumer has no handler for (a version it does not
        know is refused, not skipped). A record without usable headers is parsed in full (and dead-lettered if
        malformed)."""
        key = type_from_headers(record.headers)
        return key is not None and key[0] not in self._types

    def refusal(self, topic: str, envelope: Envelope) -> str | None:
        """Why an event of a type this consumer reads must not be applied, or None: it names a `source` other
        than the topic's owner (anyone who can write to the broker could otherwise publish another service's
        facts), or a schema version of the type that no handler here knows."""
        owner = topic_owner(topic)
        if owner is not None and envelope.source != owner:
            return f"wrong_source: {envelope.source!r} on {topic}, which only {owner!r} publishes"
        if envelope.type in self._types and (envelope.type, envelope.version) not in self.handlers:
            known = sorted(v for t, v in self.handlers if t == envelope.type)
            return f"unknown_version: {envelope.type} v{envelope.version} (this consumer reads v{known})"
        return None

    def _apply_with_retries(self, record, envelope: Envelope, handler: Handler) -> str:
        attempt = 0
        while True:
            try:
                return self._apply(record, envelope, handler)
            except OperationalError as exc:
                # The database is unreachable or busy: not the event's fault, never dead-letter it.
                log.warning("database unavailable, retrying", extra={"error": str(exc)[:200]})
                heartbeat.beat()    # waiting out a database outage is not a stuck loop
                time.sleep(min(5.0, self.retry_sleep_s * 4))
            except Exception as exc:
                attempt += 1
                log.warning("handler failed", extra={"event_type": envelope.type, "event_id": envelope.id,
                                                     "attempt": attempt, "error": repr(exc)[:500]})
                if attempt >= self.max_attempts:
                    self._dead_letter(record, repr(exc), envelope)
                    return DEAD_LETTERED
                time.sleep(self.retry_sleep_s * attempt)

    def _apply(self, record, envelope: Envelope, handler: Handler) -> str:
        uow = self.uow_factory()
        with uow:
            if not inbox.claim(uow.session, self.group, envelope.id, envelope.type):
                log.info("duplicate event ignored", extra={"event_type": envelope.type, "event_id": envelope.id})
                return DUPLICATE
            if parking.is_parked(uow.session, self.group, envelope.subject):
                parking.park(uow.session, self.group, record, envelope, dead_letter=False)
                uow.commit()
                log.warning("event parked behind its key's dead letter",
                            extra={"event_type": envelope.type, "event_id": envelope.id, "key": envelope.subject})
                return PARKED
            handler(uow, envelope)
            uow.commit()
        log.info("event applied", extra={"event_type": envelope.type, "event_id": envelope.id})
        return APPLIED

    def _dead_letter(self, record, error: str, envelope: Envelope | None = None) -> None:
        """Send `record` to the dead-letter topic, then park its key (a malformed record has no key to park and
        nothing to replay: it stays on the topic alone). Sent first: a crash in between re-sends it on
        redelivery (a duplicate on the topic), never parks a key whose dead letter is nowhere to be read."""
        if self.dlq_producer is None and self.dlq_producer_factory is not None:
            self.dlq_producer = self.dlq_producer_factory()
        if self.dlq_producer is None:
            raise RuntimeError("no dead-letter producer configured")
        headers = list(record.headers or []) + [
            ("dlq_error", error[:1000].encode()),
            ("dlq_source", f"{record.topic}:{record.partition}:{record.offset}".encode()),
            ("dlq_consumer", self.group.encode()),
        ]
        self.dlq_producer.send(self.dlq_topic, key=record.key, value=record.value, headers=headers).get(timeout=10)
        metrics.DEAD_LETTERS.labels(self.group, record.topic).inc()
        if envelope is not None:
            uow = self.uow_factory()
            with uow:
                if inbox.claim(uow.session, self.group, envelope.id, envelope.type):
                    parking.park(uow.session, self.group, record, envelope, dead_letter=True, error=error)
                    uow.commit()
            log.error("event dead-lettered, its key is parked until replayed or discarded",
                      extra={"event_type": envelope.type, "event_id": envelope.id, "key": envelope.subject})


def _stretches(todo, bulk_handlers):
    """Split the run's events to apply into single events and maximal stretches of one type with a bulk handler."""
    stretch = []
    for item in todo:
        kind = (item[2].type, item[2].version)
        if stretch and kind in bulk_handlers and (stretch[0][2].type, stretch[0][2].version) == kind:
            stretch.append(item)
            continue
        if stretch:
            yield stretch
        stretch = [item]
        if kind not in bulk_handlers:
            yield stretch
            stretch = []
    if stretch:
        yield stretch


class ConsumerLoop:
    """Polls, processes in order, and commits offsets only for records whose effect is committed."""

    def __init__(self, processor: EventProcessor, topics: list[str], settings: dict,
                 consumer_factory=KafkaConsumer, commit_interval_s: float = 0.5, fetch_wait: FetchWait | None = None):
        """Offsets of finished records are committed at most every `commit_interval_s` (and at once after a
        failure, and on stop): a commit per poll is a broker round trip per handful of events. A crash loses
        at most that interval's commits, and the records it redelivers are duplicates the inbox ignores.
        `fetch_wait` (servicekit.fetchwait) lengthens the broker's fetch wait while no record comes."""
        self.processor = processor
        self.topics = topics
        self.settings = settings
        self.consumer_factory = consumer_factory
        self.commit_interval_s = commit_interval_s
        wait_ms = settings.get("fetch_max_wait_ms", 500)
        self.fetch_wait = fetch_wait or FetchWait(wait_ms, wait_ms)

    def run(self, stop: threading.Event) -> None:
        consumer = self._connect(stop)
        if consumer is None:
            return
        log.info("consumer started", extra={"topics": self.topics, "group": self.settings.get("group_id")})
        pending: dict[TopicPartition, OffsetAndMetadata] = {}
        last_commit = time.monotonic()
        try:
            while not stop.is_set():
                heartbeat.beat()
                try:
                    batches = consumer.poll(timeout_ms=200, max_records=200)
                except KafkaError as exc:
                    log.warning("poll failed: %s", exc)
                    stop.wait(1.0)
                    continue
                self.fetch_wait.after_poll(consumer, bool(batches))
                done, unfinished = self._process_batches(batches, stop)
                metrics.record_lag(consumer, self.settings.get("group_id", ""), batches, done)
                pending.update(done)
                if pending and (unfinished or time.monotonic() - last_commit >= self.commit_interval_s):
                    self._commit_owned(consumer, pending)
                    pending, last_commit = {}, time.monotonic()
                for tp, offset in unfinished.items():
                    consumer.seek(tp, offset)  # read again: stopped, or could not even dead-letter
                if unfinished and not stop.is_set():
                    stop.wait(1.0)
        finally:
            if pending:
                self._commit_owned(consumer, pending)
            consumer.close()
            log.info("consumer stopped")

    def _process_batches(self, batches, stop: threading.Event):
        """Process in order; returns offsets to commit and, per partition, the first record not done. Consecutive
        records the processor lets share a transaction go in one run (`EventProcessor.process_run`); the others,
        and every record of a run that failed, one by one."""
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        unfinished: dict[TopicPartition, int] = {}
        for tp, records in batches.items():
            for run in self._runs(records):
                if stop.is_set() or unfinished:
                    unfinished.setdefault(tp, run[0].offset)
                    break
                if len(run) > 1 and self.processor.process_run(run) is not None:
                    done[tp] = OffsetAndMetadata(run[-1].offset + 1, "", -1)
                    continue
                for record in run:
                    if stop.is_set():
                        unfinished.setdefault(tp, record.offset)
                        break
                    try:
                        self.processor.process(record)
                    except Exception as exc:
                        log.error("record not processed, will retry: %r", exc)
                        unfinished[tp] = record.offset
                        break
                    done[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
                if tp in unfinished:
                    break
        return done, unfinished

    def _runs(self, records):
        """Split one partition's records into runs: maximal stretches the processor may batch, and single records."""
        batches = getattr(self.processor, "batches", None)
        run = []
        for record in records:
            if batches is not None and batches(record):
                run.append(record)
                continue
            if run:
                yield run
                run = []
            yield [record]
        if run:
            yield run

    def _connect(self, stop: threading.Event):
        """Create the Kafka consumer, waiting for the broker instead of crashing the process."""
        delay = 0.2
        while not stop.is_set():
            heartbeat.beat()            # waiting for the broker is not being stuck: no restart for a Kafka blip
            try:
                return self.consumer_factory(*self.topics, **self.settings)
            except KafkaError as exc:
                log.warning("broker unreachable, consumer retrying in %.1fs: %s", delay, exc)
                stop.wait(delay)
                delay = min(delay * 2, 5.0)
        return None

    @classmethod
    def _commit_owned(cls, consumer, offsets) -> None:
        """Commit only partitions this consumer still owns. A rebalance inside poll() may have given one to
        another member, which commits its own progress; our older offset would move the group back (the
        records would come again, harmlessly, but for no reason)."""
        owned = consumer.assignment()
        offsets = {tp: om for tp, om in offsets.items() if tp in owned}
        if offsets:
            cls._commit(consumer, offsets)

    @staticmethod
    def _commit(consumer, offsets) -> None:
        try:
            consumer.commit(offsets)
        except KafkaError as exc:
            # The effects are committed in the database; redelivery is deduplicated by the inbox.
            log.warning("offset commit failed, records may be redelivered: %s", exc)
