"""Tables and the imperative mapping of the waiver domain classes onto them."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Column, Date, Index, Integer, MetaData,
                        String, Table, Text, UniqueConstraint, event)
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator

from servicekit.db import UtcDateTime
from servicekit.mapping import map_once

from . import model


class Hundredths(TypeDecorator):
    """A two-place Decimal (yuan, U) stored as an exact integer of hundredths (fen) on every database."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


metadata = MetaData()
mapper_registry = registry(metadata=metadata)

ledger_donors = Table(
    "ledger_donors", metadata,
    Column("donor_id", String(36), primary_key=True),
    Column("national_id_blind", String(64), nullable=False, unique=True),
    Column("national_id_masked", String(40), nullable=False),
    Column("region", String(8), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("phenotypes", JSON, nullable=True),          # rare phenotypes (DonorUpdated); none known: NULL
)

ledger_donations = Table(
    "ledger_donations", metadata,
    Column("donation_id", String(36), primary_key=True),
    Column("donor_id", String(36), nullable=False, index=True),
    Column("region", String(8), nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("volume_ml", Integer, nullable=True),
    Column("doses", Integer, nullable=True),
    Column("counts_as_ml", Integer, nullable=False),
    Column("din", String(20), nullable=False),
    Column("rhd", String(3), nullable=False),
    Column("collected_at", UtcDateTime, nullable=False),
)

ledger_awards = Table(
    "ledger_awards", metadata,
    Column("donor_id", String(36), primary_key=True),
    Column("level", String(20), primary_key=True),
    Column("granted_at", UtcDateTime, nullable=False),
)

transfusions = Table(
    "transfusions", metadata,
    Column("unit_id", String(40), primary_key=True),
    Column("din", String(20), nullable=False, index=True),
    Column("donor_id", String(36), nullable=True),
    Column("hospital_id", String(40), nullable=False),
    Column("hospital_name", String(200), nullable=True),
    Column("region", String(8), nullable=True),
    Column("component", String(20), nullable=False),
    Column("units", Hundredths, nullable=True),
    Column("volume_ml", Integer, nullable=True),
    Column("patient_blind", String(64), nullable=False, index=True),
    Column("transfused_at", UtcDateTime, nullable=False, index=True),
    Column("reminder_issued_at", UtcDateTime, nullable=True),
)

pools = Table(
    "pools", metadata,
    Column("id", String(36), primary_key=True),
    Column("donor_id", String(36), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("region", String(8), nullable=False),
    Column("used_ml", Integer, nullable=False),
    Column("used_yuan", Hundredths, nullable=False),
    UniqueConstraint("donor_id", "kind", "region", name="uq_pools_donor_kind_region"),
    CheckConstraint("used_ml >= 0 AND used_yuan >= 0", name="ck_pools_not_negative"),
)

pool_usages = Table(
    "pool_usages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pool_id", String(36), nullable=False, index=True),
    Column("donor_id", String(36), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("region", String(8), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("deduction_id", String(36), nullable=True, index=True),
    Column("claim_id", String(36), nullable=True, index=True),
    Column("line_no", Integer, nullable=False),
    Column("ml", Integer, nullable=False),
    Column("yuan", Hundredths, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("reversed_at", UtcDateTime, nullable=True),
)

waived_lines = Table(
    "waived_lines", metadata,
    Column("line_key", String(200), primary_key=True),     # the cross-channel uniqueness
    Column("channel", String(20), nullable=False),
    Column("deduction_id", String(36), nullable=True, index=True),
    Column("claim_id", String(36), nullable=True, index=True),
    Column("waived_yuan", Hundredths, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("hospital_id", String(40), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("deduction_id", String(36), nullable=True),
    Column("response", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

family_bindings = Table(
    "family_bindings", metadata,
    Column("id", String(36), primary_key=True),
    Column("donor_id", String(36), nullable=False, index=True),
    Column("donor_region", String(8), nullable=False),
    Column("name", String(100), nullable=False),
    Column("relative_national_id_encrypted", String(300), nullable=False),
    Column("relative_blind", String(64), nullable=False, index=True),
    Column("relative_masked", String(40), nullable=False),
    Column("relation", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decided_by", String(100), nullable=True),
    UniqueConstraint("donor_id", "relative_blind", name="uq_family_donor_relative"),
)

deductions = Table(
    "deductions", metadata,
    Column("id", String(36), primary_key=True),
    Column("hospital_id", String(40), nullable=False),
    Column("hospital_region", String(8), nullable=True),
    Column("patient_blind", String(64), nullable=False, index=True),
    Column("patient_masked", String(40), nullable=False),
    Column("patient_name", String(100), nullable=False),
    Column("admission_no", String(60), nullable=False),
    Column("discharged_at", UtcDateTime, nullable=True),
    Column("donor_id", String(36), nullable=True),
    Column("relation", String(20), nullable=False),
    Column("relation_attested", Boolean, nullable=False),
    Column("proof_ref", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("total_yuan", Hundredths, nullable=False),
    Column("waived_yuan", Hundredths, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("pools_used", JSON, nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
    Column("reversed_at", UtcDateTime, nullable=True),
    Column("reverse_reason", String(500), nullable=True),
    Column("relative_conditions_attested", Boolean, nullable=False, default=False),
    Index("ix_deductions_hospital_applied", "hospital_id", "applied_at"),
)

claims = Table(
    "claims", metadata,
    Column("id", String(36), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("region", String(8), nullable=False, index=True),
    Column("owner_donor_id", String(36), nullable=True, index=True),
    Column("donor_id", String(36), nullable=False),
    Column("relation", String(20), nullable=False),
    Column("patient_blind", String(64), nullable=False),
    Column("patient_masked", String(40), nullable=False),
    Column("patient_name", String(100), nullable=False),
    Column("hospital_name", String(200), nullable=False),
    Column("hospital_site_id", String(40), nullable=True),
    Column("admission_no", String(60), nullable=True),
    Column("invoice_no", String(60), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("bank_account_name", String(100), nullable=False),
    Column("bank_account_no_encrypted", String(300), nullable=False),
    Column("bank_account_no_masked", String(40), nullable=False),
    Column("bank_name", String(100), nullable=False),
    Column("tracking_no", String(60), nullable=True),
    Column("received_on", Date, nullable=True),            # a mail claim's day of receipt (Shanghai)
    Column("total_yuan", Hundredths, nullable=False),
    Column("approved_yuan", Hundredths, nullable=True),
    Column("pools_used", JSON, nullable=True),
    Column("reason", String(500), nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("submitted_at", UtcDateTime, nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("paid_at", UtcDateTime, nullable=True),
    Column("payment_ref", String(100), nullable=True),
    Column("handling_region", String(8), nullable=True, index=True),
    Column("payments", JSON, nullable=True),
    Column("relative_conditions_attested", Boolean, nullable=False, default=False),
)

claim_documents = Table(
    "claim_documents", metadata,
    Column("id", String(36), primary_key=True),
    Column("claim_id", String(36), nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(50), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(300), nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Column("uploaded_by", String(100), nullable=False),
)

# Policy versions beyond (or replacing) the defaults in policy_data; the body is Policy.to_dict().
policies = Table(
    "policies", metadata,
    Column("region", String(8), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("body", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

_MAPPED = [
    (model.LedgerDonor, ledger_donors), (model.Donation, ledger_donations), (model.Award, ledger_awards),
    (model.Transfusion, transfusions), (model.Pool, pools), (model.PoolUsage, pool_usages),
    (model.WaivedLine, waived_lines), (model.IdempotencyRecord, idempotency_keys),
    (model.FamilyBinding, family_bindings), (model.Deduction, deductions), (model.Claim, claims),
    (model.ClaimDocument, claim_documents),
]


def _map_all() -> None:
    for cls, table in _MAPPED:
        mapper_registry.map_imperatively(cls, table)


start_mappers = map_once(mapper_registry, _map_all)


def _init_events(obj, _context):
    obj.events = []


def _init_claim(claim, _context):
    claim.events, claim.documents = [], []


for _cls in (model.LedgerDonor, model.Deduction):
    event.listens_for(_cls, "load")(_init_events)
event.listens_for(model.Claim, "load")(_init_claim)
