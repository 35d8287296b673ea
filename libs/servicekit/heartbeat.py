"""Liveness for processes without HTTP (consumers, relays, periodic jobs): the loop touches a file, a probe
checks its age.

A loop calls `beat()` each turn (cheap: the file is touched at most once a second) and `wait(stop, s)` instead
of `stop.wait(s)` for long idle waits, so a job that sleeps an hour between runs still says it is alive. The
file is `HEARTBEAT_FILE` (unset: no file, as under `make up`). The probe, for Kubernetes and compose:

    python -m servicekit.heartbeat check [--max-age 120]

exits 0 while the file is younger than max-age seconds, 1 otherwise (a stuck loop is restarted).
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

DEFAULT_MAX_AGE_S = 120.0
BEAT_EVERY_S = 1.0


class Heartbeat:
    def __init__(self, path: str | None):
        self.path = Path(path) if path else None
        self._last = 0.0

    def beat(self) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if now - self._last < BEAT_EVERY_S:
            return
        self._last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()
        os.utime(self.path)

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """`stop.wait(seconds)`, beating meanwhile; True when stop was set."""
        deadline = time.monotonic() + seconds
        while True:
            self.beat()
            left = deadline - time.monotonic()
            if left <= 0:
                return stop.is_set()
            if stop.wait(min(left, 10.0)):
                return True

    def age_s(self) -> float | None:
        """Seconds since the last beat; None when there never was one."""
        try:
            return time.time() - self.path.stat().st_mtime
        except (OSError, AttributeError):
            return None


_default: Heartbeat | None = None


def default() -> Heartbeat:
    global _default
    if _default is None:
        _default = Heartbeat(os.environ.get("HEARTBEAT_FILE"))
    return _default


def reset() -> None:
    """Forget the process's heartbeat (tests change HEARTBEAT_FILE)."""
    global _default
    _default = None


def beat() -> None:
    default().beat()


def wait(stop: threading.Event, seconds: float) -> bool:
    return default().wait(stop, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="servicekit.heartbeat")
    parser.add_argument("command", choices=["check"])
    parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE_S, help="seconds (default 120)")
    args = parser.parse_args(argv)
    path = os.environ.get("HEARTBEAT_FILE")
    if not path:
        print("HEARTBEAT_FILE is not set", file=sys.stderr)
        return 1
    age = Heartbeat(path).age_s()
    if age is None or age > args.max_age:
        print(f"no heartbeat in {path} for {args.max_age:.0f}s" if age is None
              else f"last heartbeat {age:.0f}s ago (> {args.max_age:.0f}s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
