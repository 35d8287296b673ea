"""Request and event context carried across HTTP, logs and event envelopes."""
from __future__ import annotations

import contextlib
import contextvars
import uuid

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
causation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("causation_id", default=None)


def new_id() -> str:
    return str(uuid.uuid4())


def current_correlation_id() -> str:
    return correlation_id.get() or request_id.get() or new_id()


@contextlib.contextmanager
def caused_by(envelope):
    """Work done because of `envelope` (its writes' events and logs carry its correlation and causation)."""
    tokens = (correlation_id.set(envelope.correlation_id), causation_id.set(envelope.id))
    try:
        yield
    finally:
        correlation_id.reset(tokens[0])
        causation_id.reset(tokens[1])
