"""HTTP entrypoint: `create_app()`; nothing connects at import time."""
from __future__ import annotations

from hemolink.access import ROLES
from servicekit.web import create_app as build_app

from . import api
from .authz import MATRIX
from .config import Config
from .unit_of_work import InventoryUnitOfWork


def create_app(config: Config | None = None, **overrides):
    config = config or Config.from_env(**overrides)
    return build_app(__name__, config, title="Hemolink inventory service", roles=ROLES, blueprints=api.BLUEPRINTS,
                     matrix=MATRIX, unit_of_work=InventoryUnitOfWork)
