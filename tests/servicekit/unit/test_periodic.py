"""The periodic-job loop: a failing step is retried at the next tick, and a stop ends the loop."""
import threading

from servicekit.periodic import run_periodically


def test_a_failed_step_does_not_end_the_job_and_stop_ends_it():
    stop, calls = threading.Event(), []

    def step():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        if len(calls) == 3:
            stop.set()
        return {"done": 1}

    worker = threading.Thread(target=run_periodically, args=(step, 0.01, stop), kwargs={"name": "t"})
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive() and len(calls) == 3
