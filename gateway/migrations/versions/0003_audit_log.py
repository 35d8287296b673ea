"""Audit trail of the gateway's own write requests (users, HIS clients, logins), as in every service.

Revision ID: 0003
"""
from alembic import op

from servicekit.audit import create_audit_tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    create_audit_tables(op.get_bind())


def downgrade():
    op.drop_table("audit_log")
