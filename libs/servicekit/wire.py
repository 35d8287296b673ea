"""An event's wire schema, derived from its dataclass: the dataclass is the one declaration of an event.

Each annotation maps to one marshmallow field: `str`, `int`, `float`, `bool`; `Decimal` as money (two places,
a string: "220.00"); `datetime` as an aware ISO 8601 time; `date`; `list[X]`/`tuple[X, ...]` as a list of X.
`X | None` may be null. A field without a default is required (the dataclass always has it, so the wire
always carries the key). A list of nested dicts names its item schema in the field's metadata:
`lines: list = field(metadata=items(LineSchema))`.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal

from marshmallow import Schema, fields

_SCALARS = {
    str: fields.String,
    int: fields.Integer,
    float: fields.Float,
    bool: fields.Boolean,
    datetime: fields.AwareDateTime,
    date: fields.Date,
}


def items(schema: type[Schema]) -> dict:
    """Field metadata: the items of this list are dicts shaped by `schema`."""
    return {"wire_items": schema}


def money(**kwargs) -> fields.Decimal:
    return fields.Decimal(places=2, as_string=True, **kwargs)


def _scalar(hint, **kwargs) -> fields.Field:
    if hint is Decimal:
        return money(**kwargs)
    if hint not in _SCALARS:
        raise TypeError(f"no wire field for {hint!r}")
    return _SCALARS[hint](**kwargs)


def wire_field(hint, field: dataclasses.Field) -> fields.Field:
    nullable = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable, hint = len(args) < len(typing.get_args(hint)), args[0]
    required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    kwargs = {"required": required, "allow_none": nullable}
    origin = typing.get_origin(hint) or hint
    if origin in (list, tuple):
        if "wire_items" in field.metadata:
            inner = fields.Nested(field.metadata["wire_items"])
        else:
            args = typing.get_args(hint)
            if not args:
                raise TypeError(f"{field.name}: say what the list holds (list[str], or metadata=items(Schema))")
            inner = _scalar(args[0])
        return fields.List(inner, **kwargs)
    return _scalar(hint, **kwargs)


def event_schema(cls) -> Schema:
    hints = typing.get_type_hints(cls)
    declared = {f.name: wire_field(hints[f.name], f) for f in dataclasses.fields(cls)}
    return Schema.from_dict(declared, name=f"{cls.__name__}Wire")()


def published(*event_classes) -> dict:
    """`{event class: its wire schema}`, what a unit of work dumps published events with."""
    return {cls: event_schema(cls) for cls in event_classes}
