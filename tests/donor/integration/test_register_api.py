"""Registering donors through the HTTP API, on SQLite and PostgreSQL."""
from servicekit.testing import row_counts

from servicekit.outbox import envelopes
from servicekit.tables import outbox
from tests.helpers import auth, make_national_id

STATION = dict(site_id="SH-S01", region="SH")


def _body(**overrides):
    body = {"name": "张三", "national_id": make_national_id(), "phone": "13812345678", "abo": "O", "rhd": "pos"}
    body.update(overrides)
    return body


def _count(session_factory, table_name="donors"):
    from donor.orm import donors

    return row_counts(session_factory, [{"donors": donors, "outbox": outbox}[table_name]])[table_name]


def test_station_registers_a_donor_with_masked_identifiers(client, session_factory):
    body = _body()
    resp = client.post("/api/v1/donors", json=body, headers=auth("station", **STATION))
    assert resp.status_code == 201, resp.get_json()
    donor = resp.get_json()
    assert donor["national_id_masked"] == body["national_id"][:3] + "*" * 11 + body["national_id"][-4:]
    assert donor["phone_masked"] == "138****5678"
    assert donor["birth_date"] == "1990-01-01" and donor["sex"] == "M" and donor["region"] == "SH"
    assert body["national_id"] not in resp.get_data(as_text=True)


def test_registration_stages_donor_registered_without_raw_id(client, session_factory):
    body = _body()
    donor = client.post("/api/v1/donors", json=body, headers=auth("station", **STATION)).get_json()
    events = envelopes(session_factory)
    assert [e["type"] for e in events] == ["DonorRegistered"]
    assert events[0]["subject"] == donor["id"]
    assert body["national_id"] not in str(events)
    assert len(events[0]["data"]["national_id_blind"]) == 64


def test_second_registration_of_same_person_is_409_with_existing_id(client, session_factory):
    body = _body()
    first = client.post("/api/v1/donors", json=body, headers=auth("station", **STATION)).get_json()
    resp = client.post("/api/v1/donors", json=_body(national_id=body["national_id"], name="李四"),
                       headers=auth("station", **STATION))
    assert resp.status_code == 409
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "donor_exists"
    assert resp.get_json()["existing_id"] == first["id"]
    assert _count(session_factory) == 1 and _count(session_factory, "outbox") == 1


def test_bad_checksum_is_422_and_stores_nothing(client, session_factory):
    nid = make_national_id()
    wrong = nid[:17] + ("0" if nid[17] != "0" else "1")
    resp = client.post("/api/v1/donors", json=_body(national_id=wrong), headers=auth("station", **STATION))
    assert resp.status_code == 422 and resp.get_json()["code"] == "invalid_national_id"
    assert _count(session_factory) == 0 and _count(session_factory, "outbox") == 0


def test_refused_requests_leave_no_row(client, session_factory):
    cases = [
        (dict(json=_body()), 401),                                               # no token
        (dict(json=_body(), headers=auth("hospital", site_id="H1")), 403),       # wrong role
        (dict(data="{not json", headers={**auth("station", **STATION),
                                         "Content-Type": "application/json"}), 400),
        (dict(json={"name": "x"}, headers=auth("station", **STATION)), 422),     # missing fields
        (dict(json=_body(name="长" * 101), headers=auth("station", **STATION)), 422),  # oversized
    ]
    for kwargs, status in cases:
        resp = client.post("/api/v1/donors", **kwargs)
        assert resp.status_code == status, (kwargs, resp.get_json())
        assert resp.mimetype == "application/problem+json"
    assert _count(session_factory) == 0 and _count(session_factory, "outbox") == 0


def test_a_donor_can_read_only_their_own_record(client):
    donor = client.post("/api/v1/donors", json=_body(), headers=auth("station", **STATION)).get_json()
    assert client.get(f"/api/v1/donors/{donor['id']}", headers=auth("donor", donor_id=donor["id"])).status_code == 200
    other = client.get(f"/api/v1/donors/{donor['id']}", headers=auth("donor", donor_id="someone-else"))
    assert other.status_code == 404


def _document(prefix: str, birth: str = "19900101", seq: str = "024") -> str:
    from donor.model import gb11643_check_char

    first17 = f"{prefix}{birth}{seq}"
    return first17 + gb11643_check_char(first17)


def test_residence_permits_and_foreign_permanent_ids_register_with_their_explicit_type(client, session_factory):
    cases = [("hk_macau_permit", _document("810000")), ("hk_macau_permit", _document("820000", seq="031")),
             ("taiwan_permit", _document("830000", seq="042")), ("foreign_permanent_id", _document("931840", seq="053"))]
    for n, (id_type, number) in enumerate(cases):
        resp = client.post("/api/v1/donors", json=_body(national_id=number, id_type=id_type, phone=f"1381234560{n}"),
                           headers=auth("station", **STATION))
        assert resp.status_code == 201, (id_type, resp.get_json())
        body = resp.get_json()
        assert body["id_type"] == id_type and body["birth_date"] == "1990-01-01" and number not in resp.get_data(as_text=True)
        found = client.get(f"/api/v1/donors?national_id={number}", headers=auth("station", **STATION)).get_json()
        assert [d["id"] for d in found] == [body["id"]]
    assert _count(session_factory) == len(cases)


def test_a_permit_number_needs_its_type_and_a_type_needs_its_number(client, session_factory):
    hk = _document("810000")
    refused = [
        _body(national_id=hk),                                              # HK permit sent as a resident ID
        _body(national_id=make_national_id(), id_type="taiwan_permit"),     # resident ID sent as a permit
        _body(national_id=_document("310104"), id_type="foreign_permanent_id"),
        _body(national_id=hk[:17] + ("0" if hk[17] != "0" else "1"), id_type="hk_macau_permit"),   # checksum
    ]
    for body in refused:
        resp = client.post("/api/v1/donors", json=body, headers=auth("station", **STATION))
        assert resp.status_code == 422 and resp.get_json()["code"] == "invalid_national_id", body
    unknown = client.post("/api/v1/donors", json=_body(id_type="passport"), headers=auth("station", **STATION))
    assert unknown.status_code == 422 and "id_type" in unknown.get_json()["errors"]
    assert _count(session_factory) == 0 and _count(session_factory, "outbox") == 0


def test_an_impossible_birth_date_is_refused(client, session_factory):
    from donor.model import gb11643_check_char

    first17 = "310104" + "19900230" + "123"
    resp = client.post("/api/v1/donors", json=_body(national_id=first17 + gb11643_check_char(first17)),
                       headers=auth("station", **STATION))
    assert resp.status_code == 422 and resp.get_json()["code"] == "invalid_national_id"
    assert _count(session_factory) == 0
