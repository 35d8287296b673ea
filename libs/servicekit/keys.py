"""`python -m servicekit.keys status|rotate <service>`: which key ids a service's encrypted values are under, and
re-encrypting them under the current one (PII_KEY_ID) while the service runs.

The encrypted columns are the service's `<service>.orm` columns named `*_encrypted` (servicekit.pii stores each
value with its key id). `rotate` works in batches of `--batch-size` rows, one short transaction each (claimed
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so a row a request is writing is left for the next pass): stopped at any
point, it resumes where it was, since it selects only values not yet under the current key. Keep the old key in
PII_OLD_KEYS until `status` shows nothing else (docs/operations.md §Data keys).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections import Counter

from sqlalchemy import MetaData, Table, and_, func, or_, select, update

from .db import is_sqlite, make_engine, make_session_factory
from .pii import SEPARATOR, PiiVault

SUFFIX = "_encrypted"


def encrypted_columns(service: str) -> list[tuple[Table, list]]:
    """(table, its `*_encrypted` columns) for every table of the service's orm metadata that has some."""
    orm = importlib.import_module(f"{service}.orm")
    found = []
    for metadata in (v for v in vars(orm).values() if isinstance(v, MetaData)):
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if c.name.endswith(SUFFIX)]
            if columns:
                found.append((table, columns))
    return found


def _not_current(column, key_id: str):
    prefix = f"{key_id}{SEPARATOR}"
    return and_(column.is_not(None), func.substr(column, 1, len(prefix)) != prefix)


def rotate(session_factory, vault: PiiVault, tables, *, batch_size: int = 500,
           max_batches: int | None = None) -> int:
    """Re-encrypt up to `max_batches` batches (all, by default); returns how many rows were rewritten."""
    skip_locked = not is_sqlite(session_factory.kw["bind"])
    rewritten, batches = 0, 0
    for table, columns in tables:
        keys = list(table.primary_key.columns)
        while max_batches is None or batches < max_batches:
            query = select(*keys, *columns).where(or_(*(_not_current(c, vault.key_id) for c in columns)))
            query = query.order_by(*keys).limit(batch_size)
            if skip_locked:
                query = query.with_for_update(skip_locked=True)
            with session_factory.begin() as session:
                rows = session.execute(query).all()
                for row in rows:
                    values = {c.name: vault.reencrypt(row._mapping[c.name]) for c in columns
                              if row._mapping[c.name] is not None}
                    session.execute(update(table).where(*(k == row._mapping[k.name] for k in keys)).values(**values))
            batches += 1
            rewritten += len(rows)
            if len(rows) < batch_size:
                break
    return rewritten


def status(session_factory, vault: PiiVault, tables) -> dict[str, Counter]:
    """`table.column` → how many values are under each key id (`legacy`: written before key ids)."""
    counts = {}
    with session_factory() as session:
        for table, columns in tables:
            for column in columns:
                counts[f"{table.name}.{column.name}"] = Counter(
                    vault.key_id_of(value) or "legacy"
                    for value in session.execute(select(column).where(column.is_not(None))).scalars())
    return counts


def main(argv: list[str] | None = None) -> int:
    from .config import BaseConfig

    parser = argparse.ArgumentParser(prog="python -m servicekit.keys", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("status", "rotate"))
    parser.add_argument("service", help="the service whose database DATABASE_URL names (an installed servicekit service)")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    config = BaseConfig.from_env()
    vault = PiiVault.from_config(config)
    engine = make_engine(config.database_url)
    sessions = make_session_factory(engine)
    tables = encrypted_columns(args.service)
    try:
        if args.command == "rotate":
            print(f"re-encrypted {rotate(sessions, vault, tables, batch_size=args.batch_size)} rows "
                  f"under key {vault.key_id}")
        left = 0
        for name, counts in status(sessions, vault, tables).items():
            print(f"{name}\t" + "\t".join(f"{kid}={n}" for kid, n in sorted(counts.items())))
            left += sum(n for kid, n in counts.items() if kid != vault.key_id)
    finally:
        engine.dispose()
    return 0 if args.command == "status" or left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
