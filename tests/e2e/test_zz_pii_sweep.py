"""Runs last in the e2e stage: no raw national ID or full phone number anywhere the run left traces."""
import re
import uuid
from datetime import date

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition


def _all_kafka_values(bootstrap: str) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"sweep-{uuid.uuid4()}",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 25})
    values = []
    try:
        topics = [t for t in consumer.list_topics(timeout=10).topics if not t.startswith("__")]
        assignment = []
        ends = {}
        for topic in topics:
            for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                if high > low:
                    assignment.append(TopicPartition(topic, p, OFFSET_BEGINNING))
                    ends[(topic, p)] = high
        consumer.assign(assignment)
        idle = 0
        while idle < 6:   # the broker's high watermark can be off by a batch: read until quiet
            msg = consumer.poll(0.5)
            if msg is None:
                idle += 1
                continue
            idle = 0
            if not msg.error():
                values.append(msg.value() or b"")
                values.extend(v for _, v in (msg.headers() or []))
    finally:
        consumer.close()
    return values


# Any resident ID or mobile number, not only the ones the journeys sent: demo data and fuzzed requests too.
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dX])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9A-Za-z*])(1[3-9]\d{9})(?![0-9A-Za-z])")


def _real_resident_ids(text: str) -> set[str]:
    """18-character strings that pass GB 11643's check character and carry a real birth date."""
    from donor.model import gb11643_check_char

    found = set()
    for candidate in _ID.findall(text):
        try:
            date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
        except ValueError:
            continue
        if 1900 <= int(candidate[6:10]) <= 2100 and gb11643_check_char(candidate[:17]) == candidate[17]:
            found.add(candidate)
    return found


def test_no_identifier_pattern_anywhere_the_run_left_traces(system):
    logs = system.logs()
    kafka = b"\n".join(_all_kafka_values(system.env["KAFKA_BOOTSTRAP_SERVERS"])).decode("utf-8", "replace")
    responses = "\n".join(system.responses)
    for where, text in (("logs", logs), ("kafka", kafka), ("responses", responses)):
        ids = _real_resident_ids(text)
        assert not ids, f"resident ID pattern in {where}: {sorted(i[:3] + '…' + i[-2:] for i in ids)[:5]}"
        phones = set(_PHONE.findall(text))
        assert not phones, f"mobile number pattern in {where}: {sorted(p[:3] + '…' for p in phones)[:5]}"


def test_no_raw_identifier_in_logs_kafka_or_responses(system):
    assert system.sensitive, "the e2e journeys should have sent identifiers to check"
    logs = system.logs()
    kafka = b"\n".join(_all_kafka_values(system.env["KAFKA_BOOTSTRAP_SERVERS"]))
    responses = "\n".join(system.responses)
    assert len(kafka) > 0 and len(responses) > 0
    for value in system.sensitive:
        assert value not in logs, "raw identifier in a log line"
        assert value.encode() not in kafka, "raw identifier in a Kafka record"
        assert value not in responses, "raw identifier in a response"
