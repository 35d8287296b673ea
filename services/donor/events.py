"""Events the donor service publishes on `donor.events` (docs/events.md); each wire schema is derived from its
dataclass (servicekit.wire)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from servicekit.wire import published


@dataclass(frozen=True)
class DonorRegistered:
    TYPE = "DonorRegistered"
    VERSION = 1
    donor_id: str
    national_id_blind: str
    national_id_masked: str
    region: str
    abo: str
    rhd: str
    birth_date: date
    sex: str
    registered_at: datetime

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class DonorUpdated:
    TYPE = "DonorUpdated"
    VERSION = 1
    donor_id: str
    status: str
    abo: str
    rhd: str
    region: str
    updated_at: datetime
    # Rare phenotypes the station recorded (hemolink.phenotypes.RECORDED); added after version 1 shipped: a reader
    # that finds no key keeps what it knew.
    phenotypes: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class DonationRecorded:
    TYPE = "DonationRecorded"
    VERSION = 1
    donation_id: str
    donor_id: str
    national_id_blind: str
    national_id_masked: str
    region: str
    site_id: str
    kind: str
    volume_ml: int | None
    doses: int | None
    counts_as_ml: int
    din: str
    collected_at: datetime
    abo: str
    rhd: str
    drive_id: str | None = None     # a group drive's donation (added within v1: absent means street donation)
    appointment_id: str | None = None   # the booking the donation kept (added within v1: absent means none)

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class DonorDeferred:
    TYPE = "DonorDeferred"
    VERSION = 1
    donor_id: str
    reason: str
    permanent: bool
    until: date | None
    deferred_at: datetime

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class AwardGranted:
    TYPE = "AwardGranted"
    VERSION = 1
    donor_id: str
    level: str
    donation_count: float
    granted_at: datetime

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class AppointmentBooked:
    """A place taken at a station's point: a collection the station (and its stock) can expect that day."""
    TYPE = "AppointmentBooked"
    VERSION = 1
    appointment_id: str
    point_id: str
    station_id: str
    region: str
    kind: str
    starts_at: datetime
    day: date                       # the slot's day in Asia/Shanghai
    booked_at: datetime

    @property
    def subject(self) -> str:
        return self.appointment_id


@dataclass(frozen=True)
class AppointmentCancelled(AppointmentBooked):
    """The donor gave the place back: no collection to expect. Same fields (`booked_at` is when it was booked),
    so a reader that meets it before the booking still knows where and when it was."""
    TYPE = "AppointmentCancelled"
    at: datetime                    # when it was cancelled (or found missed)


@dataclass(frozen=True)
class AppointmentMissed(AppointmentCancelled):
    """The donor did not come (recorded by the station at its day sheet, or by the nightly job)."""
    TYPE = "AppointmentMissed"


@dataclass(frozen=True)
class DriveScheduled:
    """A group drive planned by a station: `target_donors` collections expected on its day."""
    TYPE = "DriveScheduled"
    VERSION = 1
    drive_id: str
    organisation_id: str
    station_id: str
    region: str
    day: date
    point_id: str | None
    target_donors: int
    scheduled_at: datetime

    @property
    def subject(self) -> str:
        return self.drive_id


@dataclass(frozen=True)
class PostDonationReported:
    """A donor reported illness after giving (#22): the inventory opens a lookback over their blood. No symptoms or
    notes travel, only the reason code."""
    TYPE = "PostDonationReported"
    VERSION = 1
    report_id: str
    donor_id: str
    station_id: str
    region: str
    reason: str
    onset_at: datetime | None
    reported_at: datetime

    @property
    def subject(self) -> str:
        return self.donor_id


PUBLISHED = published(DonorRegistered, DonorUpdated, DonationRecorded, DonorDeferred, AwardGranted, AppointmentBooked,
                      AppointmentCancelled, AppointmentMissed, DriveScheduled, PostDonationReported)
