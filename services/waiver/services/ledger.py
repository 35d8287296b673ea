"""Facts from other services, kept as the waiver office's own read model (no call back to them, ever).

Every function is safe to run twice for the same fact: the inbox dedupes by event id, and these dedupe by
the fact's own id as well (a replayed outbox sends the same fact under the same id, a re-sent one may not).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..model import Award, Donation, LedgerDonor, Transfusion


def record_donor(uow, *, donor_id: str, national_id_blind: str, national_id_masked: str, region: str,
                 registered_at: datetime) -> None:
    """Add a donor to the ledger (DonorRegistered); a donor first seen through a donation gets the
    registration's region now."""
    with uow:
        donor = uow.ledger.get(donor_id)
        if donor is None:
            uow.ledger.add(LedgerDonor(donor_id=donor_id, national_id_blind=national_id_blind,
                                       national_id_masked=national_id_masked, region=region,
                                       registered_at=registered_at))
        else:
            donor.region = region
        uow.commit()


def record_donors(uow, registrations: list[dict]) -> None:
    """Consecutive DonorRegistered events at once (a bulk import's), as `record_donor` applied to each in turn:
    one statement inserts the new donors and gives the known ones the registration's region."""
    latest = {r["donor_id"]: r for r in registrations}      # the last registration of a donor is the one that holds
    with uow:
        uow.ledger.upsert_donors([LedgerDonor(**r) for r in latest.values()])
        uow.commit()


def update_donor(uow, *, donor_id: str, region: str, phenotypes: list[str] | None = None, **_ignored) -> None:
    """DonorUpdated: the donor's home region decides which reviewers handle their bindings and claims; their
    rare phenotypes count as rare types for entitlements (a policy's `rare_types`)."""
    with uow:
        donor = uow.ledger.get(donor_id)
        if donor is not None:
            donor.region = region
            if phenotypes is not None:
                donor.phenotypes = sorted(phenotypes)
        uow.commit()


def record_donation(uow, *, donation_id: str, donor_id: str, national_id_blind: str, national_id_masked: str,
                    region: str, site_id: str, kind: str, volume_ml: int | None, doses: int | None,
                    counts_as_ml: int, din: str, collected_at: datetime, rhd: str, **_ignored) -> None:
    """DonationRecorded, from any region: the donation joins the ledger and its region's pools exist.
    Two statements for a donor already known: a bulk import sends thousands of these a minute."""
    with uow:
        if uow.ledger.get(donor_id) is None:
            uow.ledger.add(LedgerDonor(donor_id=donor_id, national_id_blind=national_id_blind,
                                       national_id_masked=national_id_masked, region=region,
                                       registered_at=collected_at))
        added = uow.ledger.add_donation_once(Donation(
            donation_id=donation_id, donor_id=donor_id, region=region, site_id=site_id, kind=kind,
            volume_ml=volume_ml, doses=doses, counts_as_ml=counts_as_ml, din=din, rhd=rhd, collected_at=collected_at))
        if added:
            uow.pools.ensure(donor_id, ("self", "family"), region)
        uow.commit()


def record_donations(uow, donations: list[dict]) -> None:
    """Consecutive DonationRecorded events at once (a bulk import's), as `record_donation` applied to each in
    turn: three statements for the lot (donors first seen, donations not seen before, their pools)."""
    with uow:
        first = {}
        for d in donations:
            first.setdefault(d["donor_id"], d)
        uow.ledger.add_donors_once([LedgerDonor(donor_id=d["donor_id"], national_id_blind=d["national_id_blind"],
                                                national_id_masked=d["national_id_masked"], region=d["region"],
                                                registered_at=d["collected_at"]) for d in first.values()])
        fields = ("donation_id", "donor_id", "region", "site_id", "kind", "volume_ml", "doses", "counts_as_ml", "din",
                  "rhd", "collected_at")
        added = uow.ledger.add_donations_once_many([Donation(**{k: d[k] for k in fields}) for d in donations])
        uow.pools.ensure_many(sorted({(d["donor_id"], d["region"]) for d in donations if d["donation_id"] in added}),
                              ("self", "family"))
        uow.commit()


def record_award(uow, *, donor_id: str, level: str, granted_at: datetime, **_ignored) -> None:
    """AwardGranted: some regions widen the family scope at an award level."""
    with uow:
        if uow.ledger.get_award(donor_id, level) is None:
            uow.ledger.add(Award(donor_id=donor_id, level=level, granted_at=granted_at))
        uow.commit()


def record_transfusion(uow, *, unit_id: str, din: str, hospital_id: str, component: str, patient_blind: str,
                       transfused_at: datetime, donor_id: str | None = None, hospital_name: str | None = None,
                       region: str | None = None, units=None, volume_ml: int | None = None, **_ignored) -> None:
    """UnitTransfused: for the unit cross-check at deduction time and for proactive reminders."""
    with uow:
        if uow.transfusions.get(unit_id) is None:
            uow.transfusions.add(Transfusion(
                unit_id=unit_id, din=din, donor_id=donor_id, hospital_id=hospital_id, hospital_name=hospital_name,
                region=region, component=component, units=Decimal(str(units)) if units is not None else None,
                volume_ml=volume_ml, patient_blind=patient_blind, transfused_at=transfused_at))
        uow.commit()
