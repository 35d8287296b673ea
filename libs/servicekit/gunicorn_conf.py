"""gunicorn settings for every api and the gateway (`gunicorn -c python:servicekit.gunicorn_conf ...`): the
hooks prometheus-client's multiprocess mode needs when PROMETHEUS_MULTIPROC_DIR is set (servicekit.metrics)."""
from __future__ import annotations

import os
import shutil


def on_starting(server):
    """Start from an empty directory: files of an earlier run's workers would be added to this run's counts."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    """A dead worker's live gauges leave the exposition; its counters and histograms stay in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
