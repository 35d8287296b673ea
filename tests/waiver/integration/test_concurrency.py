"""Deductions raced with real threads against one pool: the pool is spent exactly, never overspent."""
import threading
from decimal import Decimal

from sqlalchemy import select

from tests.helpers import auth
from tests.waiver.builders import ago, deduction_body, line, person
from waiver import orm

HOSPITAL = auth("hospital", site_id="H1", region="SH")
URL = "/api/v1/waiver/direct-deductions"


def _race(app, bodies_and_keys):
    results, errors = [None] * len(bodies_and_keys), []
    start = threading.Barrier(len(bodies_and_keys))

    def run(i, body, key):
        client = app.test_client()
        try:
            start.wait()
            results[i] = client.post(URL, json=body, headers={**HOSPITAL, "Idempotency-Key": key})
        except Exception as exc:  # surfaced below: a thread must not fail silently
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, b, k)) for i, (b, k) in enumerate(bodies_and_keys)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_100_concurrent_deductions_spend_one_pool_exactly(app, ledger, session_factory):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=200, collected_at=ago(days=30))     # SH: 5 × 200 = 1000 ml
    bodies = [(deduction_body(nid, [line(component="plasma", volume_ml=30, amount="60.00")]), f"key-{i}")
              for i in range(100)]
    responses = _race(app, bodies)
    assert all(r.status_code == 201 for r in responses), {r.status_code for r in responses}
    waived_ml = sum(r.get_json()["lines"][0]["waived_ml"] for r in responses)
    waived_yuan = sum(Decimal(r.get_json()["waived_yuan"]) for r in responses)
    assert waived_ml == 1000                              # exactly the pool: 33 × 30 ml + one 10 ml part
    assert waived_yuan == Decimal("2000.00")              # 33 × 60.00 + 20.00 pro rata
    per_request = sorted(r.get_json()["lines"][0]["waived_ml"] for r in responses)
    assert per_request == [0] * 66 + [10] + [30] * 33
    with session_factory() as s:
        pools = s.execute(select(orm.pools)).all()
        usages = s.execute(select(orm.pool_usages)).all()
    assert [(p.kind, p.used_ml) for p in pools if p.kind == "self"] == [("self", 1000)]
    assert all(p.used_ml >= 0 and p.used_yuan >= 0 for p in pools)
    assert sum(u.ml for u in usages) == 1000


def test_concurrent_replays_of_one_key_apply_once_and_answer_the_same(app, ledger, counts):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=30))
    body = deduction_body(nid)
    responses = _race(app, [(body, "one-key")] * 20)
    assert {r.status_code for r in responses} == {201}
    assert len({r.get_data() for r in responses}) == 1
    assert counts()["deductions"] == 1 and counts()["used_ml"] == 400


def test_the_same_blood_line_raced_by_two_keys_is_waived_once(app, ledger, counts):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=30))
    body = deduction_body(nid, [line(unit_id="U-RACE", amount="220.00", units=1)])
    responses = _race(app, [(body, f"k{i}") for i in range(10)])
    waived = sorted(r.get_json()["waived_yuan"] for r in responses)
    assert waived == ["0.00"] * 9 + ["220.00"]
    assert counts()["waived_lines"] == 1 and counts()["used_ml"] == 200


def test_claim_approvals_racing_deductions_never_take_the_pool_below_zero(app, ledger, session_factory):
    """10 submitted claims approved by reviewers while 10 hospitals deduct: 20 × 400 ml against 2000 ml."""
    import io

    from tests.waiver.builders import claim_body

    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=30))     # SH: 5 × 400 = 2000 ml
    me, reviewer = auth("donor", donor_id=donor_id), auth("reviewer", region="SH")
    setup = app.test_client()
    claims = []
    for _ in range(10):
        claim = setup.post("/api/v1/waiver/claims", json=claim_body(nid, lines=[line()]), headers=me).get_json()
        for kind in ("id_card", "donation_certificate", "invoice"):
            setup.post(f"/api/v1/waiver/claims/{claim['id']}/documents", headers=me, content_type="multipart/form-data",
                       data={"kind": kind, "file": (io.BytesIO(b"%PDF-1.7"), "f.pdf")})
        assert setup.post(f"/api/v1/waiver/claims/{claim['id']}/submit", headers=me).status_code == 200
        claims.append(claim["id"])
    results, errors = [], []
    start = threading.Barrier(20)

    def approve(claim_id):
        try:
            start.wait()
            results.append(("claim", app.test_client().post(f"/api/v1/waiver/claims/{claim_id}/approve", headers=reviewer)))
        except Exception as exc:
            errors.append(exc)

    def deduct(i):
        try:
            start.wait()
            results.append(("direct", app.test_client().post(URL, json=deduction_body(nid, [line()]),
                                                             headers={**HOSPITAL, "Idempotency-Key": f"race-{i}"})))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(c,)) for c in claims] + \
              [threading.Thread(target=deduct, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(r.status_code < 500 for _, r in results), [r.get_json() for _, r in results if r.status_code >= 500]
    waived_yuan = sum(Decimal(r.get_json()["approved_yuan" if kind == "claim" else "waived_yuan"])
                      for kind, r in results if r.status_code in (200, 201))
    assert waived_yuan == Decimal("2200.00")              # 2000 ml of 400 ml × 440.00 lines, not a yuan more
    refused = [r.get_json()["code"] for kind, r in results if kind == "claim" and r.status_code != 200]
    assert set(refused) <= {"nothing_to_waive"}
    with session_factory() as s:
        pools = s.execute(select(orm.pools)).all()
    assert [(p.kind, p.used_ml) for p in pools if p.kind == "self"] == [("self", 2000)]
