"""Donor persistence behind small role-named methods."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from servicekit.db import for_update, insert_of, is_sqlite

from .model import Award, Donation, Donor, Notification
from .orm import din_sequences, shortage_campaigns, shortage_contacts


class DonorRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, donor: Donor) -> None:
        self.session.add(donor)

    def get(self, donor_id: str | None) -> Donor | None:
        return self.session.get(Donor, donor_id) if donor_id else None   # a donor token may lack the claim

    def get_for_update(self, donor_id: str) -> Donor | None:
        """Locks the donor row (PostgreSQL): concurrent donations for one donor queue up here."""
        return self.session.scalars(for_update(select(Donor).where(Donor.id == donor_id), self.session)).first()

    def by_national_id_blind(self, blind: str) -> Donor | None:
        return self.session.scalars(select(Donor).where(Donor.national_id_blind == blind)).first()

    def by_phone_blind(self, blind: str) -> list[Donor]:
        return list(self.session.scalars(select(Donor).where(Donor.phone_blind == blind)))

    def active_in_group(self, region: str, abo: str, rhd: str) -> list[Donor]:
        return list(self.session.scalars(select(Donor).where(
            Donor.region == region, Donor.abo == abo, Donor.rhd == rhd, Donor.status != "permanently_deferred")))


class DonationRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, donation: Donation) -> None:
        self.session.add(donation)

    def for_donor(self, donor_id: str) -> list[Donation]:
        return list(self.session.scalars(select(Donation).where(Donation.donor_id == donor_id)
                                          .order_by(Donation.collected_at.desc())))

    def for_donors(self, donor_ids: list[str]) -> dict[str, list[Donation]]:
        out: dict[str, list[Donation]] = {d: [] for d in donor_ids}
        if donor_ids:
            for donation in self.session.scalars(select(Donation).where(Donation.donor_id.in_(donor_ids))):
                out[donation.donor_id].append(donation)
        return out

    def din_taken(self, din: str) -> bool:
        return self.session.execute(select(func.count()).select_from(Donation).where(Donation.din == din)).scalar_one() > 0

    def next_sequence(self, facility_id: str, year: int) -> int:
        """Atomic upsert: the database hands out each number once, even to concurrent requests."""
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        stmt = insert(din_sequences).values(facility_id=facility_id, year=year, last_seq=1)
        stmt = stmt.on_conflict_do_update(index_elements=["facility_id", "year"],
                                          set_={"last_seq": din_sequences.c.last_seq + 1})
        return self.session.execute(stmt.returning(din_sequences.c.last_seq)).scalar_one()

    def sequence_at_least(self, facility_id: str, year: int, seq: int) -> None:
        """Numbers up to `seq` are taken (imported with their DINs): the counter hands out only later ones, instead
        of `next_din` stepping over each taken number."""
        greatest = func.max if is_sqlite(self.session.get_bind()) else func.greatest   # SQLite's max() of two
        stmt = insert_of(din_sequences, self.session).values(facility_id=facility_id, year=year, last_seq=seq)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["facility_id", "year"],
                                                        set_={"last_seq": greatest(din_sequences.c.last_seq, seq)}))


class AwardRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, award: Award) -> None:
        self.session.add(award)

    def for_donor(self, donor_id: str) -> list[Award]:
        return list(self.session.scalars(select(Award).where(Award.donor_id == donor_id).order_by(Award.granted_at)))


class NotificationRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, notification: Notification) -> None:
        self.session.add(notification)

    def exists(self, dedupe_key: str) -> bool:
        return self.session.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key)).first() is not None

    def for_donor(self, donor_id: str) -> list[Notification]:
        return list(self.session.scalars(select(Notification).where(Notification.donor_id == donor_id)
                                          .order_by(Notification.created_at.desc())))


class ShortageRepository:
    def __init__(self, session: Session):
        self.session = session

    def last_called(self, donor_ids: list[str]) -> dict[str, datetime]:
        if not donor_ids:
            return {}
        rows = self.session.execute(select(shortage_contacts).where(shortage_contacts.c.donor_id.in_(donor_ids)))
        return {r.donor_id: r.last_called_at for r in rows}

    def claim_call(self, donor_id: str, at: datetime, *, not_since: datetime, known: bool) -> bool:
        """Take this donor's call-up slot; False when someone called them after `not_since`.

        The condition lives in the UPDATE, so two consumers handling two shortages at once cannot both
        call the same donor (PostgreSQL re-checks the WHERE after the other writer commits). A first call
        races on the primary key instead: the loser's transaction rolls back and the event is retried.
        """
        if not known:
            self.session.execute(shortage_contacts.insert().values(donor_id=donor_id, last_called_at=at))
            return True
        result = self.session.execute(shortage_contacts.update()
                                      .where(shortage_contacts.c.donor_id == donor_id,
                                             shortage_contacts.c.last_called_at <= not_since)
                                      .values(last_called_at=at))
        return result.rowcount == 1

    def record_campaign(self, **values) -> None:
        self.session.execute(shortage_campaigns.insert().values(**values))

    def campaigns(self) -> list:
        return list(self.session.execute(select(shortage_campaigns).order_by(shortage_campaigns.c.created_at)))
