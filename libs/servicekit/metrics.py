"""Prometheus metrics of every process, declared once here (prometheus-client).

APIs and the gateway answer `GET /metrics` (servicekit.web); consumers, relays and jobs serve the same
exposition on METRICS_PORT when it is set (`serve`). Under gunicorn each worker is its own process: with
PROMETHEUS_MULTIPROC_DIR set (the Procfile sets one per gunicorn master; servicekit.gunicorn_conf empties it at
start and forgets dead workers) every worker writes its values there and `/metrics` adds them up, so one scrape
sees the whole master, whichever worker answers it.

What is read from a database (the outbox backlog) is computed at scrape time by a collector, not kept in a
gauge: the number is right whichever process writes the rows, and nothing runs when nobody scrapes.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timezone

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest, multiprocess, start_http_server
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

# Route is the URL rule (`/api/v1/things/<thing_id>`) or the gateway's routing prefix, never the raw path:
# one series per endpoint, not one per id.
REQUEST_SECONDS = Histogram("hemolink_http_request_duration_seconds", "HTTP request latency by route and status",
                            ["service", "route", "method", "status"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
LIMITER_REFUSALS = Counter("hemolink_rate_limit_refusals_total", "Requests refused by a rate limit, by limit kind",
                           ["limit"])
DEAD_LETTERS = Counter("hemolink_dead_letters_total", "Records a consumer sent to its dead-letter topic",
                       ["group", "topic"])
CONSUMER_LAG = Gauge("hemolink_consumer_lag_records", "Records behind the partition's high watermark after the "
                     "last batch", ["group", "topic", "partition"], multiprocess_mode="livemax")
# Set by the relay: 1 while this process is the service's active publisher, 0 while it stands by.
RELAY_LEADER = Gauge("hemolink_relay_leader", "1 while this relay process is the active publisher",
                     ["service"], multiprocess_mode="livemax")


class OutboxCollector:
    """`hemolink_outbox_backlog_events` and `hemolink_outbox_oldest_unpublished_age_seconds`, read at scrape."""

    def __init__(self, session_factory, service: str):
        self.session_factory = session_factory
        self.service = service

    def collect(self):
        from sqlalchemy import func, select

        from .tables import outbox

        backlog = GaugeMetricFamily("hemolink_outbox_backlog_events", "Outbox rows not yet published",
                                    labels=["service"])
        age = GaugeMetricFamily("hemolink_outbox_oldest_unpublished_age_seconds",
                                "Age of the oldest unpublished outbox row (0 when none)", labels=["service"])
        try:
            with self.session_factory() as session:
                count, oldest = session.execute(
                    select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))).one()
        except Exception as exc:      # a scrape during a database outage says so in the log, not as a 500
            log.warning("outbox metrics unavailable: %s", exc)
            return
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=timezone.utc)      # SQLite hands back naive UTC
        backlog.add_metric([self.service], count)
        age.add_metric([self.service], (datetime.now(timezone.utc) - oldest).total_seconds() if oldest else 0.0)
        yield backlog
        yield age


class _Exposition:
    """What one scrape reads: this process's metrics (or, in multiprocess mode, every worker's) and `extra`."""

    def __init__(self, extra=()):
        self.extra = list(extra)

    def collect(self):
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()
        for collector in self.extra:
            yield from collector.collect()


def exposition(extra=()) -> tuple[bytes, str]:
    """The text format body and its content type."""
    return generate_latest(_Exposition(extra)), CONTENT_TYPE_LATEST


def serve(port: int, extra=(), addr: str = "0.0.0.0"):
    """Serve the metrics on `port` from a background thread (consumers, relays, jobs); nothing when port is 0.
    Returns the HTTP server (to shut down), or None."""
    if not port:
        return None
    server, _thread = start_http_server(port, addr=addr, registry=_Exposition(extra))
    log.info("metrics served", extra={"port": port})
    return server


def record_lag(consumer, group: str, batches, done) -> None:
    """Lag per partition from a poll's batches: high watermark minus the next offset this consumer will read."""
    for tp, records in batches.items():
        highwater = consumer.highwater(tp)
        if highwater is None or not records:
            continue
        position = done[tp].offset if tp in done else records[0].offset
        CONSUMER_LAG.labels(group, tp.topic, str(tp.partition)).set(max(0, highwater - position))
