"""The waiver service's unit of work: repositories on one session, events to the outbox, money to the chain."""
from __future__ import annotations

from servicekit import chain
from servicekit.uow import SqlAlchemyUnitOfWork

from . import orm
from .events import PUBLISHED
from .repository import (ClaimRepository, DeductionRepository, FamilyRepository, IdempotencyRepository,
                         LedgerRepository, PolicyRepository, PoolRepository, TransfusionRepository,
                         WaivedLineRepository)
from .stats_repository import StatsRepository


class WaiverUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(self, session_factory, read_only: bool = False, chain_keys: chain.ChainKeys | None = None):
        orm.start_mappers()
        super().__init__(session_factory, source="waiver", published=PUBLISHED, read_only=read_only)
        self.chain_keys = chain_keys

    def begin(self) -> None:
        s = self.session
        self.ledger = LedgerRepository(s)
        self.transfusions = TransfusionRepository(s)
        self.pools = PoolRepository(s)
        self.waived = WaivedLineRepository(s)
        self.idempotency = IdempotencyRepository(s)
        self.family = FamilyRepository(s)
        self.deductions = DeductionRepository(s)
        self.claims = ClaimRepository(s)
        self.policies = PolicyRepository(s)
        self.stats = StatsRepository(s)

    def record_money(self, kind: str, subject: str, payload: dict) -> None:
        """Append to the hash-chained money log in this transaction. Every money write queues on the chain's
        head row, so the append is the transaction's last write (after the outbox rows): the lock is held for
        the append and the commit only."""
        keys = self.chain_keys
        self.last_before_commit(lambda: chain.append(self.session, kind=kind, subject=subject, payload=payload,
                                                     key=keys.current if keys else None,
                                                     key_id=keys.key_id if keys else None))
