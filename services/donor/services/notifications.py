"""Use cases driven by other services' events: deferrals, 'your blood reached a patient', shortage
call-ups, claim news. Each tells the donor through the notifier."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from ..errors import DonorNotFound
from ..model import shanghai_day
from ..policy import BOOKING, rules_for
from .donations import assess_donor
from .points import open_on

SEVERITY = {"green": 0, "yellow": 1, "orange": 2, "red": 3}
LEVEL_WORDS = {"yellow": "黄色", "orange": "橙色", "red": "红色"}
GROUP_WORDS = {"pos": "RhD阳性", "neg": "RhD阴性"}


def defer_after_failed_test(uow, notifier, *, donor_id: str, din: str, reason: str, infectious: bool,
                            discarded_at: datetime) -> None:
    """Infectious markers defer for good; other failures for the region's configured period."""
    with uow:
        donor = uow.donors.get(donor_id)
        if donor is None:
            uow.commit()
            return
        rules = rules_for(donor.region)
        until = None if infectious else shanghai_day(discarded_at) + timedelta(days=rules.deferral_days_after_failed_test)
        if donor.defer(reason=f"test:{din}:{reason}"[:200], permanent=infectious, until=until, now=discarded_at):
            body = ("根据血液检测结果，您暂不能继续献血，详情请联系采血血站。" if infectious
                    else f"根据血液检测结果，请您在 {until.isoformat()} 之后再来献血。")
            notifier.notify(uow, donor, kind="deferral", title="暂缓献血通知", body=body, now=discarded_at,
                            dedupe_key=f"deferral:{din}")
        uow.commit()


def tell_unit_used(uow, notifier, *, donor_id: str, unit_id: str, hospital_name: str, transfused_at: datetime) -> None:
    """Hospital and date only: never anything about the patient."""
    with uow:
        donor = uow.donors.get(donor_id)
        if donor is not None:
            day = shanghai_day(transfused_at)
            notifier.notify(uow, donor, kind="unit_used", title="您的热血已用于救治患者",
                            body=f"您捐献的血液已于 {day.year}年{day.month}月{day.day}日 在{hospital_name}用于临床救治。感谢您的无私奉献！",
                            now=datetime.now(timezone.utc), dedupe_key=f"unit_used:{unit_id}")
        uow.commit()


def call_up_for_shortage(uow, notifier, *, region: str, site_id: str, component: str, abo: str, rhd: str,
                         level: str, previous_level: str | None, now: datetime | None = None) -> int:
    """When a group's stock turns yellow/orange/red, call eligible donors of that group and region, each at
    most once per cooldown period; returns how many were called.

    Where the region's points have places free in the next days, each donor is invited to one (a point of the
    station they registered at first) with a booking link, and no more donors than `invitations_per_place` per
    free place are invited; with no place free the call goes out without a link, to every eligible donor."""
    now = now or datetime.now(timezone.utc)
    if SEVERITY.get(level, 0) == 0 or SEVERITY.get(level, 0) <= SEVERITY.get(previous_level or "green", 0):
        return 0
    rules = rules_for(region)
    kind = "platelets" if component == "platelets" else "whole_blood"
    today = shanghai_day(now)
    campaign_id = str(uuid.uuid4())
    with uow:
        places = _free_places(uow, region, kind, now)
        budget = sum(free for _, free in places) * BOOKING.invitations_per_place if places else None
        candidates = [d for d in uow.donors.active_in_group(region, abo, rhd) if d.effective_status(today) == "active"]
        histories = uow.donations.for_donors([d.id for d in candidates])
        last = uow.shortages.last_called(list(histories))
        cooldown = timedelta(days=rules.shortage_call_cooldown_days)
        called = 0
        for donor in candidates:
            if budget is not None and called >= budget:
                break
            previous = last.get(donor.id)
            if previous is not None and (previous if previous.tzinfo else previous.replace(tzinfo=timezone.utc)) > now - cooldown:
                continue
            if not assess_donor(donor, histories[donor.id], kind, today, rules).eligible:
                continue
            if not uow.shortages.claim_call(donor.id, now, not_since=now - cooldown, known=previous is not None):
                continue
            point = _invite_to(donor, places)
            body = f"本地区{abo}型{GROUP_WORDS[rhd]}血液库存处于{LEVEL_WORDS[level]}预警，诚邀您近期前往献血点献血。"
            if point is not None:
                link = BOOKING.booking_link.format(campaign=campaign_id, point=point.id, kind=kind)
                body += f"{point.name}近{BOOKING.call_up_days}天尚有名额，点击预约：{link}"
            notifier.notify(uow, donor, kind="shortage_call", title=f"{abo}型{GROUP_WORDS[rhd]}血液告急", body=body,
                            now=now)
            uow.shortages.invite(campaign_id, donor.id, point.id if point else None, now)
            called += 1
        uow.shortages.record_campaign(id=campaign_id, region=region, site_id=site_id, component=component, abo=abo,
                                      rhd=rhd, level=level, donors_notified=called, created_at=now)
        uow.commit()
        return called



