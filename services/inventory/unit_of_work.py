"""The inventory service's unit of work: repositories on one session, events to the outbox."""
from __future__ import annotations

from servicekit.uow import SqlAlchemyUnitOfWork

from . import orm
from .cold_chain_repository import ColdChainRepository
from .events import PUBLISHED
from .history_repository import SnapshotRepository
from .recall_repository import ApprovalRepository, RecallRepository
from .repository import (ExpectedCollectionRepository, OrderRepository, PlanRepository, SiteRepository,
                         StockLevelRepository, TransferRepository,
                         TransfusionRepository, UnitRepository)
from .reserve_repository import ReserveRepository


class InventoryUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(self, session_factory, read_only: bool = False):
        orm.start_mappers()
        super().__init__(session_factory, source="inventory", published=PUBLISHED, read_only=read_only)

    def begin(self) -> None:
        self.sites = SiteRepository(self.session)
        self.units = UnitRepository(self.session)
        self.stock = StockLevelRepository(self.session)
        self.orders = OrderRepository(self.session)
        self.transfusions = TransfusionRepository(self.session)
        self.transfers = TransferRepository(self.session)
        self.plans = PlanRepository(self.session)
        self.expected = ExpectedCollectionRepository(self.session)
        self.cold_chain = ColdChainRepository(self.session)
        self.reserves = ReserveRepository(self.session)
        self.recalls = RecallRepository(self.session)
        self.approvals = ApprovalRepository(self.session)
        self.snapshots = SnapshotRepository(self.session)
