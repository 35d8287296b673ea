"""ISBT 128 Donation Identification Numbers (ST-001 data structure 001) and their check character.

DIN = facility id (5 characters) + 2-digit year + 6-digit sequence = 13 characters. The keyboard
check character is ISO 7064 Mod 37-2 over those 13 characters.
"""
from __future__ import annotations

import re
import zlib

from servicekit.errors import DomainError

from .errors import InvalidDin

_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
# FIN (ST-001, data structure 001): first character A-N, P-Z or 1-9; then two alphanumerics (no O); then two digits.
_FIN = r"[A-NP-Z1-9][A-NP-Z0-9]{2}\d{2}"
_FIN_ONLY = re.compile(rf"^{_FIN}$")
_DIN = re.compile(rf"^{_FIN}\d{{2}}\d{{6}}$")


def check_character(din13: str) -> str:
    total = 0
    for ch in din13:
        total = ((total + _CHARSET.index(ch)) * 2) % 37
    return _CHARSET[(38 - total) % 37]


def normalise(value: str) -> str:
    """Validate a DIN typed by a person (13 characters, or 14 with its check character); return 13."""
    value = value.strip().upper()
    if len(value) == 14:
        body, check = value[:13], value[13]
        if _DIN.match(body) and check_character(body) != check:
            raise InvalidDin("献血码校验字符不正确")
        value = body
    if not _DIN.match(value):
        raise InvalidDin("献血码应为 13 位：5 位机构码（首位不能为 0 或 O）、2 位年份、6 位序号")
    return value


def is_facility_id(value: str) -> bool:
    return bool(_FIN_ONLY.match(value or ""))


def facility_for(site_id: str, configured: dict[str, str] | None = None) -> str:
    """The station's configured facility id, or a stable default derived from its site id."""
    return (configured or {}).get(site_id) or default_facility_id(site_id)


def compose(facility_id: str, year: int, sequence: int) -> str:
    if sequence >= 1_000_000:
        raise DomainError("该机构本年度献血码序号已用尽", status=409, code="din_sequence_exhausted")
    return f"{facility_id}{year % 100:02d}{sequence:06d}"


def default_facility_id(site_id: str) -> str:
    """A stable 5-character facility id for a station with none configured (W + 4 digits)."""
    return f"W{zlib.crc32(site_id.encode()) % 10000:04d}"
