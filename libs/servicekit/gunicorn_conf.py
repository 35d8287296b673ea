"""gunicorn settings for every api and the gateway (`gunicorn -c python:servicekit.gunicorn_conf ...`): the
hooks prometheus-client's multiprocess mode needs (servicekit.metrics), so that one scrape of any worker
answers for all of them.

PROMETHEUS_MULTIPROC_DIR is the directory the workers write their values to; without one set, each master
makes its own under the system's temporary directory and removes it on exit. It is set before any worker
starts (the app is loaded in the workers, after the fork), which is when prometheus-client reads it.
"""
from __future__ import annotations

import os
import shutil
import tempfile

_MADE_HERE = "_HEMOLINK_METRICS_DIR_MADE_HERE"


def on_starting(server):
    """Start from an empty directory: files of an earlier run's workers would be added to this run's counts."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ[_MADE_HERE] = tempfile.mkdtemp(prefix="hemolink-metrics-")


def child_exit(server, worker):
    """A dead worker's live gauges leave the exposition; its counters and histograms stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get(_MADE_HERE):
        shutil.rmtree(os.environ[_MADE_HERE], ignore_errors=True)


# Idle keep-alive connections are held this long (gunicorn's default is 2 s). A request sent on a connection just
# as the server closes it is lost, and only the client can avoid that by closing first: nginx's upstream pool
# (keepalive_timeout 60 s by default) and the gateway's pool reuse connections after gaps of seconds, so the
# servers behind them hold idle connections longer. gthread keeps idle connections in its poller, not a thread.
keepalive = 75
