"""Kafka consumer entrypoint: `python -m inventory.consumer`."""
from __future__ import annotations

from servicekit.entrypoints import consumer_main

from .config import Config
from .handlers import BATCHABLE, BULK_HANDLERS, HANDLERS, TOPICS
from .unit_of_work import InventoryUnitOfWork


def wiring(config: Config) -> dict:
    """What the consumer applies, and how: shared with `inventory.dlq`, which applies released events the same way."""
    return dict(topics=TOPICS, handlers=HANDLERS, batchable=BATCHABLE, bulk_handlers=BULK_HANDLERS,
                uow_factory_builder=lambda sf, _config: (lambda: InventoryUnitOfWork(sf)))


def main() -> None:
    config = Config.from_env()
    consumer_main(config, **wiring(config))


if __name__ == "__main__":
    main()
