"""The fixtures every service's integration tests share, built once: a migrated database of the service
(`service_db`, also named `<service>_db`, on SQLite and PostgreSQL through `db_kind`), its `session_factory` (engine disposed after the
test), `uow_factory`, `app` (built with the test issuer's keys plus the conftest's `app_settings`) and `client`.
A service's conftest binds them to its own module:

    service_db, donor_db, session_factory, uow_factory, app, client = service_fixtures("donor", DonorUnitOfWork)
"""
from __future__ import annotations

import importlib

import pytest

from servicekit.db import make_engine, make_session_factory
from tests.helpers import PII_KEY, SERVICE_KEYS, gateway_keys


def service_fixtures(service: str, uow_class=None) -> tuple:
    db_name = f"{service}_db"

    @pytest.fixture(name="service_db")
    def service_db(databases, db_kind):
        return databases.new(service, db_kind)

    @pytest.fixture(name=db_name)
    def database(service_db):
        return service_db

    @pytest.fixture(name="session_factory")
    def session_factory(service_db):
        engine = make_engine(service_db)
        yield make_session_factory(engine)
        engine.dispose()

    @pytest.fixture(name="uow_factory")
    def uow_factory(session_factory):
        return lambda: uow_class(session_factory)

    @pytest.fixture(name="app")
    def app(service_db, app_settings):
        create_app = importlib.import_module(f"{service}.app").create_app
        keys = gateway_keys() if service == "gateway" else SERVICE_KEYS   # the issuer signs, the services verify
        return create_app(database_url=service_db, **keys, pii_key=PII_KEY,
                          **app_settings)

    @pytest.fixture(name="client")
    def client(app):
        return app.test_client()

    shared = (service_db, database, session_factory, *([uow_factory] if uow_class else []), app, client)
    return shared