def _free_places(uow, region: str, kind: str, now: datetime) -> list[tuple]:
    """[(point, places free in its slots still to come over the next days)], most free first."""
    free: dict[str, list] = {}
    for offset in range(BOOKING.call_up_days):
        for day in open_on(uow, day=shanghai_day(now) + timedelta(days=offset), near=None, kind=kind, limit=10_000,
                           region=region):
            left = sum(s.free for s in day.slots if s.starts_at > now)
            if left:
                free.setdefault(day.point.id, [day.point, 0])[1] += left
    return sorted(((p, n) for p, n in free.values()), key=lambda pn: (-pn[1], pn[0].name))


def _invite_to(donor, places: list[tuple]):
    """A point of the station the donor registered at if it has places, else the one with most places free."""
    if not places:
        return None
    return next((p for p, _ in places if p.station_id == donor.registered_site), places[0][0])


CLAIM_TITLES = {
    "submitted": "血费减免申请已提交",
    "approved": "血费减免申请已通过",
    "rejected": "血费减免申请未通过",
    "paid": "血费减免款项已支付",
}


def tell_claim_status(uow, notifier, *, donor_id: str | None, claim_id: str, status: str,
                      approved_yuan: str | None, reason: str | None, occurred_at: datetime) -> None:
    with uow:
        donor = uow.donors.get(donor_id) if donor_id else None
        if donor is not None and status in CLAIM_TITLES:
            body = {"submitted": "您的血费减免申请已提交，我们会尽快审核。",
                    "approved": f"您的血费减免申请已审核通过，减免金额 {approved_yuan} 元。",
                    "rejected": f"您的血费减免申请未通过审核。原因：{reason or '请联系血站'}。",
                    "paid": f"您的血费减免款项 {approved_yuan} 元已支付，请留意银行到账。"}[status]
            notifier.notify(uow, donor, kind="claim_status", title=CLAIM_TITLES[status], body=body, now=occurred_at,
                            dedupe_key=f"claim:{claim_id}:{status}")
        uow.commit()


def remind_to_claim(uow, notifier, *, donor_id: str, hospital_id: str, din: str | None, transfused_at: datetime) -> None:
    with uow:
        donor = uow.donors.get(donor_id)
        if donor is not None:
            day = shanghai_day(transfused_at)
            notifier.notify(uow, donor, kind="claim_reminder", title="您可以申请血费减免",
                            body=f"您或您的家人于 {day.isoformat()} 在医院用血，尚未减免血费，可在小程序中直接申请，无需跑腿。",
                            now=datetime.now(timezone.utc), dedupe_key=f"reminder:{donor_id}:{hospital_id}:{din or day}")
        uow.commit()


RELATION_WORDS = {"spouse": "配偶", "parent": "父母", "child": "子女", "parent_in_law": "配偶父母",
                  "sibling": "兄弟姐妹", "grandparent": "祖父母/外祖父母", "grandchild": "孙子女/外孙子女"}   # as the console


def tell_family_pool_used(uow, notifier, *, donor_id: str, deduction_id: str, relation: str, relation_attested: bool,
                          change: str, ml: int, yuan: str, occurred_at: datetime) -> None:
    """A relative's discharge paid from the donor's family pool, or its reversal. Nothing about the patient but the
    relation the hospital stated; the donor who does not recognise it has the station to call."""
    with uow:
        donor = uow.donors.get(donor_id)
        if donor is not None and change in ("used", "returned"):
            day = shanghai_day(occurred_at)
            when = f"{day.year}年{day.month}月{day.day}日"
            who = f"亲属（{RELATION_WORDS[relation]}）" if relation in RELATION_WORDS else "亲属"
            if change == "used":
                title = "亲属用血已使用您的减免额度"
                basis = "亲属关系依据医院出具的证明认定。" if relation_attested else "亲属关系依据已审核的亲属绑定认定。"
                body = (f"您的{who}于 {when} 出院结算时，使用您的无偿献血用血减免额度，直接减免血费 {yuan} 元"
                        f"（{ml} 毫升）。{basis}如您不了解此次用血，请及时联系采血血站。")
            else:
                title = "亲属用血减免已撤销，额度已恢复"
                body = f"医院已撤销您的{who}的一笔血费直接减免（{yuan} 元，{ml} 毫升），相应额度已于 {when} 恢复。"
            notifier.notify(uow, donor, kind="family_pool_used", title=title, body=body, now=occurred_at,
                            dedupe_key=f"family_pool:{deduction_id}:{donor_id}:{change}")
        uow.commit()


def list_notifications(uow, donor_id: str) -> list:
    with uow:
        if uow.donors.get(donor_id) is None:
            raise DonorNotFound()
        return uow.notifications.for_donor(donor_id)
