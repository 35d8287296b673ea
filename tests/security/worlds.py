"""Small worlds for the ownership walk: one service app on a fresh database, tokens for two owners of each
kind, builders that store rows through the service's own API (or, for facts that only arrive by event, through
the service's consumer path), and a snapshot of everything a refused request must leave as it was."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData, Table, inspect, select

from servicekit.consumer import EventProcessor
from servicekit.db import make_engine, make_session_factory
from servicekit.testing import FakeProducer, make_envelope, record_of
from tests.helpers import NETWORK, PII_KEY, SERVICE_KEYS, auth, make_national_id

# Tables that change on purpose even when a request is refused.
NOT_STATE = {"audit_log",          # records every write attempt, refusals included (that is its job)
             "alembic_version"}
_seq = itertools.count(1)


class Snapshot:
    """Every row of every table (and, optionally, every stored file), to compare before and after."""

    def __init__(self, database_url: str, files: Path | None = None):
        self.engine = make_engine(database_url)
        self.files = files

    def __call__(self) -> dict:
        state = {}
        with self.engine.connect() as conn:
            for name in sorted(set(inspect(conn).get_table_names()) - NOT_STATE):
                table = Table(name, MetaData(), autoload_with=conn)
                state[name] = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
        if self.files is not None:
            state["files"] = sorted(str(p.relative_to(self.files)) for p in self.files.rglob("*") if p.is_file())
        return state

    def close(self):
        self.engine.dispose()


class World:
    def __init__(self, client, snapshot: Snapshot):
        self.client = client
        self.snapshot = snapshot

    def call(self, method: str, url: str, headers: dict, **kwargs):
        if "json" not in kwargs and "data" not in kwargs and method != "GET":
            kwargs["json"] = {}
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def ok(self, method: str, url: str, headers: dict, **kwargs):
        resp = self.call(method, url, headers, **kwargs)
        assert resp.status_code < 300, (method, url, resp.status_code, resp.get_json(silent=True))
        return resp.get_json(silent=True)


# ---- donor ----------------------------------------------------------------------------------------------------
class DonorWorld(World):
    STATION = auth("station", site_id="SH-S01", region="SH")

    def __init__(self, client, snapshot, session_factory):
        super().__init__(client, snapshot)
        self.session_factory = session_factory

    def donor(self) -> str:
        """A donor registered by a station through POST /api/v1/donors; returns the id."""
        n = next(_seq)
        body = {"name": f"献血者{n}", "national_id": make_national_id(birth="19900101", seq=n % 499),
                "phone": f"138{uuid.uuid4().int % 10**8:08d}", "abo": "O", "rhd": "pos"}
        return self.ok("POST", "/api/v1/donors", self.STATION, json=body)["id"]

    @staticmethod
    def as_donor(donor_id: str) -> dict:
        return auth("donor", sub=f"donor:{donor_id}", donor_id=donor_id)

    def notify_unit_used(self, donor_id: str) -> None:
        """Notifications only arrive by event: feed a UnitTransfused through the donor consumer's handlers."""
        from donor.handlers import make_handlers
        from donor.notifier import Notifier
        from donor.unit_of_work import DonorUnitOfWork

        processor = EventProcessor(group="donor", handlers=make_handlers(Notifier()),
                                   uow_factory=lambda: DonorUnitOfWork(self.session_factory),
                                   dlq_producer=FakeProducer(), retry_sleep_s=0)
        processor.process(record_of(make_envelope("UnitTransfused", {
            "unit_id": str(uuid.uuid4()), "din": "W000126000001", "donor_id": donor_id, "hospital_id": "SH-H01",
            "hospital_name": "瑞金医院", "patient_blind": "x" * 64, "transfused_at": "2026-01-05T03:00:00+00:00"})))


# ---- inventory ------------------------------------------------------------------------------------------------
REGION_OF = {row[0]: row[2] for row in NETWORK}
O_POS_1U = [{"component": "red_cells", "abo": "O", "rhd": "pos", "units": 1}]


