"""The consumer loop commits offsets only for records it finished, in order."""
import threading

from kafka.structs import TopicPartition

from servicekit.consumer import ConsumerLoop
from servicekit.testing import FakeRecord


class ScriptedConsumer:
    def __init__(self, batches, stop):
        self.batches, self.stop = list(batches), stop
        self.commits, self.seeks, self.closed = [], [], False

    def poll(self, timeout_ms=0, max_records=0):
        if not self.batches:
            self.stop.set()
            return {}
        return self.batches.pop(0)

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
