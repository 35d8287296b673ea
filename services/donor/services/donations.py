"""Donation use cases: record (eligibility, DIN, awards), list, eligibility check, award summary."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError

from servicekit.errors import Unprocessable

from .. import awards as award_rules
from ..din import compose, facility_for, normalise
from ..eligibility import Assessment, PastDonation, Vitals, assess
from ..errors import DinExists, DonorNotFound, DriveMismatch, NotEligible
from ..model import REASON_WORDS, Award, Donation, Donor, shanghai_day
from ..policy import LEVEL_NAMES, NATIONAL_AWARDS, REGIONAL_COMMENDATIONS, rules_for


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _history(donations, rules) -> list[PastDonation]:
    return [PastDonation(d.kind, shanghai_day(d.collected_at), bool(d.adverse_reaction),
                         rules.apheresis_ml(d.kind, d.volume_ml, d.doses)) for d in donations]


def assess_donor(donor: Donor, donations, kind: str, on: date, rules, vitals: Vitals | None = None,
                 apheresis_ml: int = 0):
    """Donations from every region count (the Yangtze River Delta blocks cross-province interval breaches)."""
    return assess(kind=kind, on=on, birth_date=donor.birth_date, sex=donor.sex, history=_history(donations, rules),
                  rules=rules, vitals=vitals, deferred_until=donor.deferred_until if donor.status == "deferred" else None,
                  permanently_deferred=donor.status == "permanently_deferred", apheresis_ml=apheresis_ml)


def _get_donor(uow, donor_id: str, for_update: bool = False) -> Donor:
    donor = uow.donors.get_for_update(donor_id) if for_update else uow.donors.get(donor_id)
    if donor is None:
        raise DonorNotFound()
    return donor


def check_amount(kind: str, volume_ml, doses, rules) -> None:
    if kind == "whole_blood" and volume_ml not in rules.whole_blood_volumes_ml:
        allowed = "、".join(str(v) for v in rules.whole_blood_volumes_ml)
        raise Unprocessable(f"全血献血量应为 {allowed} 毫升", errors={"volume_ml": [f"must be one of {allowed}"]})
    if kind == "platelets" and doses not in rules.platelet_doses:
        allowed = "、".join(str(d) for d in rules.platelet_doses)
        raise Unprocessable(f"血小板应为 {allowed} 个治疗量", errors={"doses": [f"must be one of {allowed}"]})


def _check_apheresis_tests(kind: str, hematocrit, platelet_count) -> None:
    """Apheresis is assessed on the pre-collection haematocrit and platelet count: without them there is no verdict."""
    missing = {name: ["单采血小板前须检测此项"] for name, value in
               (("hematocrit", hematocrit), ("platelet_count", platelet_count)) if value is None}
    if kind == "platelets" and missing:
        raise Unprocessable("单采血小板须填写红细胞压积和血小板计数", errors=missing)


def _refuse(verdict) -> NotEligible:
    return NotEligible("暂不符合献血条件：" + "、".join(REASON_WORDS.get(r, r) for r in verdict.reasons),
                       reasons=list(verdict.reasons),
                       next_eligible_at=verdict.next_eligible_at.isoformat() if verdict.next_eligible_at else None)


def _check_drive(uow, drive_id: str | None, site_id: str, day) -> None:
    """A donation is a drive's only when the drive is this station's and takes place that day."""
    if drive_id is None:
        return
    drive = uow.drives.drive(drive_id)
    if drive is None or drive.station_id != site_id or drive.day != day:
        raise DriveMismatch("请确认团体献血活动、采血血站和日期", drive_id=drive_id)


def _keep_appointment(uow, donor_id: str, donation_id: str, day) -> str | None:
    """The donor's booking for the day of the donation, if any, is kept by it (else it becomes a no-show); its id
    goes into DonationRecorded, so the inventory counts the collection it expected as come."""
    appointment = uow.appointments.booked_for(donor_id)
    if appointment is not None and appointment.day == day:
        appointment.attend(donation_id)
        return appointment.id
    return None


def record_donation(uow, notifier, *, donor_id: str, site_id: str, region: str, kind: str, hemoglobin_g_l: float,
                    weight_kg: float, volume_ml: int | None = None, doses: int | None = None,
                    collected_at: datetime | None = None, systolic: int | None = None, diastolic: int | None = None,
                    pulse: int | None = None, hematocrit: float | None = None, platelet_count: float | None = None,
                    adverse_reaction: bool = False, din: str | None = None, facility_ids: dict | None = None,
                    drive_id: str | None = None, now: datetime | None = None) -> Donation:
    """Record a collection at the calling station (its site and region come from the token)."""
    now = now or _now()
    rules = rules_for(region)
    check_amount(kind, volume_ml, doses, rules)
    _check_apheresis_tests(kind, hematocrit, platelet_count)
    if kind == "whole_blood":
        doses = None
    collected_at = collected_at or now
    if collected_at > now + timedelta(minutes=5):
        raise Unprocessable("采集时间不能晚于当前时间", errors={"collected_at": ["采集时间不能晚于当前时间"]})
    typed_din = normalise(din) if din else None
    day = shanghai_day(collected_at)
    with uow:
        # Locking the donor row serialises concurrent donations of one donor: the second waits here,
        # then sees the first in its history and is refused on the interval.
        donor = _get_donor(uow, donor_id, for_update=True)
        history = uow.donations.for_donor(donor_id)
        vitals = Vitals(hemoglobin_g_l, weight_kg, systolic, diastolic, pulse, hematocrit, platelet_count)
        verdict = assess_donor(donor, history, kind, day, rules, vitals, rules.apheresis_ml(kind, volume_ml, doses))
        if not verdict.eligible:
            raise _refuse(verdict)
        if typed_din and uow.donations.din_taken(typed_din):
            raise DinExists("该献血码已登记")
        _check_drive(uow, drive_id, site_id, day)
        donor.reactivate_if_lapsed(shanghai_day(now), now)
        counts = volume_ml if kind == "whole_blood" else doses * rules.platelet_dose_ml_equivalent
        donation = Donation(id=str(uuid.uuid4()), donor_id=donor_id,
                            din=typed_din or next_din(uow, facility_for(site_id, facility_ids), day.year),
                            kind=kind, volume_ml=volume_ml, doses=doses, counts_as_ml=counts,
                            collected_at=collected_at, site_id=site_id, region=region, hemoglobin_g_l=hemoglobin_g_l,
                            weight_kg=weight_kg, systolic=systolic, diastolic=diastolic, pulse=pulse,
                            hematocrit=hematocrit, platelet_count=platelet_count, adverse_reaction=adverse_reaction,
                            drive_id=drive_id)
        uow.donations.add(donation)
        donor.record_donation(donation, appointment_id=_keep_appointment(uow, donor_id, donation.id, day))
        grant_awards(uow, notifier, donor, history + [donation], now)
        try:
            uow.commit()
        except IntegrityError:
            raise DinExists("该献血码已登记")   # a concurrent request took the same typed DIN
        return donation


def next_din(uow, facility: str, year: int) -> str:
    """Next number from the facility-year counter (an atomic upsert, so concurrent requests never
    share one), skipping numbers a station already typed in by hand."""
    while True:
        din = compose(facility, year, uow.donations.next_sequence(facility, year))
        if not uow.donations.din_taken(din):
            return din


def grant_awards(uow, notifier, donor: Donor, donations, now: datetime, rules=NATIONAL_AWARDS) -> list[str]:
    """Grant every award the donor has earned and not yet received (the caller holds the donor lock;
    the unique (donor, level, cycle) constraint backs it up). Recomputing is harmless."""
    units = sum(rules.units(d.kind, d.volume_ml, d.doses) for d in donations)
    granted = {(a.level, a.cycle) for a in uow.awards.for_donor(donor.id)}
    new = []
    for level, cycle in award_rules.earned(units, rules):
        if (level, cycle) in granted:
            continue
        award, event = Award.grant(donor.id, level, cycle, units, now)
        uow.awards.add(award)
        uow.publish(event)
        new.append(level)
        # Reaching the count makes the donor eligible; the award is conferred at the next national commendation
        # (every `commendation_every_years` years), so the message must not say "you have received it".
        notifier.notify(uow, donor, kind="award_granted",
                        title=f"您已达到全国无偿献血奉献奖{LEVEL_NAMES[level]}的表彰条件",
                        body=f"您累计献血 {units:g} 次（按全国无偿献血表彰奖励办法计算），已具备{LEVEL_NAMES[level]}的申报资格，"
                             f"将在下一届全国无偿献血表彰（每{rules.commendation_every_years}年一届）中由献血机构申报。"
                             "感谢您的无私奉献！",
                        now=now, dedupe_key=f"award:{donor.id}:{level}:{cycle}")
    for commendation in REGIONAL_COMMENDATIONS:
        total = sum(d.counts_as_ml for d in donations if d.region == commendation.region)
        if total >= commendation.min_ml:
            # Once per donor (the dedupe key); a replay or a recomputation finds it already sent.
            notifier.notify(uow, donor, kind="commendation", title=f"您已达到{commendation.name}的条件",
                            body=f"您在本市累计献血 {total} 毫升，达到 {commendation.min_ml} 毫升，"
                                 f"可获{commendation.name}（{commendation.source.split(' [')[0]}）。感谢您的无私奉献！",
                            now=now, dedupe_key=f"commendation:{donor.id}:{commendation.region}")
    return new


def list_donations(uow, donor_id: str) -> list[Donation]:
    with uow:
        _get_donor(uow, donor_id)
        return uow.donations.for_donor(donor_id)


def check_eligibility(uow, donor_id: str, kind: str, region: str | None = None,
                      now: datetime | None = None) -> Assessment:
    """Today's verdict (Asia/Shanghai) under the rules of `region` (the asking station's), else the donor's."""
    now = now or _now()
    with uow:
        donor = _get_donor(uow, donor_id)
        rules = rules_for(region or donor.region)
        return assess_donor(donor, uow.donations.for_donor(donor_id), kind, shanghai_day(now), rules)


def award_summary(uow, donor_id: str, rules=NATIONAL_AWARDS) -> award_rules.AwardSummary:
    with uow:
        _get_donor(uow, donor_id)
        donations = uow.donations.for_donor(donor_id)
        awards = uow.awards.for_donor(donor_id)
    return award_rules.summarise(donations, awards, rules)
