"""HTTP entrypoint: `create_app()`; nothing connects at import time."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import partial
from types import SimpleNamespace

from servicekit import chain
from hemolink.access import ROLES
from servicekit.audit import install_audit
from servicekit.authz import install_authz
from servicekit.db import make_engine, make_session_factory, read_only_session_factory
from servicekit.logs import configure_logging
from servicekit.pii import PiiVault
from servicekit.web import create_service_app, request_uow_factory

from . import api
from .authz import MATRIX
from .bank import CsvBatchBank
from .config import Config
from .storage import make_storage
from .unit_of_work import WaiverUnitOfWork


def create_app(config: Config | None = None, *, clock=None, storage=None, bank=None, **overrides):
    """`clock`, `storage` and `bank` may be injected (tests); by default they come from the config."""
    config = config or Config.from_env(**overrides)
    config.check_secrets()
    configure_logging("waiver-api", config.log_level)
    engine = make_engine(config.database_url)
    session_factory = make_session_factory(engine)
    app, smorest = create_service_app(__name__, config, engine, title="Hemolink waiver service", roles=ROLES)
    for blueprint in api.BLUEPRINTS:
        smorest.register_blueprint(blueprint)
    install_authz(app, MATRIX)
    install_audit(app, session_factory, config.service_name)
    app.extensions["waiver"] = SimpleNamespace(
        config=config, engine=engine, vault=PiiVault(config.pii_key),
        uow=request_uow_factory(partial(WaiverUnitOfWork, chain_key=chain.chain_key(config.pii_key)), session_factory,
                                read_only_session_factory(engine)),
        clock=clock or (lambda: datetime.now(timezone.utc)),
        storage=storage or make_storage(config), bank=bank or CsvBatchBank(config.bank_batch_dir),
    )
    return app
