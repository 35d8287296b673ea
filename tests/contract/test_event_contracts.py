"""Each published (type, version), dumped by its producer's schema, loads in every consumer's inbound
schema, so a producer change that would break a consumer fails here and not in production."""
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from marshmallow import fields, validate

import donor.events
import donor.handlers
import inventory.events
import inventory.handlers
import waiver.events
import waiver.handlers

PRODUCERS = {c.TYPE: schema for module in (donor.events, inventory.events, waiver.events)
             for c, schema in module.PUBLISHED.items()}

# consumer → {event type: the inbound schema its handler loads}; no-op handlers read no fields
INBOUND = {
    "donor": {"DonationDiscarded": donor.handlers.DonationDiscardedIn, "UnitTransfused": donor.handlers.UnitTransfusedIn,
              "StockLevelChanged": donor.handlers.StockLevelChangedIn, "ClaimSubmitted": donor.handlers.ClaimIn,
              "ClaimApproved": donor.handlers.ClaimIn, "ClaimRejected": donor.handlers.ClaimIn,
              "ClaimPaid": donor.handlers.ClaimIn, "ClaimReminderIssued": donor.handlers.ClaimReminderIn,
              "FamilyPoolUsed": donor.handlers.FamilyPoolUsedIn},
    "inventory": {"DonationRecorded": inventory.handlers.DonationRecordedIn, "DonorRegistered": None,
                  "AppointmentBooked": inventory.handlers.AppointmentIn,
                  "AppointmentCancelled": inventory.handlers.AppointmentIn,
                  "AppointmentMissed": inventory.handlers.AppointmentIn,
                  "DriveScheduled": inventory.handlers.DriveScheduledIn,
                  "PostDonationReported": inventory.handlers.PostDonationReportedIn},
    "waiver": {"DonorRegistered": waiver.handlers.DonorRegisteredIn, "DonorUpdated": waiver.handlers.DonorUpdatedIn,
               "DonationRecorded": waiver.handlers.DonationRecordedIn, "AwardGranted": waiver.handlers.AwardGrantedIn,
               "UnitTransfused": waiver.handlers.UnitTransfusedIn},
}
HANDLERS = {"donor": donor.handlers.HANDLERS, "inventory": inventory.handlers.HANDLERS,
            "waiver": waiver.handlers.HANDLERS}


def _value(field, inbound_field=None):
    """A Python value of the producer field's type (an allowed choice when the consumer validates one)."""
    validators = (inbound_field.validators if inbound_field else []) + list(field.validators)
    choices = next((v.choices for v in validators if isinstance(v, validate.OneOf)), None)
    if choices:
        return list(choices)[0]
    if isinstance(field, fields.Nested):
        return _sample(field.schema)
    if isinstance(field, fields.List):
        return [_value(field.inner)]
    if isinstance(field, (fields.AwareDateTime, fields.DateTime, fields.NaiveDateTime)):
        return datetime(2026, 6, 1, 8, 30, tzinfo=timezone.utc)
    if isinstance(field, fields.Date):
        return date(2026, 6, 1)
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, fields.Integer):
        return 2
    if isinstance(field, (fields.Decimal, fields.Float)):
        return Decimal("2.00")
    if isinstance(field, fields.Dict):
        return {}
    return "x2"


def _sample(schema, inbound=None) -> dict:
    inbound_fields = inbound().fields if inbound else {}
    return {name: _value(f, inbound_fields.get(name)) for name, f in schema.fields.items()}


CASES = [(consumer, type_) for consumer, table in INBOUND.items() for type_ in table]


def test_the_table_covers_every_handler_of_every_consumer():
    for consumer, handlers in HANDLERS.items():
        assert {t for t, _ in handlers} == set(INBOUND[consumer]), consumer
        assert all(v == 1 for _, v in handlers), consumer


@pytest.mark.parametrize("consumer,type_", CASES, ids=[f"{c}<-{t}" for c, t in CASES])
def test_what_the_producer_publishes_loads_in_the_consumer(consumer, type_):
    assert type_ in PRODUCERS, f"{consumer} handles {type_}, which no service publishes"
    inbound = INBOUND[consumer][type_]
    producer = PRODUCERS[type_]
    wire = json.loads(json.dumps(producer.dump(_sample(producer, inbound)), default=str))
    if inbound is None:
        return
    missing = {n for n, f in inbound().fields.items() if f.required and n not in producer.fields}
    assert not missing, f"{consumer} requires {missing} that {type_} does not carry"
    loaded = inbound().load(wire)                         # raises on a type the consumer cannot read
    assert set(loaded) >= {n for n, f in inbound().fields.items() if f.required}


@pytest.mark.parametrize("module", [donor.events, inventory.events, waiver.events], ids=lambda m: m.__name__)
def test_every_event_class_is_published_with_the_schema_derived_from_it(module):
    """The dataclass is the one declaration: every event type a module defines is published, and its wire
    fields are exactly the dataclass's."""
    import dataclasses

    defined = {c for c in vars(module).values()
               if isinstance(c, type) and dataclasses.is_dataclass(c) and "TYPE" in vars(c)}
    assert defined == set(module.PUBLISHED)
    for cls, schema in module.PUBLISHED.items():
        assert list(schema.fields) == [f.name for f in dataclasses.fields(cls)]
