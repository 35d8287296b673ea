"""The award ladder is granted once per award, whatever is replayed or repeated."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from donor.services import donations
from donor.notifier import Notifier
from donor.orm import awards
from servicekit import outbox
from servicekit.testing import FakeProducer
from tests.helpers import auth

VITALS = dict(hemoglobin_g_l=140, weight_kg=70, hematocrit=0.42, platelet_count=230)


def _platelets(uow_factory, donor, count, start):
    for i in range(count):
        day = start + timedelta(days=14 * i)
        donations.record_donation(uow_factory(), Notifier(), donor_id=donor.id, site_id="SH-S01", region="SH",
                                  kind="platelets", doses=2, collected_at=day, now=day + timedelta(hours=1), **VITALS)


def test_bronze_then_silver_each_once_with_one_event_and_one_notification(client, uow_factory, new_donor, session_factory):
    donor = new_donor(birth="19950101")
    start = datetime(2024, 1, 2, 2, tzinfo=timezone.utc)
    _platelets(uow_factory, donor, 10, start)            # 20 units → bronze
    _platelets(uow_factory, donor, 5, start + timedelta(days=14 * 10))   # 30 units → silver
    with session_factory() as s:
        levels = [(r.level, r.cycle) for r in s.execute(select(awards).order_by(awards.c.granted_at))]
    assert levels == [("bronze", 1), ("silver", 1)]
    granted = [e for e in outbox.envelopes(session_factory) if e["type"] == "AwardGranted"]
    assert [e["data"]["level"] for e in granted] == ["bronze", "silver"]
    summary = client.get(f"/api/v1/donors/{donor.id}/awards", headers=auth("donor", donor_id=donor.id)).get_json()
    assert summary["donation_count"] == 30 and [a["level"] for a in summary["awards"]] == ["bronze", "silver"]
    assert summary["next"] == {"level": "gold", "remaining": 10}
    kinds = [n["kind"] for n in client.get("/api/v1/me/notifications", headers=auth("donor", donor_id=donor.id)).get_json()]
    assert kinds.count("award_granted") == 2


def test_replaying_the_outbox_and_recomputing_grant_nothing_new(uow_factory, new_donor, session_factory):
    donor = new_donor(birth="19950101")
    _platelets(uow_factory, donor, 10, datetime(2024, 1, 2, 2, tzinfo=timezone.utc))
    relay = outbox.Relay(session_factory, FakeProducer())
    relay.publish_batch()
    outbox.replay(session_factory)                       # what `make up` does after a broker restart
    producer = FakeProducer()
    outbox.Relay(session_factory, producer).publish_batch()
    sent_awards = [m for m in producer.sent if dict(m["headers"])["type"] == b"AwardGranted"]
    assert len(sent_awards) == 1                          # the same event id again; consumers dedupe it
    with uow_factory() as uow:                            # a restarted service recomputing the ladder
        donations.grant_awards(uow, Notifier(), uow.donors.get(donor.id), uow.donations.for_donor(donor.id),
                                datetime.now(timezone.utc))
        uow.commit()
    with session_factory() as s:
        assert len(s.execute(select(awards)).all()) == 1


def test_the_whole_ladder_to_the_lifetime_honour_is_granted_once_each(client, uow_factory, new_donor, session_factory):
    """60 double platelet doses = 120 units: bronze, silver, three golds (40/80/120), lifetime."""
    donor = new_donor(birth="19900101")
    start = datetime(2021, 1, 4, 2, tzinfo=timezone.utc)
    for i in range(60):          # every 19 days: at most 20 a calendar year, 20 x 500 ml = the 10 L apheresis cap
        day = start + timedelta(days=19 * i)
        donations.record_donation(uow_factory(), Notifier(), donor_id=donor.id, site_id="SH-S01", region="SH",
                                  kind="platelets", doses=2, collected_at=day, now=day + timedelta(hours=1), **VITALS)
    with session_factory() as s:
        granted = [(r.level, r.cycle, r.units_at_grant) for r in s.execute(select(awards).order_by(awards.c.granted_at,
                                                                                                    awards.c.level))]
    assert sorted(granted) == sorted([("bronze", 1, 20), ("silver", 1, 30), ("gold", 1, 40), ("gold", 2, 80),
                                      ("gold", 3, 120), ("lifetime", 1, 120)])
    events = [e["data"] for e in outbox.envelopes(session_factory) if e["type"] == "AwardGranted"]
    assert sorted((e["level"], e["donation_count"]) for e in events) == sorted(
        [("bronze", 20), ("silver", 30), ("gold", 40), ("gold", 80), ("gold", 120), ("lifetime", 120)])
    me = auth("donor", donor_id=donor.id)
    summary = client.get(f"/api/v1/donors/{donor.id}/awards", headers=me).get_json()
    assert summary["donation_count"] == 120 and summary["next"] is None
    notes = client.get("/api/v1/me/notifications", headers=me).get_json()
    assert sum(n["kind"] == "award_granted" for n in notes) == 6
    assert any("终身荣誉奖" in n["title"] for n in notes)
    with uow_factory() as uow:                    # recomputing (a restart, a replay) adds nothing
        assert donations.grant_awards(uow, Notifier(), uow.donors.get(donor.id), uow.donations.for_donor(donor.id),
                                      datetime.now(timezone.utc)) == []
        uow.commit()
    assert len([e for e in outbox.envelopes(session_factory) if e["type"] == "AwardGranted"]) == 6


def test_the_database_refuses_a_second_copy_of_an_award(uow_factory, new_donor):
    """The unique (donor, level, cycle) constraint backs the in-code check up."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from donor.model import Award

    donor = new_donor()
    now = datetime.now(timezone.utc)
    with uow_factory() as uow:
        uow.awards.add(Award.grant(donor.id, "bronze", 1, 20, now)[0])
        uow.commit()
    with pytest.raises(IntegrityError):
        with uow_factory() as uow:
            uow.awards.add(Award.grant(donor.id, "bronze", 1, 20, now)[0])
            uow.commit()


