"""Appointments: a donor books a slot at a donation point, is reminded the day before, may cancel; the station
sees its day sheet; a missed slot is recorded as a no-show, a kept one by the donation it led to."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError

from servicekit.auth import Principal

from ..errors import (AppointmentExists, AppointmentNotFound, DonorNotFound, NotEligible, PointNotFound, SlotFull,
                      SlotUnavailable)
from ..events import AppointmentBooked, AppointmentCancelled, AppointmentMissed
from ..model import REASON_WORDS, SHANGHAI, Appointment, Donor, shanghai_day
from ..points import POINT_KIND_WORDS
from ..policy import BOOKING, rules_for
from ..prescreen import refusals
from .donations import assess_donor
from .points import day_bounds, own_point

KIND_WORDS = {"whole_blood": "全血", "platelets": "血小板"}
PRESCREEN_WORDS = {"prescreen_unwell": "近期身体不适", "prescreen_tattoo": "一年内文身、穿耳洞或针灸",
                   "prescreen_surgery": "半年内手术或输血", "prescreen_medication": "一周内服药",
                   "prescreen_pregnancy": "怀孕、哺乳或产后一年内", "prescreen_travel": "一年内到过疟疾流行地区"}


def _when(at: datetime) -> str:
    local = at.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def book(uow, notifier, *, donor_id: str, point_id: str, kind: str, starts_at: datetime, answers: dict,
         now: datetime, campaign_id: str | None = None) -> Appointment:
    """Refused with every reason at once (422 not_eligible) when the answers or the donor's record say the
    collection could not happen that day; 409 when the slot is full or the donor already holds a booking."""
    starts_at = starts_at.astimezone(timezone.utc)
    day = shanghai_day(starts_at)
    with uow:
        point = uow.points.get(point_id)
        if point is None or not point.active:
            raise PointNotFound()
        stops = uow.points.stops([point.id], day, day)[point.id]
        if starts_at not in {s.astimezone(timezone.utc) for s in point.slots_on(day, stops)} or not point.takes(kind):
            raise SlotUnavailable("该献血点在此时段不开放或不提供该类献血")
        if starts_at <= now or day > shanghai_day(now) + timedelta(days=BOOKING.horizon_days):
            raise SlotUnavailable(f"只能预约今后 {BOOKING.horizon_days} 天内尚未开始的时段")
        donor = uow.donors.get(donor_id)
        if donor is None:
            raise DonorNotFound()
        verdict = assess_donor(donor, uow.donations.for_donor(donor_id), kind, day, rules_for(point.region))
        reasons = refusals(answers) + [r for r in verdict.reasons]
        if reasons:
            words = [PRESCREEN_WORDS.get(r) or REASON_WORDS.get(r, r) for r in reasons]
            raise NotEligible("该时段无法为您采血：" + "、".join(words), reasons=reasons,
                              next_eligible_at=verdict.next_eligible_at.isoformat() if verdict.next_eligible_at else None)
        if uow.appointments.booked_for(donor_id) is not None:
            raise AppointmentExists("请先完成或取消已有的预约")
        if not uow.points.take_place(point.id, kind, starts_at, point.takes(kind)):
            raise SlotFull("请选择其他时段")
        # Booked from a call-up's link: counted in its report if the call-up invited this donor (a stale or
        # forwarded link books all the same, uncounted).
        invited = campaign_id is not None and uow.shortages.invited(campaign_id, donor_id)
        appointment = Appointment(id=str(uuid.uuid4()), donor_id=donor_id, point_id=point.id,
                                  station_id=point.station_id, kind=kind, starts_at=starts_at, answers=dict(answers),
                                  created_at=now, campaign_id=campaign_id if invited else None)
        try:
            uow.appointments.add(appointment)
        except IntegrityError:      # the same donor booking at the same moment: the partial unique index said no
            raise AppointmentExists("请先完成或取消已有的预约")
        uow.publish(_fact(AppointmentBooked, appointment, point.region))
        notifier.notify(uow, donor, kind="appointment_booked", title="献血预约成功",
                        body=f"您已预约 {_when(starts_at)} 在{point.name}（{POINT_KIND_WORDS[point.kind]}）"
                             f"{KIND_WORDS[kind]}献血。请携带身份证件，献血前一晚保证睡眠、勿空腹。",
                        now=now, dedupe_key=f"appointment:{appointment.id}:booked")
        uow.commit()
        return appointment


def cancel(uow, *, donor_id: str, appointment_id: str, now: datetime) -> Appointment:
    with uow:
        appointment = uow.appointments.get(appointment_id, lock=True)
        if appointment is None or appointment.donor_id != donor_id:
            raise AppointmentNotFound()
        appointment.cancel(now)
        uow.points.give_back_place(appointment.point_id, appointment.kind, appointment.starts_at)
        uow.publish(_fact(AppointmentCancelled, appointment, _region(uow, appointment), at=now))
        uow.commit()
        return appointment


def record_no_show(uow, principal: Principal, *, point_id: str, appointment_id: str, now: datetime) -> Appointment:
    """The station marks, from its day sheet, a donor who did not come (the place is not given back: the slot has
    started). Another station's point is 404 `point_not_found`, an appointment not of that point 404."""
    with uow:
        own_point(uow, principal, point_id)
        appointment = uow.appointments.get(appointment_id, lock=True)
        if appointment is None or appointment.point_id != point_id:
            raise AppointmentNotFound()
        appointment.miss_now(now)
        uow.publish(_fact(AppointmentMissed, appointment, _region(uow, appointment), at=now))
        uow.commit()
        return appointment


