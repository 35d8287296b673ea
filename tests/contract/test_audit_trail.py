"""Each service records every state-changing request in its own audit trail: who, role, site, action,
target, request id, outcome. Refused requests are recorded too, and reads are not."""
import importlib

import pytest
from sqlalchemy import create_engine, select

from servicekit.audit import audit_log
from tests.helpers import SERVICE_KEYS, PII_KEY, auth, make_national_id

STATION = auth("station", sub="st-1", site_id="SH-S1", region="SH")
HOSPITAL = auth("hospital", sub="hs-1", site_id="SH-H1", region="SH")
ADMIN = auth("admin", sub="root")

# (service, a write that succeeds, a write refused for its role, a read)
CASES = {
    "donor": (("post", "/api/v1/donors", STATION, {"name": "审计", "national_id": make_national_id(seq=321),
                                                    "phone": "13912345678", "abo": "A", "rhd": "pos"}),
              ("post", "/api/v1/donors", HOSPITAL, {"name": "审计"}),
              ("get", "/api/v1/donors?national_id=110101199001011234", STATION)),
    "inventory": (("post", "/api/v1/sites", ADMIN, {"id": "SH-AUD", "name": "审计血站", "kind": "station", "region": "SH"}),
                  ("post", "/api/v1/sites", STATION, {"id": "SH-X", "name": "x", "kind": "station", "region": "SH"}),
                  ("get", "/api/v1/sites", STATION)),
    "waiver": (("post", "/api/v1/waiver/direct-deductions/preview", HOSPITAL, {"patient_national_id": "x"}),
               ("post", "/api/v1/waiver/direct-deductions", STATION, {}),
               ("get", "/api/v1/waiver/policies", STATION)),
}


@pytest.mark.parametrize("service", list(CASES))
def test_every_write_is_audited_with_who_what_and_outcome(databases, service):
    url = databases.new(service, "sqlite")
    create_app = importlib.import_module(f"{service}.app").create_app
    client = create_app(database_url=url, **SERVICE_KEYS, pii_key=PII_KEY).test_client()
    done, refused, read = CASES[service]
    responses = []
    for i, (method, path, headers, *body) in enumerate((done, refused, read)):
        responses.append(getattr(client, method)(path, json=body[0] if body else None,
                                                 headers={**headers, "X-Request-ID": f"audit-{service}-{i}"}))
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    engine.dispose()
    assert [r.request_id for r in rows] == [f"audit-{service}-0", f"audit-{service}-1"]   # the read is not audited
    first, second = rows
    assert (first.service, first.actor, first.role, first.status) == \
        (service, _sub(done[2]), _role(done[2]), responses[0].status_code)
    assert first.action == f"POST {done[1]}"
    assert first.outcome == ("succeeded" if responses[0].status_code < 400 else "refused")
    if responses[0].status_code == 201:
        assert first.target == f"id={responses[0].get_json()['id']}"
    assert (second.role, second.status, second.outcome) == (_role(refused[2]), 403, "refused")
    assert second.site_id == _claims(refused[2]).get("site_id")
    everything = " ".join(str(v) for r in rows for v in r)
    assert "13912345678" not in everything and make_national_id(seq=321) not in everything


def _claims(headers):
    import jwt

    return jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})


def _sub(headers):
    return _claims(headers)["sub"]


def _role(headers):
    return _claims(headers)["role"]
