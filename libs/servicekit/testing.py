"""Test helpers: fakes for unit tests, throw-away databases for integration tests."""
from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, make_url, select, text

from .consumer import EventProcessor
from .envelope import Envelope
from .migrations import upgrade

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class _Done:
    def __init__(self, value=None, error: Exception | None = None):
        self.value, self.error = value, error

    def get(self, timeout=None):
        if self.error:
            raise self.error
        return self.value


@dataclass
class FakeProducer:
    """Records what would have been sent; `fail` makes every send fail (broker down)."""

    sent: list[dict] = field(default_factory=list)
    fail: Exception | None = None

    def send(self, topic, key=None, value=None, headers=None):
        if self.fail:
            return _Done(error=self.fail)
        self.sent.append({"topic": topic, "key": key, "value": value, "headers": headers or []})
        return _Done(value=len(self.sent))

    def flush(self, timeout=None):
        return None

    def close(self, timeout=None):
        return None


@dataclass
class FakeRecord:
    value: bytes
    topic: str = "test.events"
    partition: int = 0
    offset: int = 0
    key: bytes | None = None
    headers: list = field(default_factory=list)


def record_of(envelope: Envelope, offset: int = 0) -> FakeRecord:
    return FakeRecord(value=envelope.to_json(), topic=f"{envelope.source}.events", offset=offset,
                      key=envelope.subject.encode(), headers=envelope.headers())


def make_envelope(type: str, data: dict[str, Any], *, version: int = 1, source: str = "test",
                  subject: str | None = None) -> Envelope:
    return Envelope(type=type, version=version, source=source, subject=subject or str(uuid.uuid4()),
                    data=data, correlation_id=str(uuid.uuid4()))


class DatabaseFactory:
    """Fresh migrated databases, fast: migrate a template once, then copy it per test."""

    def __init__(self, workdir: Path, pg_admin_url: str = PG_ADMIN_URL):
        self.workdir = Path(workdir)
        self.pg_admin_url = pg_admin_url
        self._templates: dict[tuple[str, str], str] = {}
        self._created_pg: list[str] = []
        self._admin = None

    def _pg_admin(self):
        if self._admin is None:
            self._admin = create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
        return self._admin

    def _pg_url(self, name: str) -> str:
        return self.pg_admin_url.rsplit("/", 1)[0] + "/" + name

    def new(self, service: str, kind: str) -> str:
        """A URL of an empty database with `service`'s migrations applied; kind is sqlite|postgresql."""
        key = (service, kind)
        if key not in self._templates:
            self._templates[key] = self._make_template(service, kind)
        return self._clone(self._templates[key], f"hl_{service}_{uuid.uuid4().hex[:10]}", kind)

    def copy(self, url: str) -> str:
        """A new database with the same contents as `url` (which must have no open connections)."""
        source = make_url(url)
        kind = "sqlite" if source.get_backend_name() == "sqlite" else "postgresql"
        return self._clone(source.database, f"hl_copy_{uuid.uuid4().hex[:10]}", kind)

    def _clone(self, source: str, name: str, kind: str) -> str:
        """A copy of `source` (a SQLite file's path, or a PostgreSQL database's name) called `name`."""
        if kind == "sqlite":
            path = self.workdir / f"{name}.db"
            shutil.copyfile(source, path)
            return f"sqlite:///{path}"
        with self._pg_admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        self._created_pg.append(name)
        return self._pg_url(name)

    def empty(self, kind: str) -> str:
        """A URL of an empty database (no migrations), for mechanism tests with their own tables."""
        name = f"hl_empty_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.db')}"
        with self._pg_admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self._created_pg.append(name)
        return self._pg_url(name)

    def _make_template(self, service: str, kind: str) -> str:
        name = f"hl_tmpl_{service}_{uuid.uuid4().hex[:8]}"
        if kind == "sqlite":
            path = self.workdir / f"{name}.db"
            upgrade(service, f"sqlite:///{path}")
            return str(path)
        with self._pg_admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self._created_pg.append(name)
        upgrade(service, self._pg_url(name))
        return name

    def drop_all(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in reversed(self._created_pg):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


class CountingProcessor(EventProcessor):
    """An event processor that remembers each record's outcome (applied, duplicate, ...), for tests that
    wait until a consumer has seen every record once more."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.outcomes: list[str] = []

    def process(self, record):
        outcome = super().process(record)
        self.outcomes.append(outcome)
        return outcome

    def process_run(self, records):
        outcomes = super().process_run(records)
        self.outcomes.extend(outcomes or [])      # a failed run's records come again through process()
        return outcomes


class LocalRedis:
    """Debian's redis-server on a free port, in memory only (no RDB/AOF files): what the gateways of a deployment
    share their rate-limit counts through. `scripts/ensure-debian.sh` installs it where it is missing."""

    def __init__(self, binary: str = "redis-server"):
        self.binary = binary
        self.port = 0
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "LocalRedis":
        import subprocess

        from .broker import free_port, wait_for_port

        binary = shutil.which(self.binary)
        if binary is None:
            raise RuntimeError("redis-server is not installed: run `bash scripts/ensure-debian.sh`")
        self.port = free_port()
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port("127.0.0.1", self.port)
        return self

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def row_counts(session_factory, tables) -> dict[str, int]:
    """How many rows each table holds, by table name: the snapshot a refused request must leave unchanged."""
    with session_factory() as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
