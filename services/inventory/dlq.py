"""Dead letters and their parked keys: `python -m inventory.dlq list|replay ID|discard ID` (servicekit.parking)."""
from __future__ import annotations

from servicekit.entrypoints import dlq_main

from .config import Config
from .consumer import wiring


def main(argv: list[str] | None = None) -> None:
    config = Config.from_env()
    dlq_main(config, argv, **wiring(config))


if __name__ == "__main__":
    main()
