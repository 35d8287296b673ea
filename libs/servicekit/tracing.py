"""W3C trace context (`traceparent`) from the gateway to the services, into Kafka headers, into consumers' work.

OpenTelemetry's API reads and writes the header (TraceContextTextMapPropagator) and keeps the current span in
context; its SDK's TracerProvider gives each span its ids. The API alone cannot start a trace: with no SDK it
only hands back the context it was given (a non-recording span), so a request arriving without `traceparent`
would get none, and a consumer's work would carry the producer's span id as its own. No span processor is
installed: nothing is exported yet, and an exporter (OTLP to a collector) is one `add_span_processor` away.
Logs carry the trace id (servicekit.logs), which is what follows one discharge across services today.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterable, Mapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

HEADER = "traceparent"

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER = TracerProvider().get_tracer("hemolink")

SERVER, CLIENT, PRODUCER, CONSUMER = SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER


def from_headers(headers: Mapping[str, str] | None):
    """The remote parent in `headers` (an HTTP header mapping; case does not matter), or None."""
    if not headers:
        return None
    carrier = {k.lower(): v for k, v in headers.items() if k.lower() in (HEADER, "tracestate")}
    return _PROPAGATOR.extract(carrier) if carrier else None


def from_record_headers(headers: Iterable[tuple[str, bytes]] | None):
    """The remote parent in a Kafka record's headers, or None."""
    found = {}
    for key, value in headers or ():
        if key in (HEADER, "tracestate") and value:
            try:
                found[key] = value.decode()
            except (AttributeError, UnicodeDecodeError):
                continue
    return _PROPAGATOR.extract(found) if found else None


def start(name: str, parent=None, kind=SERVER):
    """Start a span, child of `parent` (a context from `from_headers`) or a new trace, and make it current.
    Returns a handle for `end`: for hooks that start and end in different callbacks (Flask's)."""
    span = _TRACER.start_span(name, context=parent, kind=kind)
    return span, otel_context.attach(trace.set_span_in_context(span))


def end(handle) -> None:
    span, token = handle
    span.end()
    otel_context.detach(token)


@contextmanager
def span(name: str, parent=None, kind=SERVER):
    handle = start(name, parent, kind)
    try:
        yield handle[0]
    finally:
        end(handle)


def current_traceparent() -> str | None:
    """`traceparent` of the current span, for an outgoing call or an event's headers; None outside any trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(HEADER)


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
