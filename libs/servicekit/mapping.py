"""Imperative mapping of a service's domain classes: once per process, finished before anyone uses it.

A gunicorn worker serves with several threads from its first request, and each request's unit of work
asks for the mappers. A plain "already started" flag set before the mapping is done lets a second thread
through to a half-built mapper ("'Mapper' object has no attribute 'primary_key'"). So the mapping runs
under a lock, the registry is configured at once (not lazily, by whichever query comes first), and the
flag is set only after both.
"""
from __future__ import annotations

import threading
from typing import Callable

from sqlalchemy.orm import registry as Registry


def map_once(mapper_registry: Registry, map_all: Callable[[], None]) -> Callable[[], None]:
    """Return `start_mappers()`: runs `map_all` and configures the registry the first time, then does nothing."""
    lock = threading.Lock()
    done = False

    def start_mappers() -> None:
        nonlocal done
        if done:
            return
        with lock:
            if not done:
                try:
                    map_all()
                    mapper_registry.configure()
                except Exception:
                    mapper_registry.dispose()   # half-mapped classes would hide this error behind "already mapped"
                    raise
                done = True

    return start_mappers
