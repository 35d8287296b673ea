"""Rare donors and emergency teams: the registry of donors with rare phenotypes who agreed to be called, the
emergency donor teams (应急献血队伍), and an urgent call for a rare type that reaches registered donors in every
region (长三角稀有血型库), each region's stations told what it reached."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from hemolink.phenotypes import PHENOTYPES, RHD_NEGATIVE
from servicekit.auth import Principal

from ..errors import DonorNotFound, TeamNotFound
from ..model import Donor, shanghai_day
from ..policy import rules_for
from .donations import assess_donor

KIND_WORDS = {"whole_blood": "全血", "platelets": "血小板"}


def set_rare_profile(uow, *, donor_id: str, phenotypes: list[str], call_consent: bool, now: datetime) -> Donor:
    with uow:
        donor = uow.donors.get_for_update(donor_id)
        if donor is None:
            raise DonorNotFound()
        donor.set_rare_profile(phenotypes=phenotypes, call_consent=call_consent, now=now)
        uow.commit()
        return donor


@dataclass(frozen=True)
class RareDonor:
    donor: Donor
    in_team: bool       # a member of an emergency team (called whatever their consent)


def registry(uow, principal: Principal, *, phenotype: str | None) -> list[RareDonor]:
    """The caller's region's rare donors (a phenotype, if asked), consenting or not: a station sees whom it may ask."""
    with uow:
        members = uow.rare.team_members()
        return [RareDonor(d, d.id in members) for d in uow.rare.rare_donors(principal.region)
                if phenotype is None or phenotype in d.rare_types]


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    station_id: str
    region: str
    created_at: datetime
    members: int = 0


def create_team(uow, principal: Principal, *, name: str, now: datetime) -> Team:
    team = Team(id=str(uuid.uuid4()), name=name, station_id=principal.site_id, region=principal.region, created_at=now)
    with uow:
        uow.rare.add_team(id=team.id, name=team.name, station_id=team.station_id, region=team.region, created_at=now)
        uow.commit()
        return team


def add_member(uow, principal: Principal, *, team_id: str, donor_id: str, now: datetime) -> Team:
    """A donor of the team's region joins; joining twice changes nothing."""
    with uow:
        row = uow.rare.team(team_id)
        if row is None or row.station_id != principal.site_id:
            raise TeamNotFound()
        donor = uow.donors.get(donor_id)
        if donor is None or donor.region != row.region:
            raise DonorNotFound("本地区没有该献血者")
        uow.rare.join(team_id, donor_id, now)
        uow.commit()
        return next(Team(**t._mapping) for t in uow.rare.teams(row.region) if t.id == team_id)


def teams(uow, principal: Principal) -> list[Team]:
    with uow:
        return [Team(**t._mapping) for t in uow.rare.teams(principal.region)]


@dataclass(frozen=True)
class RareCallUp:
    id: str
    phenotype: str
    abo: str | None
    kind: str
    reason: str
    requested_by: str
    region: str
    reached: dict           # {region: donors called}
    created_at: datetime


def call_for_rare_blood(uow, notifier, principal: Principal, *, phenotype: str, kind: str, abo: str | None = None,
                        reason: str, now: datetime) -> RareCallUp:
    """Call every donor of the phenotype (and ABO group, if given) in the four regions who agreed to be called or
    is in an emergency team, and can give `kind` today. No cooldown: a rare patient's need is not a campaign."""
    with uow:
        members = uow.rare.team_members()
        reached: dict[str, int] = {}
        today = shanghai_day(now)
        candidates = [d for d in uow.rare.rare_donors(None) if phenotype in d.rare_types
                      and (abo is None or d.abo == abo) and (d.call_consent or d.id in members)
                      and d.effective_status(today) == "active"]
        histories = uow.donations.for_donors([d.id for d in candidates])
        for donor in candidates:
            if not assess_donor(donor, histories[donor.id], kind, today, rules_for(donor.region)).eligible:
                continue
            group = f"{donor.abo}型{PHENOTYPES[phenotype]}" if phenotype != RHD_NEGATIVE else f"{donor.abo}型RhD阴性"
            notifier.notify(uow, donor, kind="rare_call", title=f"紧急：{group}患者需要您的帮助",
                            body=f"有{group}患者急需{KIND_WORDS[kind]}。您是稀有血型献血者，如能前来，请尽快联系"
                                 "就近血站或在小程序中预约。感谢您！", now=now)
            reached[donor.region] = reached.get(donor.region, 0) + 1
        call_up = RareCallUp(id=str(uuid.uuid4()), phenotype=phenotype, abo=abo, kind=kind, reason=reason,
                             requested_by=principal.site_id, region=principal.region, reached=reached, created_at=now)
        uow.rare.record_call_up(**call_up.__dict__)
        uow.commit()
        return call_up


def rare_call_ups(uow) -> list[RareCallUp]:
    """Every region's stations see every urgent rare call and how many of their donors it reached."""
    with uow:
        return [RareCallUp(**r._mapping) for r in uow.rare.call_ups()]
