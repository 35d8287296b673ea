"""Reserves for major events: stored per site, group and component over a date range."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .reserve import Reserve


class ReserveRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, reserve: Reserve) -> None:
        self.session.add(reserve)

    def get(self, reserve_id: str) -> Reserve | None:
        return self.session.get(Reserve, reserve_id)

    def delete(self, reserve: Reserve) -> None:
        self.session.delete(reserve)

    def list(self, site_ids: Iterable[str] | None = None, on: date | None = None) -> list[Reserve]:
        stmt = select(Reserve).order_by(Reserve.site_id, Reserve.starts_on, Reserve.component, Reserve.abo,
                                        Reserve.rhd, Reserve.id)
        if site_ids is not None:
            stmt = stmt.where(Reserve.site_id.in_(list(site_ids)))
        if on is not None:
            stmt = stmt.where(Reserve.starts_on <= on, Reserve.ends_on >= on)
        return list(self.session.scalars(stmt))
