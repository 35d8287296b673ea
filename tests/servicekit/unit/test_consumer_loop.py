"""The consumer loop commits offsets only for records it finished, in order."""
import threading

from kafka.structs import TopicPartition

from servicekit.consumer import ConsumerLoop
from servicekit.testing import FakeRecord


class ScriptedConsumer:
    """Polls return the scripted batches in turn; a ("revoke", tp) step is a rebalance inside poll() that
    takes the partition away (and returns nothing)."""

    def __init__(self, batches, stop):
        self.batches, self.stop = list(batches), stop
        self.commits, self.seeks, self.closed = [], [], False
        self.owned = {tp for b in self.batches if isinstance(b, dict) for tp in b}

    def poll(self, timeout_ms=0, max_records=0):
        if not self.batches:
            self.stop.set()
            return {}
        step = self.batches.pop(0)
        if isinstance(step, tuple):
            self.owned.discard(step[1])
            return {}
        return step

    def assignment(self):
        return set(self.owned)

    def highwater(self, tp):
        return None          # unknown until a fetch response said it (kafka-python's answer then)

    def commit(self, offsets):
        self.commits.append({tp: om.offset for tp, om in offsets.items()})

    def seek(self, tp, offset):
        self.seeks.append((tp, offset))

    def close(self):
        self.closed = True


class FlakyProcessor:
    def __init__(self, fail_offsets):
        self.fail_offsets, self.seen = set(fail_offsets), []

    def process(self, record):
        if record.offset in self.fail_offsets:
            self.fail_offsets.discard(record.offset)
            raise RuntimeError("dead-letter topic unreachable")
        self.seen.append(record.offset)


def _run(batches, processor, **loop_settings):
    stop = threading.Event()
    holder = {}

    def factory(*_topics, **_settings):
        holder["c"] = ScriptedConsumer(batches, stop)
        return holder["c"]

    ConsumerLoop(processor, ["t"], {}, consumer_factory=factory, **loop_settings).run(stop)
    return holder["c"]


def test_offsets_committed_are_one_past_the_last_processed_record():
    tp = TopicPartition("t", 0)
    consumer = _run([{tp: [FakeRecord(b"", offset=o) for o in (0, 1, 2)]}], FlakyProcessor([]))
    assert consumer.commits == [{tp: 3}] and consumer.closed


def test_a_record_that_cannot_be_processed_is_not_committed_and_is_read_again():
    tp = TopicPartition("t", 0)
    processor = FlakyProcessor([1])
    consumer = _run([{tp: [FakeRecord(b"", offset=o) for o in (0, 1, 2)]},
                     {tp: [FakeRecord(b"", offset=o) for o in (1, 2)]}], processor)
    assert consumer.commits[0] == {tp: 1}          # only record 0 was done
    assert consumer.seeks == [(tp, 1)]             # position moved back to the failed record
    assert processor.seen == [0, 1, 2]             # then it was processed, once
    assert consumer.commits[-1] == {tp: 3}


def test_offsets_are_committed_once_per_interval_not_once_per_poll():
    tp = TopicPartition("t", 0)
    polls = [{tp: [FakeRecord(b"", offset=o)]} for o in range(10)]
    lazy = _run(polls, FlakyProcessor([]), commit_interval_s=60)
    assert lazy.commits == [{tp: 10}]              # ten polls, one commit (on stop) of the last offset
    eager = _run([{tp: [FakeRecord(b"", offset=o)]} for o in range(10)], FlakyProcessor([]), commit_interval_s=0)
    assert eager.commits == [{tp: o + 1} for o in range(10)]


def test_offsets_of_a_partition_taken_away_in_a_rebalance_are_not_committed():
    mine, theirs = TopicPartition("t", 0), TopicPartition("t", 1)
    consumer = _run([{mine: [FakeRecord(b"", offset=0)], theirs: [FakeRecord(b"", offset=0)]},
                     ("revoke", theirs),
                     {mine: [FakeRecord(b"", offset=1)]}], FlakyProcessor([]), commit_interval_s=60)
    # the new owner of partition 1 commits its own progress; ours would only move the group back
    assert consumer.commits == [{mine: 2}]
