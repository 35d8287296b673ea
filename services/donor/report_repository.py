"""Persistence of post-donation reports (services/post_donation.py)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .orm import post_donation_reports


class ReportRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, **values) -> None:
        self.session.execute(post_donation_reports.insert().values(**values))

    def of_donor(self, donor_id: str) -> list:
        return list(self.session.execute(select(post_donation_reports)
                                         .where(post_donation_reports.c.donor_id == donor_id)
                                         .order_by(post_donation_reports.c.reported_at.desc())))
