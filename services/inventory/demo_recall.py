"""`make up` demo data for #22: one lookback recall reaching a Shanghai and a Jiangsu hospital, loaded through the
use cases (events reach the outbox). A demo donor gave four times: a bag issued to 黄浦区人民医院, one issued to
南京市人民医院, one still on the shelf; the fourth donation tests HIV-positive. Jiangsu has answered (returned);
Shanghai's line is open for the console's hospital desk. Idempotent: nothing is loaded once the trigger is known."""
from __future__ import annotations

from datetime import datetime, timedelta

from servicekit.auth import Principal

from .reference_network import hospital_id, station_id
from .services import orders, recalls, sites, units

DONOR = "demo-donor-lookback"
TRIGGER_DIN = "DEMOLOOKBACK04"
# AB RhD-negative bags collected 34 days ago expire before any of the opening stock (at most 33 days old), so the
# hospitals' orders take exactly the demo donor's bags (first-expiring-first).
GROUP = dict(abo="AB", rhd="neg")


def _donate(uow_factory, din: str, site: str, region: str, collected_at: datetime, now: datetime,
            release=True) -> int:
    made = units.create_units_from_donation(uow_factory(), donation_id=f"don-{din}", donor_id=DONOR, din=din, site_id=site,
                                     region=region, kind="whole_blood", volume_ml=200, doses=None,
                                     collected_at=collected_at, now=now, **GROUP)
    if release:
        units.record_test_result(uow_factory(), station_id=site, din=din, qualified=True, now=now)
    return len(made)


def load_recall(uow_factory, now: datetime) -> int:
    """The units the demo donor's four donations made (0 when already loaded or the sites are not there)."""
    sh_station, sh_hospital = station_id("HP", "SH"), hospital_id("HP", "SH")
    js_station, js_hospital = station_id("NJ", "JS"), hospital_id("NJ", "JS")
    if recalls.find_by_trigger(uow_factory(), "positive_test", TRIGGER_DIN) is not None:
        return 0
    known = {s.id for s in sites.list_sites(uow_factory(), kind="hospital")}
    if not {sh_hospital, js_hospital} <= known:
        return 0
    line = [dict(component="red_cells", units=1, **GROUP)]
    made = _donate(uow_factory, "DEMOLOOKBACK01", sh_station, "SH", now - timedelta(days=34), now)
    orders.place_order(uow_factory(), hospital_id=sh_hospital, lines=line, priority="urgent", now=now)
    made += _donate(uow_factory, "DEMOLOOKBACK02", js_station, "JS", now - timedelta(days=34, hours=1), now)
    orders.place_order(uow_factory(), hospital_id=js_hospital, lines=line, priority="urgent", now=now)
    made += _donate(uow_factory, "DEMOLOOKBACK03", sh_station, "SH", now - timedelta(days=8), now)
    made += _donate(uow_factory, TRIGGER_DIN, sh_station, "SH", now - timedelta(hours=6), now, release=False)
    units.record_test_result(uow_factory(), station_id=sh_station, din=TRIGGER_DIN, qualified=False, reason="hiv",
                             now=now)
    recall = recalls.find_by_trigger(uow_factory(), "positive_test", TRIGGER_DIN)
    js_line = next((ln for ln in recall.lines if ln.hospital_id == js_hospital), None)
    if js_line is not None:
        recalls.answer_line(uow_factory(), Principal.from_claims(dict(sub="demo-loader", role="hospital",
                                                                     site_id=js_hospital, region="JS")),
                            recall_id=recall.id, line_id=js_line.id, answer="returned", note=None,
                            now=now)
    return made
