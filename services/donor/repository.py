"""Donor persistence behind small role-named methods."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from servicekit.db import for_update, insert_of, is_sqlite

from .model import Appointment, Award, Donation, Donor, Notification
from .orm import appointments as orm_appointments
from .orm import (call_up_invitations, din_sequences, drive_roster, drives, emergency_team_members, emergency_teams,
                  organisations, rare_call_ups, shortage_campaigns, shortage_contacts, slots)
from .orm import donations as donations_table
from .points import DonationPoint, PointStop


def upsert_insert(session: Session):
    """The dialect's INSERT, which has ON CONFLICT (the core one has not): PostgreSQL's or SQLite's."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


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
        insert = upsert_insert(self.session)
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

    def invite(self, campaign_id: str, donor_id: str, point_id: str | None, at: datetime) -> None:
        self.session.execute(call_up_invitations.insert().values(campaign_id=campaign_id, donor_id=donor_id,
                                                                 point_id=point_id, invited_at=at))

    def invited(self, campaign_id: str, donor_id: str) -> bool:
        return self.session.execute(select(call_up_invitations.c.donor_id).where(
            call_up_invitations.c.campaign_id == campaign_id, call_up_invitations.c.donor_id == donor_id)).first() is not None

    def reports(self, region: str, limit: int = 50) -> list:
        """The region's latest call-ups with invited → booked (not cancelled) → donated (a donation by an invited
        donor since the invitation) counted by the database."""
        inv, appt, don = call_up_invitations, orm_appointments, donations_table
        invited = (select(func.count()).select_from(inv).where(inv.c.campaign_id == shortage_campaigns.c.id)
                   .scalar_subquery())
        booked = (select(func.count()).select_from(appt).where(appt.c.campaign_id == shortage_campaigns.c.id,
                                                               appt.c.status != "cancelled").scalar_subquery())
        donated = (select(func.count(func.distinct(inv.c.donor_id))).select_from(
            inv.join(don, (don.c.donor_id == inv.c.donor_id) & (don.c.collected_at >= inv.c.invited_at)))
            .where(inv.c.campaign_id == shortage_campaigns.c.id).scalar_subquery())
        stmt = (select(shortage_campaigns, invited.label("invited"), booked.label("booked"),
                       donated.label("donated"))
                .where(shortage_campaigns.c.region == region)
                .order_by(shortage_campaigns.c.created_at.desc()).limit(limit))
        return list(self.session.execute(stmt))

    def record_campaign(self, **values) -> None:
        self.session.execute(shortage_campaigns.insert().values(**values))

    def campaigns(self) -> list:
        return list(self.session.execute(select(shortage_campaigns).order_by(shortage_campaigns.c.created_at)))


class PointRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, item: DonationPoint | PointStop) -> None:
        self.session.add(item)

    def get(self, point_id: str) -> DonationPoint | None:
        return self.session.get(DonationPoint, point_id)

    def active(self) -> list[DonationPoint]:
        """Every open point: a region has hundreds, not millions, so ranking by distance happens in Python."""
        return list(self.session.scalars(select(DonationPoint).where(DonationPoint.active.is_(True))))

    def stops(self, point_ids: list[str], first: date, last: date) -> dict[str, list[PointStop]]:
        out: dict[str, list[PointStop]] = {p: [] for p in point_ids}
        if point_ids:
            for stop in self.session.scalars(select(PointStop).where(PointStop.point_id.in_(point_ids),
                                                                     PointStop.day >= first, PointStop.day <= last)):
                out[stop.point_id].append(stop)
        return out

    def booked(self, point_ids: list[str], start: datetime, end: datetime) -> dict[tuple, int]:
        """{(point_id, kind, starts_at): places taken} for slots starting in [start, end)."""
        if not point_ids:
            return {}
        rows = self.session.execute(select(slots.c.point_id, slots.c.kind, slots.c.starts_at, slots.c.booked)
                                    .where(slots.c.point_id.in_(point_ids), slots.c.starts_at >= start,
                                           slots.c.starts_at < end))
        return {(r.point_id, r.kind, r.starts_at): r.booked for r in rows}

    def take_place(self, point_id: str, kind: str, starts_at: datetime, capacity: int) -> bool:
        """Book one place: False when the slot is full. The slot row is created on first use (a conflicting
        insert does nothing), then one conditional UPDATE takes the place: of two requests for the last place,
        PostgreSQL re-checks the other's WHERE after the first commits, and SQLite serialises the writers."""
        insert = upsert_insert(self.session)
        self.session.execute(insert(slots).values(point_id=point_id, kind=kind, starts_at=starts_at,
                                                  capacity=capacity, booked=0).on_conflict_do_nothing())
        taken = self.session.execute(slots.update().where(slots.c.point_id == point_id, slots.c.kind == kind,
                                                          slots.c.starts_at == starts_at,
                                                          slots.c.booked < slots.c.capacity)
                                     .values(booked=slots.c.booked + 1))
        return taken.rowcount == 1

    def give_back_place(self, point_id: str, kind: str, starts_at: datetime) -> None:
        self.session.execute(slots.update().where(slots.c.point_id == point_id, slots.c.kind == kind,
                                                  slots.c.starts_at == starts_at, slots.c.booked > 0)
                             .values(booked=slots.c.booked - 1))


class AppointmentRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, appointment: Appointment) -> None:
        """Written at once: a second booking of the same donor fails here (IntegrityError), not at commit."""
        self.session.add(appointment)
        self.session.flush()

    def get(self, appointment_id: str, *, lock: bool = False) -> Appointment | None:
        stmt = select(Appointment).where(Appointment.id == appointment_id)
        return self.session.scalars(for_update(stmt, self.session) if lock else stmt).first()

    def booked_for(self, donor_id: str) -> Appointment | None:
        return self.session.scalars(select(Appointment).where(Appointment.donor_id == donor_id,
                                                              Appointment.status == "booked")).first()

    def for_donor(self, donor_id: str) -> list[Appointment]:
        return list(self.session.scalars(select(Appointment).where(Appointment.donor_id == donor_id)
                                         .order_by(Appointment.starts_at.desc())))

    def at_point(self, point_id: str, start: datetime, end: datetime) -> list[Appointment]:
        return list(self.session.scalars(select(Appointment).where(Appointment.point_id == point_id,
                                                                   Appointment.starts_at >= start,
                                                                   Appointment.starts_at < end)
                                         .order_by(Appointment.starts_at)))

    def due_reminders(self, start: datetime, end: datetime, batch: int) -> list[Appointment]:
        """Booked, starting in [start, end), not yet reminded: claimed for this transaction (SKIP LOCKED)."""
        stmt = (select(Appointment).where(Appointment.status == "booked", Appointment.reminded_at.is_(None),
                                          Appointment.starts_at >= start, Appointment.starts_at < end)
                .order_by(Appointment.starts_at).limit(batch))
        return list(self.session.scalars(for_update(stmt, self.session, skip_locked=True)))

    def missed(self, before: datetime, batch: int) -> list[Appointment]:
        """Still booked though their day is over: claimed for this transaction (SKIP LOCKED)."""
        stmt = (select(Appointment).where(Appointment.status == "booked", Appointment.starts_at < before)
                .order_by(Appointment.starts_at).limit(batch))
        return list(self.session.scalars(for_update(stmt, self.session, skip_locked=True)))


