"""Run a long-lived loop until SIGTERM or SIGINT, then let it finish its current step."""
from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

log = logging.getLogger(__name__)


def run_until_signalled(loop: Callable[[threading.Event], None]) -> None:
    stop = threading.Event()

    def _stop(signum, _frame):
        log.info("stop requested", extra={"signal": signum})
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    loop(stop)
