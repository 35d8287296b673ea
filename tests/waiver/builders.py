"""Test data for the waiver service: people, ledger facts fed through the real consumer path, request bodies."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta, timezone

from servicekit.consumer import EventProcessor
from servicekit.pii import PiiVault, mask
from servicekit.testing import FakeProducer, make_envelope, record_of
from tests.helpers import PII_KEY, make_national_id
from waiver.handlers import HANDLERS
from waiver.unit_of_work import WaiverUnitOfWork

VAULT = PiiVault(PII_KEY)
_seq = itertools.count(1)


def person(region: str = "310104", birth: str = "19850101", female: bool = False) -> str:
    """A fresh valid resident ID."""
    return make_national_id(birth=birth, region=region, seq=next(_seq) % 499, female=female)


def ago(days: float = 0, hours: float = 0) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days, hours=hours)


class Ledger:
    """Feeds donor/inventory events through the waiver consumer's handlers (inbox included)."""

    def __init__(self, session_factory):
        self.processor = EventProcessor(group="waiver", handlers=HANDLERS,
                                        uow_factory=lambda: WaiverUnitOfWork(session_factory),
                                        dlq_producer=FakeProducer(), retry_sleep_s=0)

    def send(self, type_: str, data: dict, source: str = "donor", subject: str | None = None):
        envelope = make_envelope(type_, data, source=source, subject=subject)
        assert self.processor.process(record_of(envelope)) == "applied", (type_, data)
        return envelope

    def donor(self, national_id: str, region: str = "SH") -> str:
        donor_id = str(uuid.uuid4())
        self.send("DonorRegistered", {
            "donor_id": donor_id, "national_id_blind": VAULT.blind_index(national_id),
            "national_id_masked": mask(national_id), "region": region, "abo": "O", "rhd": "pos",
            "birth_date": "1985-01-01", "sex": "M", "registered_at": ago(days=3000).isoformat()})
        return donor_id

    def donation(self, donor_id: str, national_id: str, *, region: str = "SH", volume_ml: int | None = 400,
                 kind: str = "whole_blood", doses: int | None = None, collected_at: datetime | None = None,
                 rhd: str = "pos") -> str:
        donation_id = str(uuid.uuid4())
        self.send("DonationRecorded", {
            "donation_id": donation_id, "donor_id": donor_id, "national_id_blind": VAULT.blind_index(national_id),
            "national_id_masked": mask(national_id), "region": region, "site_id": f"{region}-S1", "kind": kind,
            "volume_ml": volume_ml if kind == "whole_blood" else None, "doses": doses,
            "counts_as_ml": volume_ml or (doses or 1) * 800, "din": f"W{uuid.uuid4().hex[:12].upper()}",
            "collected_at": (collected_at or ago(days=30)).isoformat(), "abo": "O", "rhd": rhd})
        return donation_id

    def award(self, donor_id: str, level: str = "gold") -> None:
        self.send("AwardGranted", {"donor_id": donor_id, "level": level, "donation_count": 40,
                                   "granted_at": ago(days=10).isoformat()})

    def transfusion(self, *, unit_id: str, din: str, patient_national_id: str, hospital_id: str = "H1",
                    component: str = "red_cells", transfused_at: datetime | None = None) -> None:
        self.send("UnitTransfused", {
            "unit_id": unit_id, "din": din, "donor_id": "someone", "hospital_id": hospital_id,
            "hospital_name": "一号医院", "region": "SH", "component": component, "units": 2.0, "volume_ml": 400,
            "patient_blind": VAULT.blind_index(patient_national_id),
            "transfused_at": (transfused_at or ago(days=2)).isoformat()}, source="inventory", subject=unit_id)


def line(*, amount: str = "440.00", volume_ml: int = 400, component: str = "red_cells", units: float | None = 2,
         days_ago: float = 2, **extra) -> dict:
    body = {"component": component, "volume_ml": volume_ml, "amount_yuan": amount,
            "transfused_at": ago(days=days_ago).isoformat(), **extra}
    if units is not None and component in ("red_cells", "cryo"):
        body["units"] = units
    return body


def deduction_body(patient_national_id: str, lines: list[dict] | None = None, **extra) -> dict:
    return {"patient_national_id": patient_national_id, "patient_name": "王五",
            "admission_no": extra.pop("admission_no", f"ZY{uuid.uuid4().hex[:8]}"),
            "lines": lines if lines is not None else [line()], **extra}


def claim_body(patient_national_id: str, *, channel: str = "mini_program", relation: str = "self",
               lines: list[dict] | None = None, **extra) -> dict:
    body = {"channel": channel, "patient_national_id": patient_national_id, "patient_name": "王五",
            "relation": relation, "hospital_name": "外省人民医院", "invoice_no": f"FP{uuid.uuid4().hex[:8]}",
            "lines": lines if lines is not None else [line()],
            "bank": {"account_name": "王五", "account_no": "6222020200112233445", "bank_name": "工商银行"}}
    if channel == "mail":
        body["tracking_no"] = "SF1234567890"
    body.update(extra)
    return body
