"""Donor record use cases: register, read, find, the donor's own profile."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError

from servicekit.errors import Unprocessable
from servicekit.pii import PiiVault, mask

from ..errors import DonorExists, DonorNotFound
from ..model import Donor, Profile, parse_identity, shanghai_day
from ..policy import rules_for
from .donations import assess_donor


def register_donor(uow, vault: PiiVault, *, name: str, national_id: str, phone: str, abo: str, rhd: str,
                   region: str, site_id: str | None = None, id_type: str = "resident_id") -> Donor:
    national_id = national_id.strip().upper()
    birth_date, sex = parse_identity(national_id, id_type)
    blind = vault.blind_index(national_id)
    with uow:
        existing = uow.donors.by_national_id_blind(blind)
        if existing:
            raise DonorExists("该证件号码已登记为献血者", existing_id=existing.id)
        donor = Donor.register(
            id=str(uuid.uuid4()), name=name.strip(), id_type=id_type,
            national_id_encrypted=vault.encrypt(national_id), national_id_blind=blind,
            national_id_masked=mask(national_id), phone_encrypted=vault.encrypt(phone),
            phone_blind=vault.blind_index(phone), phone_masked=mask(phone, 3, 4),
            birth_date=birth_date, sex=sex, abo=abo, rhd=rhd, region=region,
            registered_site=site_id, registered_at=datetime.now(timezone.utc),
        )
        uow.donors.add(donor)
        try:
            uow.commit()
        except IntegrityError:
            # A concurrent registration of the same person won the unique blind index.
            uow.rollback()
            existing = uow.donors.by_national_id_blind(blind)
            raise DonorExists("该证件号码已登记为献血者", existing_id=existing.id if existing else None)
        return donor


def get_donor(uow, donor_id: str) -> Donor:
    with uow:
        donor = uow.donors.get(donor_id)
        if donor is None:
            raise DonorNotFound()
        return donor


def find_donors(uow, vault: PiiVault, *, national_id: str | None = None, phone: str | None = None) -> list[Donor]:
    if not national_id and not phone:
        raise Unprocessable("请提供证件号码或手机号", errors={"national_id": ["请提供证件号码或手机号"]})
    with uow:
        if national_id:
            donor = uow.donors.by_national_id_blind(vault.blind_index(national_id))
            return [donor] if donor else []
        return uow.donors.by_phone_blind(vault.blind_index(phone))


def my_profile(uow, donor_id: str, now: datetime | None = None) -> Profile:
    now = now or datetime.now(timezone.utc)
    with uow:
        donor = uow.donors.get(donor_id)
        if donor is None:
            raise DonorNotFound()
        donations = uow.donations.for_donor(donor_id)
        verdict = assess_donor(donor, donations, "whole_blood", shanghai_day(now), rules_for(donor.region))
    return Profile(donor, donation_count=len(donations), total_ml=sum(d.counts_as_ml for d in donations),
                   next_eligible_at=verdict.next_eligible_at)
