"""The waiver figures of a run of months in three grouped queries (the per-month stats read rows one month at a
time; a chart of two years would be 24 such reads).

Months are Asia/Shanghai months: the caller passes their boundaries as UTC instants and each row is put in its
month by a CASE over those boundaries, so no database needs time-zone data and SQLite and PostgreSQL agree.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, and_, case, cast, func, or_, select, text

from . import orm
from .repository import _Repo

D = orm.deductions.c
C = orm.claims.c


def _month_of(column, bounds: list[datetime]):
    """0 for a time in [bounds[0], bounds[1]), 1 for the next month, …; the query keeps only [bounds[0], bounds[-1])."""
    return case(*[(column < end, i) for i, end in enumerate(bounds[1:])])


def _claim_region(region: str | None):
    # As the per-month stats: the region that handles (pays) the claim, else the claim's own for older rows.
    return [func.coalesce(C.handling_region, C.region) == region] if region else []


class StatsRepository(_Repo):
    def direct_by_month(self, bounds: list[datetime], region: str | None) -> dict[int, tuple[int, Decimal]]:
        """Month index → (count, yuan) of direct deductions applied in the month and not reversed since."""
        where = [D.status == "applied", D.waived_yuan > 0, D.applied_at >= bounds[0], D.applied_at < bounds[-1]]
        if region:
            where.append(D.hospital_region == region)
        rows = select(_month_of(D.applied_at, bounds).label("m"), D.waived_yuan).where(*where).subquery()
        stmt = select(rows.c.m, func.count(), func.sum(rows.c.waived_yuan)).group_by(rows.c.m)
        return {m: (count, yuan) for m, count, yuan in self.session.execute(stmt)}

    def approved_by_month(self, bounds: list[datetime], region: str | None) -> list[tuple[int, str, int, Decimal]]:
        """(month index, channel, count, approved yuan) of claims approved in the month, paid since or not."""
        rows = select(_month_of(C.decided_at, bounds).label("m"), C.channel, C.approved_yuan).where(
            C.status.in_(("approved", "paid")), C.decided_at >= bounds[0], C.decided_at < bounds[-1],
            *_claim_region(region)).subquery()
        stmt = select(rows.c.m, rows.c.channel, func.count(), func.sum(func.coalesce(rows.c.approved_yuan, 0))) \
            .group_by(rows.c.m, rows.c.channel)
        return [tuple(row) for row in self.session.execute(stmt)]

    def middle_payments_by_month(self, bounds: list[datetime], region: str | None) -> list[tuple[int, object]]:
        """(month index, claim row with paid_at, submitted_at, received_on) of the middle one (odd count) or two
        (even count) of the claims paid in each month, ranked by how long they waited (from submission, or from
        the day a mail claim was received: reports._waiting_since): their mean is the month's median, computed by
        the caller with the same arithmetic as the per-month stats (so both give the same number to the last
        digit)."""
        rows = select(_month_of(C.paid_at, bounds).label("m"), C.id, C.paid_at, C.submitted_at, C.received_on,
                      self._waited(C.paid_at, self._waiting_since()).label("waited")).where(
            C.status == "paid", C.paid_at >= bounds[0], C.paid_at < bounds[-1], C.submitted_at.is_not(None),
            *_claim_region(region)).subquery()
        ranked = select(rows.c.m, rows.c.paid_at, rows.c.submitted_at, rows.c.received_on,
                        func.row_number().over(partition_by=rows.c.m, order_by=(rows.c.waited, rows.c.id)).label("rn"),
                        func.count().over(partition_by=rows.c.m).label("n")).subquery()
        stmt = select(ranked.c.m, ranked.c.paid_at, ranked.c.submitted_at, ranked.c.received_on).where(or_(
            ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == ranked.c.n // 2 + 1)).order_by(ranked.c.m, ranked.c.rn)
        return [(row.m, row) for row in self.session.execute(stmt)]

    def _waiting_since(self):
        """The start of a claim's wait, as reports._waiting_since: the Shanghai midnight (UTC+8 all year, so a fixed
        offset and no time-zone data) of the day a mail claim was received, when that is before its submission."""
        if self.session.get_bind().dialect.name == "sqlite":
            received = func.datetime(C.received_on, "-8 hours")       # text, as the timestamps are stored
        else:
            received = func.timezone("UTC", cast(C.received_on, DateTime) - text("interval '8 hours'"))
        return case((and_(C.received_on.is_not(None), received < C.submitted_at), received), else_=C.submitted_at)

    def _waited(self, later, earlier):
        """An orderable, exact (microsecond) measure of later − earlier."""
        if self.session.get_bind().dialect.name == "sqlite":
            # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds by strftime, microseconds from the text.
            # julianday() would keep only milliseconds and could rank two near-equal waits the other way round.
            def micros(col):
                return cast(func.strftime("%s", col), BigInteger) * 1_000_000 \
                    + cast(func.substr(col, 21, 6), BigInteger)
            return micros(later) - micros(earlier)
        return later - earlier