class RareRepository:
    def __init__(self, session: Session):
        self.session = session

    def rare_donors(self, region: str | None) -> list[Donor]:
        """Donors with a rare type: RhD-negative or with a recorded phenotype (a list other than the empty one, as
        both databases render it). A region of 1 M donors has a few thousand."""
        stmt = select(Donor).where(Donor.status != "permanently_deferred",
                                   (Donor.rhd == "neg") | (func.cast(Donor.phenotypes, String) != "[]"))
        if region is not None:
            stmt = stmt.where(Donor.region == region)
        return list(self.session.scalars(stmt.order_by(Donor.region, Donor.name)))

    def add_team(self, **values) -> None:
        self.session.execute(emergency_teams.insert().values(**values))

    def team(self, team_id: str):
        return self.session.execute(select(emergency_teams).where(emergency_teams.c.id == team_id)).first()

    def teams(self, region: str) -> list:
        members = (select(func.count()).select_from(emergency_team_members)
                   .where(emergency_team_members.c.team_id == emergency_teams.c.id).scalar_subquery())
        return list(self.session.execute(select(emergency_teams, members.label("members"))
                                         .where(emergency_teams.c.region == region)
                                         .order_by(emergency_teams.c.created_at)))

    def join(self, team_id: str, donor_id: str, at: datetime) -> bool:
        """False when the donor is already a member (the primary key says so)."""
        insert = upsert_insert(self.session)
        done = self.session.execute(insert(emergency_team_members).values(team_id=team_id, donor_id=donor_id,
                                                                          joined_at=at).on_conflict_do_nothing())
        return done.rowcount == 1

    def team_members(self) -> set[str]:
        return set(self.session.scalars(select(emergency_team_members.c.donor_id)))

    def record_call_up(self, **values) -> None:
        self.session.execute(rare_call_ups.insert().values(**values))

    def call_ups(self, limit: int = 50) -> list:
        return list(self.session.execute(select(rare_call_ups).order_by(rare_call_ups.c.created_at.desc())
                                         .limit(limit)))


class DriveRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_organisation(self, **values) -> None:
        self.session.execute(organisations.insert().values(**values))

    def organisation(self, organisation_id: str):
        return self.session.execute(select(organisations).where(organisations.c.id == organisation_id)).first()

    def organisations(self, region: str) -> list:
        return list(self.session.execute(select(organisations).where(organisations.c.region == region)
                                         .order_by(organisations.c.name)))

    def add_drive(self, **values) -> None:
        self.session.execute(drives.insert().values(**values))

    def drive(self, drive_id: str):
        return self.session.execute(select(drives).where(drives.c.id == drive_id)).first()

    def drives(self, region: str, since: date) -> list:
        return list(self.session.execute(select(drives).where(drives.c.region == region, drives.c.day >= since)
                                         .order_by(drives.c.day)))

    def enrol(self, drive_id: str, donor_ids: list[str], at: datetime) -> None:
        """Add to the roster; a donor already on it stays once (the primary key, a conflicting insert does nothing)."""
        insert = upsert_insert(self.session)
        for donor_id in donor_ids:
            self.session.execute(insert(drive_roster).values(drive_id=drive_id, donor_id=donor_id, added_at=at)
                                 .on_conflict_do_nothing())

    def roster(self, drive_id: str) -> list[str]:
        return list(self.session.scalars(select(drive_roster.c.donor_id).where(drive_roster.c.drive_id == drive_id)))

    def donated_at(self, drive_id: str) -> list[Donation]:
        return list(self.session.scalars(select(Donation).where(Donation.drive_id == drive_id)))

    def group_donations(self, region: str, start: datetime, end: datetime) -> list:
        """(organisation id, organisation name, kind, donor id, counts_as_ml) of every drive donation in [start, end)."""
        stmt = (select(organisations.c.id, organisations.c.name, organisations.c.kind, Donation.donor_id,
                       Donation.counts_as_ml)
                .select_from(Donation).join(drives, drives.c.id == Donation.drive_id)
                .join(organisations, organisations.c.id == drives.c.organisation_id)
                .where(drives.c.region == region, Donation.collected_at >= start, Donation.collected_at < end))
        return list(self.session.execute(stmt))

    def channel_split(self, region: str, start: datetime, end: datetime) -> dict[bool, tuple[int, int]]:
        """{at a drive?: (donations, ml)} of the region's donations in [start, end): 双轨, group beside street."""
        at_drive = Donation.drive_id.is_not(None)
        rows = self.session.execute(select(at_drive.label("group"), func.count(), func.coalesce(func.sum(Donation.counts_as_ml), 0))
                                    .where(Donation.region == region, Donation.collected_at >= start,
                                           Donation.collected_at < end).group_by(at_drive))
        return {bool(r[0]): (r[1], int(r[2])) for r in rows}

    def donation_counts(self, donor_ids: list[str]) -> dict[str, int]:
        if not donor_ids:
            return {}
        rows = self.session.execute(select(Donation.donor_id, func.count()).where(Donation.donor_id.in_(donor_ids))
                                    .group_by(Donation.donor_id))
        return {r[0]: r[1] for r in rows}
