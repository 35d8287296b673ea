"""Transfusions: a hospital records that a unit issued to it reached a patient (blind index, never the raw ID)."""
from __future__ import annotations

from datetime import datetime, timedelta

from servicekit.errors import Unprocessable
from servicekit.pii import mask

from ..events import UnitTransfused
from ..errors import NotYourUnit, UnitNotFound, UnitNotIssuable, UnitPastExpiry, UnitRecalled
from ..model import Movement, Transfusion, new_id, utc
from ..policy import DEFAULT_POLICY_REGION

CLOCK_SKEW = timedelta(minutes=5)


def record_transfusion(uow, vault, *, hospital_id: str | None, unit_id: str, patient_national_id: str,
                       patient_name: str, transfused_at: datetime, now: datetime) -> Transfusion:
    transfused_at = utc(transfused_at)
    if transfused_at > now + CLOCK_SKEW:
        raise Unprocessable("输血时间不能晚于当前时间", errors={"transfused_at": ["输血时间不能晚于当前时间"]})
    with uow:
        unit = uow.units.get_for_update(unit_id)
        if unit is None:
            raise UnitNotFound()
        if unit.issued_to != hospital_id:
            raise NotYourUnit("该血液未发往本院")
        if unit.status != "issued":
            raise UnitNotIssuable(f"血液状态为 {unit.status}，不能登记输血")
        if unit.issued_at is not None and transfused_at < utc(unit.issued_at) - CLOCK_SKEW:
            raise Unprocessable("输血时间早于发血时间", errors={"transfused_at": ["输血时间不能早于发血时间"]})
        recalled = uow.recalls.unanswered_line_for_unit(unit.id)
        if recalled is not None and transfused_at >= utc(recalled.notified_at):
            # A bag recalled before it was given must not be given (one given before the notice may be recorded).
            raise UnitRecalled(f"该血液已于 {utc(recalled.notified_at).isoformat()} 被回溯召回，不得输注",
                               recall_id=recalled.recall_id)
        # Against the transfusion time, not the clock: a transfusion given in time may be recorded late.
        if unit.is_expired(transfused_at):
            raise UnitPastExpiry(f"血液已于 {utc(unit.expires_at).isoformat()} 过期，不能登记输血",
                                 expires_at=utc(unit.expires_at).isoformat())
        hospital = uow.sites.get(hospital_id)
        record = Transfusion(id=new_id(), unit_id=unit.id, hospital_id=hospital_id,
                             patient_blind=vault.blind_index(patient_national_id),
                             patient_masked=mask(patient_national_id.strip().upper()),
                             patient_name_encrypted=vault.encrypt(patient_name), transfused_at=transfused_at,
                             recorded_at=now, unit=unit)
        uow.transfusions.add(record)
        unit.status, unit.updated_at = "transfused", now
        uow.units.record_movements([Movement(unit.id, "transfused", "transfused", now, from_site=hospital_id,
                                             ref=record.id)])
        uow.publish(UnitTransfused(unit_id=unit.id, din=unit.din, donor_id=unit.donor_id, hospital_id=hospital_id,
                                   hospital_name=hospital.name if hospital else hospital_id,
                                   region=hospital.region if hospital else (unit.region or DEFAULT_POLICY_REGION), component=unit.component,
                                   units=unit.units, volume_ml=unit.volume_ml, patient_blind=record.patient_blind,
                                   transfused_at=transfused_at))
        uow.commit()
        return record