class InventoryWorld(World):
    ADMIN = auth("admin")

    def __init__(self, client, snapshot, session_factory):
        super().__init__(client, snapshot)
        self.session_factory = session_factory
        for site_id, kind, region, supplier, lat, lon in NETWORK:
            self.ok("POST", "/api/v1/sites", self.ADMIN, json={
                "id": site_id, "name": f"{site_id} 站点", "kind": kind, "region": region, "lat": lat, "lon": lon,
                **({"supplier_id": supplier} if supplier else {})})

    @staticmethod
    def site(site_id: str) -> dict:
        role = "hospital" if "-H" in site_id else "station"
        return auth(role, sub=f"{role}@{site_id}", site_id=site_id, region=REGION_OF[site_id])

    def donation(self, site_id: str = "SH-S1", *, release: bool = True) -> tuple[str, list[str]]:
        """The units of a 200 ml whole-blood donation (1 U red cells, 1 U plasma) at a station: (din, unit ids).
        Units only arrive by the DonationRecorded event (no API creates them); the release goes through the API."""
        from inventory.services import units
        from inventory.unit_of_work import InventoryUnitOfWork

        now = datetime.now(timezone.utc)
        din = f"W0001{26:02d}{next(_seq):06d}"
        created = units.create_units_from_donation(
            InventoryUnitOfWork(self.session_factory), donation_id=f"don-{din}", donor_id="donor-1", din=din,
            site_id=site_id, region=REGION_OF[site_id], kind="whole_blood", volume_ml=200, doses=None,
            collected_at=now, abo="O", rhd="pos", now=now)
        if release:
            self.ok("POST", f"/api/v1/donations/{din}/test-result", self.site(site_id), json={"qualified": True})
        return din, [u.id for u in created]

    def red_cell_unit(self, site_id: str = "SH-S1") -> str:
        _, unit_ids = self.donation(site_id)
        return next(uid for uid in unit_ids if self.unit(uid)["component"] == "red_cells")

    def unit(self, unit_id: str) -> dict:
        return self.ok("GET", f"/api/v1/units/{unit_id}", self.ADMIN)

    def issued_unit(self, hospital: str = "SH-H1") -> str:
        """A red-cell unit issued to `hospital` by an order to its supplying station."""
        supplier = next(row[3] for row in NETWORK if row[0] == hospital)
        self.donation(supplier)
        order = self.ok("POST", "/api/v1/orders", self.site(hospital), json={"lines": O_POS_1U, "priority": "routine"})
        [unit] = order["allocations"]
        return unit["id"]

    def transfer(self, from_site: str, to_site: str, *, dispatched: bool = False) -> str:
        if dispatched:
            self.donation(from_site)
        t = self.ok("POST", "/api/v1/transfers", self.site(from_site),
                    json={"from_site": from_site, "to_site": to_site, "lines": O_POS_1U, "reason": "走查"})
        if dispatched:
            self.ok("POST", f"/api/v1/transfers/{t['id']}/dispatch", self.site(from_site))
        return t["id"]

    def plan(self, region: str, *, from_site: str | None = None) -> str:
        return self.ok("POST", "/api/v1/rebalancing/plans", self.ADMIN,
                       json={"region": region, **({"from_site": from_site} if from_site else {})})["id"]

    def recall(self) -> str:
        """A recall reaching SH-H1: a bag of donor-1 issued to it, then donor-1's next donation tests HIV-positive."""
        self.issued_unit("SH-H1")
        din, _ = self.donation("SH-S1", release=False)
        self.ok("POST", f"/api/v1/donations/{din}/test-result", self.site("SH-S1"),
                json={"qualified": False, "reason": "hiv"})
        return self.ok("GET", "/api/v1/recalls", self.ADMIN)[0]["id"]

    def owed_approval(self, hospital: str = "SH-H1") -> str:
        """An emergency order for 800 ml of red cells for one patient, gone ahead owing its department head's approval."""
        order = self.ok("POST", "/api/v1/orders", self.site(hospital), json={
            "lines": [{**O_POS_1U[0], "units": 4}], "priority": "emergency",
            "patient_national_id": make_national_id(seq=31)})
        return order["id"]

    def shortage(self, short_site: str, spare_site: str) -> None:
        """`spare_site` holds 3 U of O+ red cells with no demand; `short_site` needs 1 U a day and holds none:
        a plan moves red cells from the one to the other."""
        for _ in range(3):
            self.donation(spare_site)
        self.ok("PUT", f"/api/v1/sites/{short_site}/demand", self.ADMIN,
                json={"lines": [{"component": "red_cells", "abo": "O", "rhd": "pos", "units_per_day": 1}]})


# ---- waiver ---------------------------------------------------------------------------------------------------
SHANGHAI = ZoneInfo("Asia/Shanghai")


class WaiverWorld(World):
    H1 = auth("hospital", sub="his@H1", site_id="H1", region="SH")
    H2 = auth("hospital", sub="his@H2", site_id="H2", region="SH")
    REVIEWER_SH = auth("reviewer", sub="rev-sh", region="SH")
    REVIEWER_JS = auth("reviewer", sub="rev-js", region="JS")
    ADMIN = auth("admin")

    def __init__(self, client, snapshot, ledger, now: datetime):
        super().__init__(client, snapshot)
        self.ledger = ledger
        self.month = now.astimezone(SHANGHAI).strftime("%Y-%m")

    def donor(self, region: str = "SH", donated: bool = True) -> tuple[str, str, dict]:
        """A donor as the waiver ledger learns of them (DonorRegistered, DonationRecorded events):
        (national id, donor id, donor token)."""
        from tests.waiver.builders import ago, person

        nid = person()
        donor_id = self.ledger.donor(nid, region=region)
        if donated:
            self.ledger.donation(donor_id, nid, region=region, volume_ml=400, collected_at=ago(days=60))
        return nid, donor_id, auth("donor", sub=f"donor:{donor_id}", donor_id=donor_id)

    def claim(self, headers: dict, patient_national_id: str, **extra) -> str:
        from tests.waiver.builders import claim_body

        return self.ok("POST", "/api/v1/waiver/claims", headers, json=claim_body(patient_national_id, **extra))["id"]

    def deduction(self, hospital: dict, patient_national_id: str) -> str:
        from tests.waiver.builders import deduction_body

        return self.ok("POST", "/api/v1/waiver/direct-deductions", {**hospital, "Idempotency-Key": uuid.uuid4().hex},
                       json=deduction_body(patient_national_id))["id"]

    def binding(self, donor_headers: dict) -> str:
        from tests.waiver.builders import person

        return self.ok("POST", "/api/v1/me/family", donor_headers,
                       json={"name": "李梅", "national_id": person(female=True), "relation": "spouse"})["id"]


def apps_kwargs() -> dict:
    return {**SERVICE_KEYS, "pii_key": PII_KEY}


def session_factory_for(database_url: str):
    engine = make_engine(database_url)
    return engine, make_session_factory(engine)
