"""HTTP entrypoint: `create_app()`; nothing connects at import time."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import partial

from hemolink.access import ROLES
from servicekit import chain
from servicekit.web import create_app as build_app

from . import api
from .authz import MATRIX
from .bank import CsvBatchBank
from .config import Config
from .storage import make_storage
from .unit_of_work import WaiverUnitOfWork


def create_app(config: Config | None = None, *, clock=None, storage=None, bank=None, **overrides):
    """`clock`, `storage` and `bank` may be injected (tests); by default they come from the config."""
    config = config or Config.from_env(**overrides)
    return build_app(__name__, config, title="Hemolink waiver service", roles=ROLES, blueprints=api.BLUEPRINTS,
                     matrix=MATRIX, unit_of_work=partial(WaiverUnitOfWork, chain_keys=chain.ChainKeys.from_config(config)),
                     extras=lambda deps: {
                         "clock": clock or (lambda: datetime.now(timezone.utc)),
                         "storage": storage or make_storage(config),
                         "bank": bank or CsvBatchBank(config.bank_batch_dir)})