def _whole(uow_factory, donor, volumes, start, region="SH", site="SH-S01"):
    for i, volume in enumerate(volumes):
        day = start + timedelta(days=190 * i)
        donations.record_donation(uow_factory(), Notifier(), donor_id=donor.id, site_id=site, region=region,
                                  kind="whole_blood", volume_ml=volume, collected_at=day, now=day + timedelta(hours=1),
                                  hemoglobin_g_l=140, weight_kg=70)


def test_reaching_a_level_is_told_as_eligibility_for_the_next_commendation_not_as_received(
        client, uow_factory, new_donor):
    donor = new_donor(birth="19950101")
    start = datetime(2024, 1, 2, 2, tzinfo=timezone.utc)
    _platelets(uow_factory, donor, 10, start)                                             # 20 units: bronze
    me = auth("donor", donor_id=donor.id)
    note = next(n for n in client.get("/api/v1/me/notifications", headers=me).get_json() if n["kind"] == "award_granted")
    assert note["title"] == "您已达到全国无偿献血奉献奖铜奖的表彰条件"
    assert "申报资格" in note["body"] and "每2年一届" in note["body"] and "获得" not in note["title"] + note["body"]
    [award] = client.get(f"/api/v1/donors/{donor.id}/awards", headers=me).get_json()["awards"]
    assert award["status"] == "eligible" and "下一届全国无偿献血表彰" in award["note"]
    assert award["note"] == "具备下一届全国无偿献血表彰（每2年一届）铜奖申报资格"
    # eligible from the 10th donation's recording (an hour after its collection)
    assert (award["level"], award["granted_at"]) == ("bronze", (start + timedelta(days=14 * 9, hours=1)).isoformat())


def test_shanghai_commends_1000_ml_donated_in_shanghai_once(client, uow_factory, new_donor):
    donor = new_donor(birth="19950101")
    me = auth("donor", donor_id=donor.id)
    start = datetime(2022, 1, 4, 2, tzinfo=timezone.utc)
    _whole(uow_factory, donor, [400, 400], start)                                   # 800 ml: not yet
    _whole(uow_factory, donor, [400], start + timedelta(days=190 * 2), region="JS", site="JS-S01")  # not Shanghai's
    summary = client.get(f"/api/v1/donors/{donor.id}/awards", headers=me).get_json()
    assert summary["commendations"] == [{"region": "SH", "name": "上海市无偿献血表彰", "min_ml": 1000, "total_ml": 800,
                                         "reached": False, "source": "上海市献血条例 第三十六条 [C] R2"}]
    assert not [n for n in client.get("/api/v1/me/notifications", headers=me).get_json() if n["kind"] == "commendation"]
    _whole(uow_factory, donor, [200, 300], start + timedelta(days=190 * 3))         # 1,000 ml, then 1,300 ml
    notes = [n for n in client.get("/api/v1/me/notifications", headers=me).get_json() if n["kind"] == "commendation"]
    assert len(notes) == 1 and "1000 毫升" in notes[0]["body"] and "上海市献血条例" in notes[0]["body"]
    summary = client.get(f"/api/v1/donors/{donor.id}/awards", headers=me).get_json()
    assert summary["commendations"][0]["total_ml"] == 1300 and summary["commendations"][0]["reached"] is True
