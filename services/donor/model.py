"""Donor domain: identity documents, the Donor aggregate, donations, awards, notifications. Plain Python."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from hemolink.calendar import SHANGHAI, shanghai_day  # noqa: F401  (re-exported to the donor's modules)
from hemolink.phenotypes import RHD_NEGATIVE

from .errors import AppointmentNotCancellable, AppointmentNotOpen, InvalidNationalId
from .events import AwardGranted, DonationRecorded, DonorDeferred, DonorRegistered, DonorUpdated

ABO = ("A", "B", "O", "AB")
RHD = ("pos", "neg")
KINDS = ("whole_blood", "platelets")
# Documents Shanghai accepts (上海市献血条例 Art. 47): mainland resident ID, residence permits for
# Hong Kong/Macau and Taiwan residents (18 digits, address code 810000/820000/830000, same checksum),
# and the foreign permanent-residence ID (2023 edition: 18 characters starting with 9, same checksum).
ID_TYPES = ("resident_id", "hk_macau_permit", "taiwan_permit", "foreign_permanent_id")
_PERMIT_PREFIX = {"hk_macau_permit": ("810000", "820000"), "taiwan_permit": ("830000",)}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


REASON_WORDS = {"interval": "未到献血间隔", "age": "年龄不符", "hemoglobin": "血红蛋白偏低", "weight": "体重不足",
                "blood_pressure": "血压不在范围内", "deferred": "处于暂缓献血期", "annual_limit": "已达年度献血次数上限",
                "pulse": "脉搏不在范围内", "hematocrit": "红细胞压积偏低", "platelet_count": "血小板计数不在范围内",
                "apheresis_volume": "已达年度单采量上限"}


def gb11643_check_char(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def parse_identity(value: str, id_type: str = "resident_id") -> tuple[date, str]:
    """Validate an identity document number; return (birth date, sex 'M'/'F')."""
    value = value.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidNationalId("证件号码应为 17 位数字加 1 位校验码")
    if gb11643_check_char(value[:17]) != value[17]:
        raise InvalidNationalId("证件号码校验码不正确")
    if id_type in _PERMIT_PREFIX and not value.startswith(_PERMIT_PREFIX[id_type]):
        raise InvalidNationalId("居住证号码的地址码不符合证件类型")
    if id_type == "resident_id" and value[:2] in ("81", "82", "83"):
        raise InvalidNationalId("港澳台居民居住证请选择对应的证件类型")
    if id_type == "foreign_permanent_id" and value[0] != "9":
        # 2023 edition: 9 + 2-digit province + 3-digit country + YYYYMMDD + 3-digit sequence + check
        raise InvalidNationalId("外国人永久居留身份证号码应以 9 开头")
    birth_digits = value[6:14]
    try:
        birth = date(int(birth_digits[:4]), int(birth_digits[4:6]), int(birth_digits[6:8]))
    except ValueError as exc:
        raise InvalidNationalId("证件号码中的出生日期不存在") from exc
    if birth.year < 1900 or birth > date.today():
        raise InvalidNationalId("证件号码中的出生日期不合理")
    sex = "M" if int(value[16]) % 2 == 1 else "F"
    return birth, sex


@dataclass(eq=False)
class Donation:
    id: str
    donor_id: str
    din: str
    kind: str
    volume_ml: int | None
    doses: int | None
    counts_as_ml: int
    collected_at: datetime
    site_id: str
    region: str
    hemoglobin_g_l: float | None      # None for a donation imported from a region's history
    weight_kg: float | None
    systolic: int | None = None
    diastolic: int | None = None
    adverse_reaction: bool = False     # a reaction during/after this donation ends "repeat donor" status
    pulse: int | None = None
    hematocrit: float | None = None
    platelet_count: float | None = None
    drive_id: str | None = None        # collected at a group drive (团体献血), else street donation

    @property
    def din_check(self) -> str:
        from .din import check_character

        return check_character(self.din)


@dataclass(eq=False)
class Donor:
    id: str
    name: str
    id_type: str
    national_id_encrypted: str
    national_id_blind: str
    national_id_masked: str
    phone_encrypted: str
    phone_blind: str
    phone_masked: str
    birth_date: date
    sex: str
    abo: str
    rhd: str
    region: str
    registered_at: datetime
    registered_site: str | None = None
    status: str = "active"
    deferred_until: date | None = None
    deferral_reason: str | None = None
    phenotypes: list = field(default_factory=list)   # rare phenotypes found by serology (hemolink.phenotypes)
    call_consent: bool = False                       # agrees to be called when their rare blood is needed
    events: list = field(default_factory=list, repr=False)

    @classmethod
    def register(cls, **kwargs) -> "Donor":
        donor = cls(**kwargs)
        donor.events.append(DonorRegistered(
            donor_id=donor.id, national_id_blind=donor.national_id_blind,
            national_id_masked=donor.national_id_masked, region=donor.region, abo=donor.abo,
            rhd=donor.rhd, birth_date=donor.birth_date, sex=donor.sex,
            registered_at=donor.registered_at,
        ))
        return donor

    def effective_status(self, today: date) -> str:
        """A temporary deferral lapses by itself on its end date (no job flips the stored status)."""
        if self.status == "deferred" and self.deferred_until and today >= self.deferred_until:
            return "active"
        return self.status

    def reactivate_if_lapsed(self, today: date, now: datetime) -> None:
        """Store the lapse (and tell subscribers) the first time the donor is written to after it."""
        if self.status == "deferred" and self.effective_status(today) == "active":
            self.status, self.deferred_until, self.deferral_reason = "active", None, None
            self._updated(now)

    def record_donation(self, donation: Donation, appointment_id: str | None = None) -> None:
        self.events.append(DonationRecorded(
            donation_id=donation.id, donor_id=self.id, national_id_blind=self.national_id_blind,
            national_id_masked=self.national_id_masked, region=donation.region, site_id=donation.site_id,
            kind=donation.kind, volume_ml=donation.volume_ml, doses=donation.doses,
            counts_as_ml=donation.counts_as_ml, din=donation.din, collected_at=donation.collected_at,
            abo=self.abo, rhd=self.rhd, drive_id=donation.drive_id,
            appointment_id=appointment_id))

    def defer(self, *, reason: str, permanent: bool, until: date | None, now: datetime) -> bool:
        """Defer (never shortening an existing deferral); returns False when nothing changed."""
        if self.status == "permanently_deferred":
            return False
        if not permanent and self.status == "deferred" and self.deferred_until and until and until <= self.deferred_until:
            return False
        self.status = "permanently_deferred" if permanent else "deferred"
        self.deferred_until = None if permanent else until
        self.deferral_reason = reason
        self.events.append(DonorDeferred(donor_id=self.id, reason=reason, permanent=permanent,
                                         until=self.deferred_until, deferred_at=now))
        self._updated(now)
        return True

    @property
    def rare_types(self) -> list[str]:
        """Every rare phenotype of the donor, RhD-negative (from the RhD) first."""
        return ([RHD_NEGATIVE] if self.rhd == "neg" else []) + list(self.phenotypes)

    def set_rare_profile(self, *, phenotypes: list[str], call_consent: bool, now: datetime) -> None:
        changed = sorted(set(phenotypes)) != sorted(self.phenotypes)
        self.phenotypes, self.call_consent = sorted(set(phenotypes)), call_consent
        if changed:          # the waiver counts rare types for entitlements: it hears of every change
            self._updated(now)

    def _updated(self, now: datetime) -> None:
        self.events.append(DonorUpdated(donor_id=self.id, status=self.status, abo=self.abo, rhd=self.rhd,
                                        region=self.region, updated_at=now, phenotypes=tuple(self.phenotypes)))


@dataclass(frozen=True)
class Profile:
    """What a donor sees of themselves: their record, the totals of their donations, and when they may next give
    whole blood."""
    donor: Donor
    donation_count: int
    total_ml: int
    next_eligible_at: date | None


@dataclass(eq=False)
class Award:
    id: str
    donor_id: str
    level: str
    cycle: int
    units_at_grant: float
    granted_at: datetime

    @classmethod
    def grant(cls, donor_id: str, level: str, cycle: int, units: float, now: datetime) -> tuple["Award", AwardGranted]:
        award = cls(id=str(uuid.uuid4()), donor_id=donor_id, level=level, cycle=cycle, units_at_grant=units,
                    granted_at=now)
        return award, AwardGranted(donor_id=donor_id, level=level, donation_count=units, granted_at=now)


@dataclass(eq=False)
class Notification:
    id: str
    donor_id: str
    kind: str
    title: str
    body: str
    created_at: datetime
    read: bool = False
    dedupe_key: str | None = None   # the event that caused it: one notification per event


APPOINTMENT_STATUSES = ("booked", "cancelled", "attended", "no_show")


@dataclass(eq=False)
class Appointment:
    """A donor's booking of one slot at a donation point; at most one `booked` per donor (the database says so)."""
    id: str
    donor_id: str
    point_id: str
    station_id: str
    kind: str
    starts_at: datetime
    answers: dict                   # the pre-screening questionnaire as answered (prescreen.QUESTIONS)
    created_at: datetime
    status: str = "booked"
    cancelled_at: datetime | None = None
    reminded_at: datetime | None = None
    donation_id: str | None = None
    campaign_id: str | None = None      # the call-up whose invitation it was booked from

    @property
    def day(self) -> date:
        return shanghai_day(self.starts_at)

    def cancel(self, now: datetime) -> None:
        if self.status != "booked" or self.starts_at <= now:
            raise AppointmentNotCancellable("只能取消尚未开始的预约")
        self.status, self.cancelled_at = "cancelled", now

    def attend(self, donation_id: str) -> None:
        self.status, self.donation_id = "attended", donation_id

    def miss(self) -> None:
        self.status = "no_show"

    def miss_now(self, now: datetime) -> None:
        """The station saw the donor not come: only a booking whose slot has started can be missed."""
        if self.status != "booked" or self.starts_at > now:
            raise AppointmentNotOpen("只能为已开始且仍为预约状态的时段登记未到")
        self.miss()
