"""Family bindings: a donor names a relative (ID encrypted, found by blind index, shown masked); a reviewer
of the donor's region verifies or rejects the relation."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from servicekit.errors import Unprocessable
from servicekit.pii import PiiVault, mask

from ..errors import BindingExists, BindingNotFound, DonorNotFound
from ..identity import normalise_national_id
from ..model import FamilyBinding


def bind_relative(uow, vault: PiiVault, *, donor_id: str, name: str, national_id: str, relation: str,
                  now: datetime) -> FamilyBinding:
    national_id = normalise_national_id(national_id)
    blind = vault.blind_index(national_id)
    with uow:
        donor = uow.ledger.get(donor_id)
        if donor is None:
            raise DonorNotFound("献血记录尚未同步到减免系统，请稍后再试")
        if donor.national_id_blind == blind:
            raise Unprocessable("不能把本人绑定为亲属", code="cannot_bind_self")
        if uow.family.of_relative(donor_id, blind) is not None:
            raise BindingExists("已绑定该亲属")
        binding = FamilyBinding(id=str(uuid.uuid4()), donor_id=donor_id, donor_region=donor.region,
                                name=name.strip(), relative_national_id_encrypted=vault.encrypt(national_id),
                                relative_blind=blind, relative_masked=mask(national_id), relation=relation,
                                created_at=now)
        uow.family.add(binding)
        try:
            uow.commit()
        except IntegrityError:   # the same relative bound twice at once: the other request won
            raise BindingExists("已绑定该亲属")
        return binding


def list_family(uow, *, donor_id: str) -> list[FamilyBinding]:
    with uow:
        return list(uow.family.for_donor(donor_id))


def bindings_for_review(uow, *, region: str, status: str | None) -> list[FamilyBinding]:
    with uow:
        return list(uow.family.in_region(region, status))


def verify_binding(uow, *, binding_id: str, approved: bool, reason: str | None, reviewer: str, region: str | None,
                   now: datetime) -> FamilyBinding:
    with uow:
        binding = uow.family.get(binding_id)
        if binding is None or binding.donor_region != region:
            raise BindingNotFound("亲属绑定不存在")   # another region's binding does not exist for this reviewer
        binding.decide(approved=approved, reason=reason, by=reviewer, at=now)
        uow.commit()
        return binding
