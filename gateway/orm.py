"""The gateway's own tables: staff users."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("site_id", String(40), nullable=True),
    Column("region", String(8), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One pending one-time code per phone (by blind index); the code itself is only kept hashed.
donor_otps = Table(
    "donor_otps",
    metadata,
    Column("phone_blind", String(64), primary_key=True),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)

his_clients = Table(
    "his_clients",
    metadata,
    Column("client_id", String(40), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("region", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
