"""Donor login by phone and one-time code.

Codes are stored hashed (HMAC with a server key), valid 5 minutes; 5 wrong attempts lock the phone
for 15 minutes; sending is rate limited per phone and per IP. Unknown phones get the same answers as
known ones, so the endpoints do not reveal who is a donor.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, delete, or_, select, update

from hemolink.access import ROLES
from servicekit.auth import issue_token
from servicekit.errors import DomainError, Unauthorized
from servicekit.pii import PiiVault

from .orm import donor_otps

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
LOCK_FOR = timedelta(minutes=15)


class PhoneLocked(DomainError):
    status, code, title = 429, "phone_locked", "验证码错误次数过多，请稍后再试"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def _code_hash(vault: PiiVault, phone_blind: str, code: str) -> str:
    return hmac.new(vault.derived_key(b"otp-code"), f"{phone_blind}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(session_factory, vault: PiiVault, sender, *, phone: str, now: datetime | None = None) -> str:
    """Create (or replace) the phone's code and send it; returns the code (shown only in dev mode)."""
    now = now or _now()
    blind = vault.blind_index(phone)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with session_factory.begin() as session:
        row = session.execute(select(donor_otps).where(donor_otps.c.phone_blind == blind)).first()
        if row and _aware(row.locked_until) and _aware(row.locked_until) > now:
            raise PhoneLocked(f"该手机号已锁定至 {_aware(row.locked_until).isoformat()}")
        # Wrong attempts count per phone, not per code: asking for a new code does not buy five more guesses.
        # They start again only after a lock has run its course (or a successful login removed the row).
        attempts = row.attempts if row and not _aware(row.locked_until) else 0
        values = dict(code_hash=_code_hash(vault, blind, code), expires_at=now + CODE_TTL, attempts=attempts,
                      locked_until=None)
        if row:
            session.execute(update(donor_otps).where(donor_otps.c.phone_blind == blind).values(**values))
        else:
            session.execute(donor_otps.insert().values(phone_blind=blind, **values))
    sender.send_code(phone, code)
    return code


def exchange_code(session_factory, vault: PiiVault, directory, signer, ttl_s: int, *, phone: str, code: str,
                  now: datetime | None = None) -> dict:
    """A donor token for a valid, unexpired code; the code is used up."""
    now = now or _now()
    blind = vault.blind_index(phone)
    with session_factory.begin() as session:
        # Take one attempt before looking at the code, in one conditional UPDATE: parallel guesses each
        # spend an attempt (none reads a stale count), and none is checked once five are spent.
        row = session.execute(
            update(donor_otps)
            .where(donor_otps.c.phone_blind == blind,
                   or_(and_(donor_otps.c.locked_until.is_(None), donor_otps.c.attempts < MAX_ATTEMPTS),
                       donor_otps.c.locked_until <= now))          # a lock that has run its course: start again
            .values(attempts=case((donor_otps.c.locked_until.is_(None), donor_otps.c.attempts + 1), else_=1),
                    locked_until=None)
            .returning(donor_otps.c.code_hash, donor_otps.c.expires_at, donor_otps.c.attempts)).first()
        if row is None:
            if session.execute(select(donor_otps.c.phone_blind).where(donor_otps.c.phone_blind == blind)).first():
                raise PhoneLocked("验证码错误次数过多，请 15 分钟后再试")
            invalid = True                                   # no code was sent to this phone
        elif _aware(row.expires_at) > now and hmac.compare_digest(row.code_hash, _code_hash(vault, blind, code)):
            session.execute(delete(donor_otps).where(donor_otps.c.phone_blind == blind))   # the code is used up
            invalid = False
        else:
            if row.attempts >= MAX_ATTEMPTS:
                session.execute(update(donor_otps).where(donor_otps.c.phone_blind == blind)
                                .values(locked_until=now + LOCK_FOR))
            invalid = True
    if invalid:  # raised after the transaction so the attempt count is kept
        raise Unauthorized("验证码错误或已过期", code="invalid_code", title="验证码无效")
    donor = directory.find_by_phone(phone)
    if donor is None:
        raise Unauthorized("验证码错误或已过期", code="invalid_code", title="验证码无效")
    token = issue_token(signer, roles=ROLES, sub=donor["id"], role="donor", ttl_s=ttl_s, donor_id=donor["id"],
                        region=donor.get("region"))
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl_s, "role": "donor",
            "donor_id": donor["id"]}
