"""HTTP entrypoint: `create_app()`; nothing connects at import time."""
from __future__ import annotations

from hemolink.access import ROLES
from servicekit.web import create_app as build_app

from . import api
from .authz import MATRIX
from .config import Config
from .notifier import build_notifier
from .unit_of_work import DonorUnitOfWork


def create_app(config: Config | None = None, **overrides):
    config = config or Config.from_env(**overrides)
    config.facility_ids()                      # a malformed facility map stops the start, not a donation
    return build_app(__name__, config, title="Hemolink donor service", roles=ROLES, blueprints=api.BLUEPRINTS,
                     matrix=MATRIX, unit_of_work=DonorUnitOfWork,
                     extras=lambda deps: {"notifier": build_notifier(config)})
