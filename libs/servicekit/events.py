"""A lean shape for published events: `subject` + `data`, with one marshmallow schema per type.

Services that prefer one dataclass per event (donor) don't need this; services with many small
events (inventory, waiver) declare `Name = event_type("Name")` and `PUBLISHED = {Name: dumps(Schema())}`.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    TYPE = "Event"
    VERSION = 1
    subject: str
    data: dict = field(default_factory=dict)


def event_type(name: str, version: int = 1) -> type[Event]:
    return type(name, (Event,), {"TYPE": name, "VERSION": version})


class dumps:
    """Adapts a data schema to the unit of work's `schema.dump(event)` call."""

    def __init__(self, schema):
        self.schema = schema

    def dump(self, event: Event) -> dict:
        return self.schema.dump(event.data)
