"""Outbox rows notify the relay on commit (PostgreSQL), so an idle relay need not poll.

Revision ID: 0003
"""
from alembic import op

from servicekit.wakeup import install_trigger, remove_trigger

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    install_trigger(op.get_bind())


def downgrade():
    remove_trigger(op.get_bind())
