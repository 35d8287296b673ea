"""How long a consumer lets the broker park an empty fetch: short while events flow, long once it is idle.

Apache Kafka answers a parked fetch as soon as data arrives, so production simply sets a long wait (500 ms,
Kafka's default) and both figures are the same. The local broker (Tansu) holds every fetch for about half the
wait, data or not (docs/tooling-notes.md §2d, measured again in docs/performance.md "At rest"): a short wait is
what keeps write → effect fast, and it is also an empty fetch every ~12 ms per consumer around the clock, most of
an idle system's CPU. So a consumer that has seen no record for `idle_after_s` asks for the long wait, and the
first record it sees brings the short one back. The price, on the local broker only: the first event after a
quiet spell waits up to half the idle wait.

kafka-python reads `fetch_max_wait_ms` from its fetcher's config each time it builds a fetch request and has no
public setter for it; kafka-python is pinned (pyproject.toml) and tests/servicekit checks the attribute is there.
"""
from __future__ import annotations

import time


class FetchWait:
    def __init__(self, busy_ms: int, idle_ms: int, idle_after_s: float = 5.0, clock=time.monotonic):
        self.busy_ms = busy_ms
        self.idle_ms = max(idle_ms, busy_ms)
        self.idle_after_s = idle_after_s
        self.clock = clock
        self.last_record = clock()
        self.idle = False

    def after_poll(self, consumer, got_records: bool) -> None:
        """Called after every poll with whether it returned records; switches the consumer's wait if due."""
        if self.idle_ms == self.busy_ms:
            return
        now = self.clock()
        if got_records:
            self.last_record = now
            if self.idle:
                self._set(consumer, self.busy_ms)
                self.idle = False
        elif not self.idle and now - self.last_record >= self.idle_after_s:
            self._set(consumer, self.idle_ms)
            self.idle = True

    @staticmethod
    def _set(consumer, wait_ms: int) -> None:
        consumer._fetcher.config["fetch_max_wait_ms"] = wait_ms
