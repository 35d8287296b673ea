"""The event envelope (CloudEvents vocabulary) and its wire schema."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime, timezone
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load

from . import context, tracing


@dataclass(frozen=True)
class Envelope:
    type: str
    version: int
    source: str
    subject: str
    data: dict[str, Any]
    id: str = field(default_factory=context.new_id)
    time: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    correlation_id: str | None = None
    causation_id: str | None = None

    @classmethod
    def new(cls, type: str, version: int, source: str, subject: str, data: dict[str, Any]) -> "Envelope":
        """An envelope for a new event, inheriting the current correlation and causation ids."""
        return cls(
            type=type,
            version=version,
            source=source,
            subject=str(subject),
            data=data,
            correlation_id=context.current_correlation_id(),
            causation_id=context.causation_id.get(),
        )

    def to_json(self) -> bytes:
        # A shallow dict of the fields, not dataclasses.asdict(): that deep-copies `data` only for it to be
        # serialised, on every money request (docs/performance.md). Same keys, same order, same bytes.
        return json.dumps({name: getattr(self, name) for name in _FIELDS}, ensure_ascii=False,
                          separators=(",", ":")).encode()

    def headers(self) -> list[tuple[str, bytes]]:
        """Record headers. Called where the event is staged (outbox.add, in the request or the consumer's work),
        so the current span's traceparent goes with the event and the consumer continues that trace."""
        headers = [
            ("type", self.type.encode()),
            ("version", str(self.version).encode()),
            ("correlation_id", (self.correlation_id or "").encode()),
        ]
        traceparent = tracing.current_traceparent()
        if traceparent:
            headers.append((tracing.HEADER, traceparent.encode()))
        return headers


_FIELDS = tuple(f.name for f in dataclass_fields(Envelope))


def type_from_headers(headers) -> tuple[str, int] | None:
    """(type, version) as `Envelope.headers()` wrote them on a record, or None when they are missing, null or
    garbled (then only the body can tell)."""
    found = dict(headers or ())
    try:
        return found["type"].decode(), int(found["version"])
    except (KeyError, ValueError, TypeError, AttributeError, UnicodeDecodeError):
        return None


class EnvelopeSchema(Schema):
    """Tolerant reader: unknown top-level fields are ignored."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True)
    type = fields.String(required=True)
    version = fields.Integer(required=True)
    source = fields.String(required=True)
    subject = fields.String(required=True)
    time = fields.String(required=True)
    correlation_id = fields.String(allow_none=True, load_default=None)
    causation_id = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(required=True)

    @post_load
    def _make(self, values, **_kwargs) -> Envelope:
        return Envelope(**values)


_SCHEMA = EnvelopeSchema()     # built once: a marshmallow schema costs more to build than to load with


def parse(raw: bytes | str) -> Envelope:
    """Parse a Kafka record value into an Envelope; raises ValueError on anything malformed."""
    try:
        payload = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    from marshmallow import ValidationError

    try:
        return _SCHEMA.load(payload)
    except ValidationError as exc:
        raise ValueError(f"not an envelope: {exc.messages}") from exc
