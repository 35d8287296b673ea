"""Waiver: ledger of donations/awards/transfusions, pools, family bindings, deductions, claims, policies,
idempotency keys, audit trail and the money chain.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from servicekit.audit import create_audit_tables
from servicekit.chain import create_chain_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
FEN = sa.BigInteger          # money and U as exact integers of hundredths


def _id(name="id"):
    return sa.Column(name, sa.String(36), primary_key=True)


def upgrade():
    create_audit_tables(op.get_bind())
    create_chain_tables(op.get_bind())
    op.create_table(
        "ledger_donations", _id("donation_id"),
        sa.Column("donor_id", sa.String(36), nullable=False, index=True),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("site_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("volume_ml", sa.Integer, nullable=True),
        sa.Column("doses", sa.Integer, nullable=True),
        sa.Column("counts_as_ml", sa.Integer, nullable=False),
        sa.Column("din", sa.String(20), nullable=False),
        sa.Column("rhd", sa.String(3), nullable=False),
        sa.Column("collected_at", TS, nullable=False),
    )
    op.create_table(
        "ledger_awards",
        sa.Column("donor_id", sa.String(36), primary_key=True),
        sa.Column("level", sa.String(20), primary_key=True),
        sa.Column("granted_at", TS, nullable=False),
    )
    op.create_table(
        "transfusions",
        sa.Column("unit_id", sa.String(40), primary_key=True),
        sa.Column("din", sa.String(20), nullable=False, index=True),
        sa.Column("donor_id", sa.String(36), nullable=True),
        sa.Column("hospital_id", sa.String(40), nullable=False),
        sa.Column("hospital_name", sa.String(200), nullable=True),
        sa.Column("region", sa.String(8), nullable=True),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("units", FEN, nullable=True),
        sa.Column("volume_ml", sa.Integer, nullable=True),
        sa.Column("patient_blind", sa.String(64), nullable=False, index=True),
        sa.Column("transfused_at", TS, nullable=False, index=True),
        sa.Column("reminder_issued_at", TS, nullable=True),
    )
    op.create_table(
        "pools", _id(),
        sa.Column("donor_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("used_ml", sa.Integer, nullable=False),
        sa.Column("used_yuan", FEN, nullable=False),
        sa.UniqueConstraint("donor_id", "kind", "region", name="uq_pools_donor_kind_region"),
        sa.CheckConstraint("used_ml >= 0 AND used_yuan >= 0", name="ck_pools_not_negative"),
    )
    op.create_table(
        "pool_usages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pool_id", sa.String(36), nullable=False, index=True),
        sa.Column("donor_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("deduction_id", sa.String(36), nullable=True, index=True),
        sa.Column("claim_id", sa.String(36), nullable=True, index=True),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("ml", sa.Integer, nullable=False),
        sa.Column("yuan", FEN, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("reversed_at", TS, nullable=True),
    )
    op.create_table(
        "waived_lines",
        sa.Column("line_key", sa.String(200), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("deduction_id", sa.String(36), nullable=True, index=True),
        sa.Column("claim_id", sa.String(36), nullable=True, index=True),
        sa.Column("waived_yuan", FEN, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("hospital_id", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "family_bindings", _id(),
        sa.Column("donor_id", sa.String(36), nullable=False, index=True),
        sa.Column("donor_region", sa.String(8), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("relative_national_id_encrypted", sa.String(300), nullable=False),
        sa.Column("relative_blind", sa.String(64), nullable=False, index=True),
        sa.Column("relative_masked", sa.String(40), nullable=False),
        sa.Column("relation", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.UniqueConstraint("donor_id", "relative_blind", name="uq_family_donor_relative"),
    )
    op.create_table(
        "deductions", _id(),
        sa.Column("hospital_id", sa.String(40), nullable=False),
        sa.Column("hospital_region", sa.String(8), nullable=True),
        sa.Column("patient_blind", sa.String(64), nullable=False, index=True),
        sa.Column("patient_masked", sa.String(40), nullable=False),
        sa.Column("patient_name", sa.String(100), nullable=False),
        sa.Column("admission_no", sa.String(60), nullable=False),
        sa.Column("discharged_at", TS, nullable=True),
        sa.Column("donor_id", sa.String(36), nullable=True),
        sa.Column("relation", sa.String(20), nullable=False),
        sa.Column("relation_attested", sa.Boolean, nullable=False),
        sa.Column("proof_ref", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total_yuan", FEN, nullable=False),
        sa.Column("waived_yuan", FEN, nullable=False),
        sa.Column("lines", sa.JSON, nullable=False),
        sa.Column("pools_used", sa.JSON, nullable=False),
        sa.Column("applied_at", TS, nullable=False),
        sa.Column("reversed_at", TS, nullable=True),
        sa.Column("reverse_reason", sa.String(500), nullable=True),
    )
    op.create_index("ix_deductions_hospital_applied", "deductions", ["hospital_id", "applied_at"])
    op.create_table(
        "claims", _id(),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("region", sa.String(8), nullable=False, index=True),
        sa.Column("owner_donor_id", sa.String(36), nullable=True, index=True),
        sa.Column("donor_id", sa.String(36), nullable=False),
        sa.Column("relation", sa.String(20), nullable=False),
        sa.Column("patient_blind", sa.String(64), nullable=False),
        sa.Column("patient_masked", sa.String(40), nullable=False),
        sa.Column("patient_name", sa.String(100), nullable=False),
        sa.Column("hospital_name", sa.String(200), nullable=False),
        sa.Column("hospital_site_id", sa.String(40), nullable=True),
        sa.Column("admission_no", sa.String(60), nullable=True),
        sa.Column("invoice_no", sa.String(60), nullable=False),
        sa.Column("lines", sa.JSON, nullable=False),
        sa.Column("bank_account_name", sa.String(100), nullable=False),
        sa.Column("bank_account_no_encrypted", sa.String(300), nullable=False),
        sa.Column("bank_account_no_masked", sa.String(40), nullable=False),
        sa.Column("bank_name", sa.String(100), nullable=False),
        sa.Column("tracking_no", sa.String(60), nullable=True),
        sa.Column("total_yuan", FEN, nullable=False),
        sa.Column("approved_yuan", FEN, nullable=True),
        sa.Column("pools_used", sa.JSON, nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("paid_at", TS, nullable=True),
        sa.Column("payment_ref", sa.String(100), nullable=True),
    )
    op.create_table(
        "claim_documents", _id(),
        sa.Column("claim_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "policies",
        sa.Column("region", sa.String(8), primary_key=True),
        sa.Column("effective_from", sa.Date, primary_key=True),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade():
    op.drop_index("ix_deductions_hospital_applied", "deductions")
    for table in ("policies", "claim_documents", "claims", "deductions", "family_bindings", "idempotency_keys",
                  "waived_lines", "pool_usages", "pools", "transfusions", "ledger_awards", "ledger_donations",
                  "chain_entries", "chain_head", "audit_log"):
        op.drop_table(table)
