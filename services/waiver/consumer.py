"""Kafka consumer entrypoint: `python -m waiver.consumer`."""
from __future__ import annotations

from servicekit.entrypoints import consumer_main

from .config import Config
from .handlers import HANDLERS, TOPICS
from .unit_of_work import WaiverUnitOfWork


def main() -> None:
    consumer_main(Config.from_env(), topics=TOPICS, handlers=HANDLERS,
                  uow_factory_builder=lambda sf, _config: (lambda: WaiverUnitOfWork(sf)))


if __name__ == "__main__":
    main()
