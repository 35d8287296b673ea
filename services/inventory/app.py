"""HTTP entrypoint: `create_app()`; nothing connects at import time."""
from __future__ import annotations

from types import SimpleNamespace

from hemolink.access import ROLES
from servicekit.audit import install_audit
from servicekit.authz import install_authz
from servicekit.db import make_engine, make_session_factory, read_only_session_factory
from servicekit.logs import configure_logging
from servicekit.pii import PiiVault
from servicekit.web import create_service_app, request_uow_factory

from . import api
from .authz import MATRIX
from .config import Config
from .unit_of_work import InventoryUnitOfWork


def create_app(config: Config | None = None, **overrides):
    config = config or Config.from_env(**overrides)
    config.check_secrets()
    configure_logging("inventory-api", config.log_level)
    engine = make_engine(config.database_url)
    sessions = make_session_factory(engine)
    app, smorest = create_service_app(__name__, config, engine, title="Hemolink inventory service", roles=ROLES)
    smorest.register_blueprint(api.blp)
    install_authz(app, MATRIX)
    install_audit(app, sessions, "inventory")
    app.extensions["inventory"] = SimpleNamespace(
        config=config, engine=engine, vault=PiiVault(config.pii_key),
        uow=request_uow_factory(InventoryUnitOfWork, sessions, read_only_session_factory(engine)),
    )
    return app
