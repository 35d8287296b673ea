"""Persistence of recalls (recall.py) and of orders' clinical approvals (approval.py), behind role-named methods."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from servicekit.db import for_update

from .approval import OrderApproval
from .model import Unit
from .orm import patient_day_totals
from .recall import Recall, RecallLine


class RecallRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, recall: Recall) -> None:
        self.session.add(recall)
        self.session.add_all(recall.lines)

    def by_trigger(self, trigger: str, trigger_ref: str) -> Recall | None:
        found = self.session.scalars(select(Recall).where(Recall.trigger == trigger,
                                                          Recall.trigger_ref == trigger_ref)).first()
        return self._with_lines([found])[0] if found else None

    def get(self, recall_id: str, *, lock: bool = False) -> Recall | None:
        stmt = select(Recall).where(Recall.id == recall_id)
        if lock:
            stmt = for_update(stmt, self.session).execution_options(populate_existing=True)
        found = self.session.scalars(stmt).first()
        return self._with_lines([found], lock=lock)[0] if found else None

    def list(self, *, status: str | None = None, hospital_id: str | None = None, limit: int = 200) -> list[Recall]:
        """Latest first; with `hospital_id`, only recalls with a line for that hospital."""
        stmt = select(Recall).order_by(Recall.opened_at.desc(), Recall.id).limit(limit)
        if status:
            stmt = stmt.where(Recall.status == status)
        if hospital_id:
            stmt = stmt.where(Recall.id.in_(select(RecallLine.recall_id).where(RecallLine.hospital_id == hospital_id)))
        return self._with_lines(list(self.session.scalars(stmt)))

    def opened_between(self, since: datetime, until: datetime) -> list[Recall]:
        stmt = select(Recall).where(Recall.opened_at >= since, Recall.opened_at < until)
        return self._with_lines(list(self.session.scalars(stmt)))

    def _with_lines(self, recalls: list[Recall], lock: bool = False) -> list[Recall]:
        ids = [r.id for r in recalls]
        if not ids:
            return recalls
        stmt = select(RecallLine).where(RecallLine.recall_id.in_(ids)).order_by(RecallLine.hospital_id,
                                                                                 RecallLine.din, RecallLine.unit_id)
        if lock:
            stmt = for_update(stmt, self.session).execution_options(populate_existing=True)
        by_recall: dict[str, list[RecallLine]] = {}
        for line in self.session.scalars(stmt):
            by_recall.setdefault(line.recall_id, []).append(line)
        for r in recalls:
            r.lines = by_recall.get(r.id, [])
        return recalls

    def unanswered_line_for_unit(self, unit_id: str) -> RecallLine | None:
        return self.session.scalars(select(RecallLine).where(RecallLine.unit_id == unit_id,
                                                             RecallLine.answer.is_(None))).first()

    def donor_units_for_update(self, donor_id: str, since: datetime, until: datetime,
                               exclude_din: str | None) -> list[Unit]:
        """Every unit of the donor collected in [since, until], wherever it is, locked (ordered by id, as the lock
        order every recall takes)."""
        stmt = (select(Unit).where(Unit.donor_id == donor_id, Unit.collected_at >= since, Unit.collected_at <= until)
                .order_by(Unit.id))
        if exclude_din:
            stmt = stmt.where(Unit.din != exclude_din)
        return list(self.session.scalars(for_update(stmt, self.session).execution_options(populate_existing=True)))


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


class ApprovalRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock_day(self, hospital_id: str, patient_blind: str, day: str) -> int:
        """The ml already ordered for this patient at this hospital that day; the row stays locked until commit."""
        self.session.execute(_insert(self.session)(patient_day_totals).values(
            hospital_id=hospital_id, patient_blind=patient_blind, day=day, ml=0).on_conflict_do_nothing())
        stmt = select(patient_day_totals.c.ml).where(patient_day_totals.c.hospital_id == hospital_id,
                                                     patient_day_totals.c.patient_blind == patient_blind,
                                                     patient_day_totals.c.day == day)
        return int(self.session.execute(for_update(stmt, self.session)).scalar_one())

    def save_day(self, hospital_id: str, patient_blind: str, day: str, ml: int) -> None:
        self.session.execute(update(patient_day_totals).where(
            patient_day_totals.c.hospital_id == hospital_id, patient_day_totals.c.patient_blind == patient_blind,
            patient_day_totals.c.day == day).values(ml=ml))

    def add(self, approval: OrderApproval) -> None:
        self.session.add(approval)

    def get(self, order_id: str, *, lock: bool = False) -> OrderApproval | None:
        stmt = select(OrderApproval).where(OrderApproval.order_id == order_id)
        if lock:
            stmt = for_update(stmt, self.session).execution_options(populate_existing=True)
        return self.session.scalars(stmt).first()

    def list(self, *, status: str | None = None, hospital_id: str | None = None, limit: int = 500) -> list[OrderApproval]:
        stmt = select(OrderApproval).order_by(OrderApproval.created_at.desc(), OrderApproval.order_id).limit(limit)
        if status:
            stmt = stmt.where(OrderApproval.status == status)
        if hospital_id:
            stmt = stmt.where(OrderApproval.hospital_id == hospital_id)
        return list(self.session.scalars(stmt))
