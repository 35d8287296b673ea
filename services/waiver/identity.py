"""Identifiers: national IDs checked and normalised, free text redacted, blood lines keyed across channels."""
from __future__ import annotations

import re

from .errors import InvalidNationalId

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_LIKE = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")
_PHONE_LIKE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def normalise_national_id(value: str) -> str:
    """Upper-case and check: an 18-character resident ID must carry a valid GB 11643 check character;
    other documents (HK/Macau/Taiwan permits, foreigner IDs) pass as 6–30 letters and digits."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"[0-9A-Z]{6,30}", value):
        raise InvalidNationalId("证件号码格式不正确")
    if len(value) == 18 and value[:17].isdigit():
        if _CHECK[sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS)) % 11] != value[17]:
            raise InvalidNationalId("身份证号码校验码不正确")
    return value


def redact_ids(text: str | None) -> str | None:
    """Free text (reasons, proof references) may quote an ID or phone number; keep only a masked form."""
    if not text:
        return text
    text = _ID_LIKE.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 7) + m.group(0)[-4:], text)
    return _PHONE_LIKE.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], text)


def line_key(line: dict, *, patient_blind: str, admission_no: str | None, invoice_no: str | None = None,
             position: int) -> str:
    """The identity of a blood line across channels: its unit, else DIN + component, else the patient's
    admission (or invoice) number and line number.

    The fallback is scoped by the patient, not the hospital: a claim names its hospital by free text
    (`hospital_name`) while a deduction knows the site id, and the two must still collide on the same stay.
    An admission number belongs to one patient's stay, so the patient scope keeps distinct stays apart.
    """
    if line.get("unit_id"):
        return f"unit:{line['unit_id']}"
    if line.get("din"):
        return f"din:{line['din']}:{line['component']}"
    number = line.get("line_no") or position
    patient = patient_blind[:32]          # 128 bits of the HMAC: plenty to keep patients apart, keeps keys short
    if admission_no:
        return f"adm:{patient}:{admission_no.strip().upper()}:{number}"
    return f"inv:{patient}:{(invoice_no or '').strip().upper()}:{number}"
