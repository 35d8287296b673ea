"""Outbox relay entrypoint: `python -m donor.relay [replay --since ISO]`."""
from __future__ import annotations

from servicekit.entrypoints import relay_main

from .config import Config


def main() -> None:
    relay_main(Config.from_env())


if __name__ == "__main__":
    main()
