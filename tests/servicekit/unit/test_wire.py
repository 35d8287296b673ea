"""An event's wire schema is derived from its dataclass: types, nulls, required-ness and nested items."""
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from marshmallow import Schema, fields

from servicekit.wire import event_schema, items


class LineSchema(Schema):
    units = fields.Float(required=True)


@dataclass(frozen=True)
class Sample:
    name: str
    count: int
    paid_yuan: Decimal
    at: datetime
    on: date | None
    ids: list[str]
    lines: list = field(metadata=items(LineSchema))
    note: str | None = None


def test_each_annotation_becomes_its_wire_field_and_the_dump_is_the_payload():
    schema = event_schema(Sample)
    f = schema.fields
    assert [type(f[n]) for n in ("name", "count", "paid_yuan", "at", "on", "ids", "lines")] == [
        fields.String, fields.Integer, fields.Decimal, fields.AwareDateTime, fields.Date, fields.List, fields.List]
    assert f["on"].required and f["on"].allow_none and not f["note"].required and f["note"].allow_none
    assert not f["name"].allow_none
    event = Sample("n", 2, Decimal("220"), datetime(2026, 12, 7, tzinfo=timezone.utc), None, ["a"],
                   ({"units": 1.5},))
    assert schema.dump(event) == {"name": "n", "count": 2, "paid_yuan": "220.00", "at": "2026-12-07T00:00:00+00:00",
                                  "on": None, "ids": ["a"], "lines": [{"units": 1.5}], "note": None}


def test_a_list_that_does_not_say_what_it_holds_is_refused():
    @dataclass(frozen=True)
    class Vague:
        things: list

    with pytest.raises(TypeError):
        event_schema(Vague)
