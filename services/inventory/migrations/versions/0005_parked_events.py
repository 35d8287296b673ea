"""Parked events: a key whose event was dead-lettered keeps its later events here until the dead letter is
replayed or discarded (`python -m inventory.dlq`, servicekit.parking).

Revision ID: 0005
"""
from alembic import op

from servicekit.tables import create_parked_events, drop_parked_events

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    create_parked_events(op.get_bind())


def downgrade():
    drop_parked_events(op.get_bind())
