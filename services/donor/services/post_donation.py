"""Post-donation information (献血后回告, #22): station staff record that a donor reported illness after giving.
The report travels as PostDonationReported; the inventory looks back over the donor's earlier blood and recalls it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from servicekit.auth import Principal
from servicekit.errors import Unprocessable

from ..errors import DonorNotFound
from ..events import PostDonationReported

REASONS = ("illness", "infection_diagnosed", "risk_disclosed", "other")
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Report:
    id: str
    donor_id: str
    station_id: str
    region: str
    reason: str
    note: str | None
    onset_at: datetime | None
    reported_at: datetime


def report(uow, principal: Principal, *, donor_id: str, reason: str, now: datetime, note: str | None = None,
           onset_at: datetime | None = None) -> Report:
    if onset_at is not None and onset_at > now + CLOCK_SKEW:
        raise Unprocessable("发病时间不能晚于当前时间", errors={"onset_at": ["发病时间不能晚于当前时间"]})
    with uow:
        donor = uow.donors.get(donor_id)
        if donor is None:
            raise DonorNotFound()
        rec = Report(id=str(uuid.uuid4()), donor_id=donor_id, station_id=principal.site_id,
                     region=principal.region or donor.region, reason=reason, note=note, onset_at=onset_at,
                     reported_at=now)
        uow.reports.add(**vars(rec), reported_by=principal.sub)
        uow.publish(PostDonationReported(report_id=rec.id, donor_id=donor_id, station_id=rec.station_id,
                                         region=rec.region, reason=reason, onset_at=onset_at, reported_at=now))
        uow.commit()
        return rec
