"""An append-only, hash-chained log for money movements (deductions, payments).

Each entry's hash covers the previous entry's hash and its own canonical JSON, so changing, removing
or reordering any row breaks every hash after it. With a key (`chain_key(PII_KEY)`) the hashes are HMACs:
someone who can write to the database but does not hold the key cannot rewrite the chain consistently.
Appends serialise on one head row (row lock on PostgreSQL, the write lock on SQLite) inside the caller's
transaction: the entry exists exactly when the money movement does. Callers append last, just before
their commit (a unit of work does), so the head is locked for as short a time as it can be.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, bindparam, select, update
from sqlalchemy.orm import Session

from .config import BaseConfig
from .db import is_sqlite
from .pii import parse_old_keys

GENESIS = "0" * 64

chain_metadata = MetaData()

chain_head = Table(
    "chain_head", chain_metadata,
    Column("id", Integer, primary_key=True),
    Column("last_seq", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

chain_entries = Table(
    "chain_entries", chain_metadata,
    Column("seq", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # The chain key the entry's HMAC is under (CHAIN_KEY_ID when it was written); NULL: before key ids, DEFAULT_KEY_ID.
    Column("key_id", String(20), nullable=True),
)


def create_chain_tables(connection) -> None:
    """Used by a migration (alembic's connection) or a test (`with engine.begin() as conn`)."""
    chain_metadata.create_all(connection)
    if connection.execute(select(chain_head.c.id)).first() is None:
        connection.execute(chain_head.insert().values(id=1, last_seq=0, last_hash=GENESIS))


def chain_key(secret: str) -> bytes:
    """The chain's HMAC key, derived from a service secret (PII_KEY) so operations keep one secret less."""
    return hmac.new(secret.encode(), b"hemolink:money-chain:v1", hashlib.sha256).digest()


DEFAULT_KEY_ID = "c1"


@dataclass(frozen=True)
class ChainKeys:
    """The key new entries are written under (`key_id`) and every key an entry may be under, by id. A chain cannot
    be re-keyed (that would be rewriting it), so old keys stay configured for verifying the entries under them."""

    key_id: str
    keys: Mapping[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.key_id]

    @classmethod
    def from_config(cls, config) -> "ChainKeys":
        """CHAIN_KEY (default PII_KEY) under CHAIN_KEY_ID; CHAIN_OLD_KEYS (`id=secret,…`) for older entries."""
        keys = {kid: chain_key(secret) for kid, secret in parse_old_keys(config.chain_old_keys).items()}
        keys[config.chain_key_id] = chain_key(config.chain_key or config.pii_key)
        return cls(config.chain_key_id, keys)


def entry_hash(prev_hash: str, seq: int, at: str, kind: str, subject: str, payload: str,
               key: bytes | None = None) -> str:
    material = json.dumps([prev_hash, seq, at, kind, subject, payload], ensure_ascii=False,
                          separators=(",", ":")).encode()
    return hmac.new(key, material, hashlib.sha256).hexdigest() if key else hashlib.sha256(material).hexdigest()


def _at_text(at: datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()


# Statements built once (a statement built per call pays SQLAlchemy's cache-key work every time).
_HEAD = select(chain_head.c.last_seq, chain_head.c.last_hash).where(chain_head.c.id == 1)
_HEAD_LOCKED = _HEAD.with_for_update()
_INSERT_ENTRY = chain_entries.insert().values(
    seq=bindparam("e_seq"), at=bindparam("e_at"), kind=bindparam("e_kind"), subject=bindparam("e_subject"),
    payload=bindparam("e_payload"), prev_hash=bindparam("e_prev"), hash=bindparam("e_hash"),
    key_id=bindparam("e_key_id"))
_MOVE_HEAD = (update(chain_head).where(chain_head.c.id == 1)
              .values(last_seq=bindparam("e_seq"), last_hash=bindparam("e_hash")))
_entry = _INSERT_ENTRY.returning(chain_entries.c.seq, chain_entries.c.hash).cte("entry")
# PostgreSQL: the entry and the head move in one statement (a data-modifying CTE), one round trip less.
_INSERT_AND_MOVE_HEAD = (update(chain_head).where(chain_head.c.id == 1, chain_head.c.last_seq == _entry.c.seq - 1)
                         .values(last_seq=_entry.c.seq, last_hash=_entry.c.hash).add_cte(_entry))


def append(session: Session, *, kind: str, subject: str, payload: dict, key: bytes | None = None,
           key_id: str | None = None) -> int:
    """Add an entry in the caller's transaction, its HMAC under `key` (named `key_id`); returns its sequence number."""
    sqlite = is_sqlite(session.get_bind())      # SQLite: the transaction already holds the write lock
    head = session.execute(_HEAD if sqlite else _HEAD_LOCKED).one()
    seq = head.last_seq + 1
    at = datetime.now(timezone.utc).replace(microsecond=0)
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    params = {"e_seq": seq, "e_at": at, "e_kind": kind, "e_subject": subject, "e_payload": text,
              "e_prev": head.last_hash, "e_key_id": key_id,
              "e_hash": entry_hash(head.last_hash, seq, _at_text(at), kind, subject, text, key)}
    if sqlite:
        session.execute(_INSERT_ENTRY, params)
        session.execute(_MOVE_HEAD, params)
    elif session.execute(_INSERT_AND_MOVE_HEAD, params).rowcount != 1:
        # Cannot happen under the row lock; if it did, the entry is already inserted, and raising rolls the
        # caller's whole transaction back with it.
        raise RuntimeError("money chain head moved during an append")
    return seq


def verify(session: Session, key: bytes | None = None, *, keys: ChainKeys | None = None) -> tuple[bool, str]:
    """Recompute the chain; (True, summary) or (False, where it breaks). With `keys`, each entry is checked under
    the key its key id names."""
    prev, expected_seq = GENESIS, 1
    for row in session.execute(select(chain_entries).order_by(chain_entries.c.seq)):
        if row.seq != expected_seq:
            return False, f"entry {expected_seq} is missing (found {row.seq})"
        if row.prev_hash != prev:
            return False, f"entry {row.seq} does not follow entry {row.seq - 1}"
        if keys is not None:
            key = keys.keys.get(row.key_id or DEFAULT_KEY_ID)
            if key is None:
                return False, f"entry {row.seq} is under chain key {row.key_id}, which is not configured (CHAIN_OLD_KEYS)"
        if not hmac.compare_digest(entry_hash(prev, row.seq, _at_text(row.at), row.kind, row.subject, row.payload, key),
                                   row.hash):
            return False, f"entry {row.seq} was altered"
        prev, expected_seq = row.hash, expected_seq + 1
    head = session.execute(select(chain_head).where(chain_head.c.id == 1)).one()
    if (head.last_seq, head.last_hash) != (expected_seq - 1, prev):
        return False, f"the chain ends at entry {expected_seq - 1} but its head says {head.last_seq}"
    return True, f"{expected_seq - 1} entries verified"


def main(argv: list[str] | None = None) -> int:
    """`python -m servicekit.chain verify --database-url URL` — exit 1 when the chain is broken. The keys are the
    service's (CHAIN_KEY or else PII_KEY under CHAIN_KEY_ID, CHAIN_OLD_KEYS), as the service that wrote it has them."""
    import os

    from .db import make_engine, make_session_factory

    parser = argparse.ArgumentParser(prog="servicekit.chain")
    parser.add_argument("command", choices=["verify"])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--unkeyed", action="store_true", help="a chain written without a key (tests, tools)")
    args = parser.parse_args(argv)
    keys = None if args.unkeyed else ChainKeys.from_config(BaseConfig.from_env())
    with make_session_factory(make_engine(args.database_url))() as session:
        ok, message = verify(session, keys=keys)
    print(("OK: " if ok else "BROKEN: ") + message)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
