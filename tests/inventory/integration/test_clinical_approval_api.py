"""Tiered clinical approval at ordering: per patient and Asia/Shanghai day, < 800 ml by the attending doctor,
800 to below 1,600 ml with the department head's approval, from 1,600 ml with the medical department's; an order
past its tier without that approval is 422 naming what it needs and changes nothing; an emergency goes ahead owing
the approval, is listed until approved after. The patient is kept as the blind index, never the raw ID."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from inventory.orm import order_approvals, patient_day_totals
from inventory.services import orders
from tests.helpers import auth, make_national_id

from .conftest import ADMIN, HOSPITAL1, HOSPITAL2

pytestmark = pytest.mark.usefixtures("network")
PATIENT = make_national_id(seq=21)
DEPT_HEAD = {"level": "department_head", "approver_name": "李主任", "approver_id": "D-017"}
MEDICAL = {"level": "medical_department", "approver_name": "医务处王处长"}


def _order(client, units, *, patient=PATIENT, approval=None, priority="urgent", component="red_cells",
           headers=HOSPITAL1):
    body = {"lines": [{"component": component, "abo": "O", "rhd": "pos", "units": units}], "priority": priority,
            "patient_national_id": patient}
    if approval:
        body["clinical_approval"] = approval
    return client.post("/api/v1/orders", json=body, headers=headers)


@pytest.fixture(autouse=True)
def stock(red_cells):
    red_cells(30)


def test_below_800_ml_the_attending_doctor_orders_alone(client):
    resp = _order(client, 3.995)                                      # 799 ml
    assert resp.status_code == 201, resp.get_json()
    approval = resp.get_json()["approval"]
    assert approval["status"] == "not_required" and approval["required_level"] == "attending"
    assert approval["day_total_ml"] == 799 and approval["patient_masked"].startswith(PATIENT[:3])


def test_exactly_800_ml_in_the_day_needs_the_department_head(client, state):
    assert _order(client, 3.5).status_code == 201                     # 700 ml
    before = state()
    resp = _order(client, 0.5)                                        # the day reaches exactly 800 ml
    assert resp.status_code == 422
    problem = resp.get_json()
    assert problem["code"] == "approval_required" and problem["title"] == "超出本级用血审批权限，需上级审批"
    assert problem["required_level"] == "department_head" and problem["day_total_ml"] == 800
    assert problem["already_ordered_ml"] == 700 and problem["order_ml"] == 100
    assert resp.content_type == "application/problem+json" and "clinical_approval" in problem["errors"]
    assert state() == before                                          # no bag taken, nothing stored
    attending = _order(client, 0.5, approval={"level": "attending", "approver_name": "张医生"})
    assert attending.status_code == 422 and attending.get_json()["required_level"] == "department_head"
    ok = _order(client, 0.5, approval=DEPT_HEAD)
    assert ok.status_code == 201 and ok.get_json()["approval"]["status"] == "approved"
    assert ok.get_json()["approval"]["given"]["approver_name"] == "李主任"


def test_exactly_1600_ml_needs_the_medical_department(client):
    under = _order(client, 7.995, approval=DEPT_HEAD)                  # 1,599 ml: the department head suffices
    assert under.status_code == 201 and under.get_json()["approval"]["required_level"] == "department_head"
    resp = _order(client, 8, patient=make_national_id(seq=22), approval=DEPT_HEAD)   # 1,600 ml at once
    assert resp.status_code == 422 and resp.get_json()["required_level"] == "medical_department"
    ok = _order(client, 8, patient=make_national_id(seq=22), approval=MEDICAL)
    assert ok.status_code == 201 and ok.get_json()["approval"]["day_total_ml"] == 1600


def test_plasma_and_other_patients_and_hospitals_count_apart(client, red_cells):
    red_cells(20, component="plasma")
    assert _order(client, 12, component="plasma").get_json()["approval"]["day_total_ml"] == 0
    assert _order(client, 3.5).status_code == 201
    assert _order(client, 3.5, patient=make_national_id(seq=23)).status_code == 201
    red_cells(5, site_id="SH-S2")
    assert _order(client, 3.5, headers=HOSPITAL2).status_code == 201   # the same patient at another hospital


def test_an_order_without_a_patient_is_a_stock_order_and_counts_nothing(client):
    resp = client.post("/api/v1/orders", headers=HOSPITAL1, json={
        "lines": [{"component": "red_cells", "abo": "O", "rhd": "pos", "units": 10}], "priority": "routine"})
    assert resp.status_code == 201 and resp.get_json().get("approval") is None
    bad = client.post("/api/v1/orders", headers=HOSPITAL1, json={
        "lines": [{"component": "red_cells", "abo": "O", "rhd": "pos", "units": 1}], "clinical_approval": DEPT_HEAD})
    assert bad.status_code == 422 and "patient_national_id" in str(bad.get_json()["errors"])


def test_the_day_is_the_shanghai_day(app, uow_factory):
    vault = app.extensions["inventory"].vault
    line = [{"component": "red_cells", "abo": "O", "rhd": "pos", "units": 3.5}]
    late = datetime(2026, 12, 7, 15, 30, tzinfo=timezone.utc)          # 23:30 in Shanghai
    early = datetime(2026, 12, 7, 16, 30, tzinfo=timezone.utc)         # 00:30 the next day in Shanghai
    days = []
    for moment in (late, early):      # 700 ml each: on one day they would need the department head
        order = orders.place_order(uow_factory(), hospital_id="SH-H1", lines=line, priority="urgent", now=moment,
                                   vault=vault, patient_national_id=PATIENT)
        assert order.approval.status == "not_required"
        days.append(order.approval.day)
    assert days == ["2026-12-07", "2026-12-08"]


def test_an_emergency_goes_ahead_owing_the_approval_and_is_approved_after(client, events, session_factory):
    resp = _order(client, 8, priority="emergency")
    assert resp.status_code == 201
    order = resp.get_json()
    assert order["approval"]["status"] == "owed" and order["status"] == "fulfilled"
    owed = client.get("/api/v1/clinical-approvals?status=owed", headers=HOSPITAL1).get_json()
    assert [a["order_id"] for a in owed] == [order["id"]]
    assert [a["order_id"] for a in client.get("/api/v1/clinical-approvals?status=owed",
                                              headers=ADMIN).get_json()] == [order["id"]]
    assert client.get("/api/v1/clinical-approvals?status=owed", headers=HOSPITAL2).get_json() == []
    [event] = events("ClinicalApprovalOwed")
    assert event["data"]["required_level"] == "medical_department" and PATIENT not in str(event["data"])
    url = f"/api/v1/orders/{order['id']}/approval"
    assert client.post(url, json=MEDICAL, headers=HOSPITAL2).status_code in (403, 404)
    low = client.post(url, json=DEPT_HEAD, headers=HOSPITAL1)
    assert low.status_code == 422 and low.get_json()["code"] == "approval_insufficient"
    ok = client.post(url, json=MEDICAL, headers=HOSPITAL1)
    assert ok.status_code == 200 and ok.get_json()["status"] == "approved_after"
    assert client.get("/api/v1/clinical-approvals?status=owed", headers=HOSPITAL1).get_json() == []
    again = client.post(url, json=MEDICAL, headers=HOSPITAL1)
    assert again.status_code == 409 and again.get_json()["code"] == "approval_not_owed"
    assert len(events("ClinicalApprovalGiven")) == 1
    with session_factory() as s:
        stored = [tuple(r) for t in (order_approvals, patient_day_totals) for r in s.execute(select(t))]
    assert PATIENT not in repr(stored)                                 # the blind index and the masked ID only


def test_two_orders_for_one_patient_at_once_cannot_both_stay_under_the_tier(app):
    barrier = threading.Barrier(2)

    def order(_):
        barrier.wait()
        return _order(app.test_client(), 3).status_code                 # 600 ml each: 1,200 ml together

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(order, range(2)))
    assert codes == [201, 422]