def _region(uow, appointment: Appointment) -> str:
    return uow.points.get(appointment.point_id).region


def _fact(event_type, appointment: Appointment, region: str, **extra):
    """The appointment as the other services see it: where, when and what kind (no donor)."""
    return event_type(appointment_id=appointment.id, point_id=appointment.point_id, station_id=appointment.station_id,
                      region=region, kind=appointment.kind, starts_at=appointment.starts_at, day=appointment.day,
                      booked_at=appointment.created_at, **extra)


@dataclass(frozen=True)
class CallUpReport:
    """A shortage call-up and what came of it: invited → booked (not cancelled) → donated since the invitation."""
    id: str
    region: str
    site_id: str
    component: str
    abo: str
    rhd: str
    level: str
    created_at: datetime
    invited: int
    booked: int
    donated: int


def call_up_reports(uow, principal: Principal) -> list[CallUpReport]:
    """The latest call-ups of the caller's region."""
    with uow:
        return [CallUpReport(id=r.id, region=r.region, site_id=r.site_id, component=r.component, abo=r.abo, rhd=r.rhd,
                             level=r.level, created_at=r.created_at, invited=r.invited, booked=r.booked,
                             donated=r.donated) for r in uow.shortages.reports(principal.region)]


def my_appointments(uow, *, donor_id: str) -> list[Appointment]:
    with uow:
        return uow.appointments.for_donor(donor_id)


@dataclass(frozen=True)
class ExpectedDonor:
    appointment: Appointment
    donor: Donor


def day_sheet(uow, principal: Principal, *, point_id: str, day) -> list[ExpectedDonor]:
    """Who is expected at the station's point on a day, in slot order (cancellations left out)."""
    with uow:
        point = own_point(uow, principal, point_id)
        start, end = day_bounds(day)
        booked = [a for a in uow.appointments.at_point(point.id, start, end) if a.status != "cancelled"]
        donors = {d.id: d for d in (uow.donors.get(a.donor_id) for a in booked) if d is not None}
        return [ExpectedDonor(a, donors[a.donor_id]) for a in booked if a.donor_id in donors]


def send_reminders(uow, notifier, *, now: datetime, batch: int = 200) -> int:
    """Remind, once, everyone booked for tomorrow (Asia/Shanghai)."""
    start, end = day_bounds(shanghai_day(now) + timedelta(days=1))
    with uow:
        due = uow.appointments.due_reminders(start, end, batch)
        for appointment in due:
            donor = uow.donors.get(appointment.donor_id)
            point = uow.points.get(appointment.point_id)
            if donor is not None and point is not None:
                notifier.notify(uow, donor, kind="appointment_reminder", title="明日献血提醒",
                                body=f"您预约了明天 {_when(appointment.starts_at)} 在{point.name}{KIND_WORDS[appointment.kind]}"
                                     "献血。如需改期，请在小程序中取消后重新预约。",
                                now=now, dedupe_key=f"appointment:{appointment.id}:reminder")
            appointment.reminded_at = now
        uow.commit()
        return len(due)


def record_no_shows(uow, *, now: datetime, batch: int = 500) -> int:
    """Appointments still booked after their day are no-shows (a kept one was marked by its donation)."""
    start, _ = day_bounds(shanghai_day(now))
    with uow:
        missed = uow.appointments.missed(start, batch)
        for appointment in missed:
            appointment.miss()
            uow.publish(_fact(AppointmentMissed, appointment, _region(uow, appointment), at=now))
        uow.commit()
        return len(missed)

