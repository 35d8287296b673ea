"""The donor service's unit of work: repositories on one session, events to the outbox."""
from __future__ import annotations

from servicekit.uow import SqlAlchemyUnitOfWork

from . import orm
from .events import PUBLISHED
from .report_repository import ReportRepository
from .repository import (AppointmentRepository, AwardRepository, DonationRepository, DonorRepository, DriveRepository,
                         NotificationRepository, PointRepository, RareRepository, ShortageRepository)


class DonorUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(self, session_factory, read_only: bool = False):
        orm.start_mappers()
        super().__init__(session_factory, source="donor", published=PUBLISHED, read_only=read_only)

    def begin(self) -> None:
        self.donors = DonorRepository(self.session)
        self.donations = DonationRepository(self.session)
        self.awards = AwardRepository(self.session)
        self.notifications = NotificationRepository(self.session)
        self.shortages = ShortageRepository(self.session)
        self.points = PointRepository(self.session)
        self.appointments = AppointmentRepository(self.session)
        self.rare = RareRepository(self.session)
        self.drives = DriveRepository(self.session)
        self.reports = ReportRepository(self.session)
