"""Kafka consumer entrypoint: `python -m donor.consumer`."""
from __future__ import annotations

from servicekit.entrypoints import consumer_main

from .config import Config
from .handlers import TOPICS, make_handlers
from .notifier import build_notifier
from .unit_of_work import DonorUnitOfWork


def wiring(config: Config) -> dict:
    """What the consumer applies, and how: shared with `donor.dlq`, which applies released events the same way."""
    return dict(topics=TOPICS, handlers=make_handlers(build_notifier(config)),
                uow_factory_builder=lambda sf, _config: (lambda: DonorUnitOfWork(sf)))


def main() -> None:
    config = Config.from_env()
    consumer_main(config, **wiring(config))


if __name__ == "__main__":
    main()
