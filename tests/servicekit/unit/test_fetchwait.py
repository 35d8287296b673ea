"""The consumer's fetch wait: short while records come, long once idle (servicekit.fetchwait)."""
from types import SimpleNamespace

from servicekit.fetchwait import FetchWait


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _consumer(wait_ms):
    return SimpleNamespace(_fetcher=SimpleNamespace(config={"fetch_max_wait_ms": wait_ms}))


def test_the_wait_lengthens_after_the_idle_time_and_shortens_at_the_first_record():
    clock, consumer = Clock(), _consumer(25)
    wait = FetchWait(25, 500, idle_after_s=5, clock=clock)
    clock.now += 4.9
    wait.after_poll(consumer, False)
    assert consumer._fetcher.config["fetch_max_wait_ms"] == 25        # not idle long enough yet
    clock.now += 0.2
    wait.after_poll(consumer, False)
    assert consumer._fetcher.config["fetch_max_wait_ms"] == 500
    wait.after_poll(consumer, True)
    assert consumer._fetcher.config["fetch_max_wait_ms"] == 25
    clock.now += 4.0                                                    # the idle time counts from that record
    wait.after_poll(consumer, False)
    assert consumer._fetcher.config["fetch_max_wait_ms"] == 25


def test_equal_waits_never_touch_the_client_and_the_idle_wait_is_never_the_shorter():
    """Production sets 500 ms for both (Apache Kafka answers on arrival); a consumer without a fetcher (the
    tests' fakes) is fine then."""
    clock = Clock()
    wait = FetchWait(500, 500, clock=clock)
    clock.now += 60
    wait.after_poll(SimpleNamespace(), False)
    assert FetchWait(500, 100).idle_ms == 500
