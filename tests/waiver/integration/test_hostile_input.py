"""Hostile requests to the waiver service: a multipart part that lies about its type, a document name that climbs
out of the storage directory, a JSON body nested a thousand deep. Each is refused or made harmless, as problem+json,
and leaves nothing behind."""
import io
import os

import pytest

from tests.helpers import auth
from tests.waiver.builders import ago, claim_body, person

CLAIMS = "/api/v1/waiver/claims"
PDF = b"%PDF-1.7\n..."


@pytest.fixture
def donor(ledger):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=60))
    return nid, auth("donor", sub=f"donor:{donor_id}", donor_id=donor_id)


def _files(root) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), root) for d, _dirs, files in os.walk(root) for f in files}


def test_a_part_declaring_a_pdf_but_holding_html_is_refused_and_nothing_is_stored(client, donor, counts, tmp_path):
    nid, me = donor
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    before, files = counts(), _files(tmp_path)
    resp = client.post(f"{CLAIMS}/{claim['id']}/documents", headers=me, content_type="multipart/form-data",
                       data={"kind": "invoice",
                             "file": (io.BytesIO(b"<html><script>alert(1)</script>"), "invoice.pdf", "application/pdf")})
    assert resp.status_code == 415 and resp.content_type == "application/problem+json"
    assert resp.get_json()["code"] == "unsupported_document_type"
    assert counts() == before and _files(tmp_path) == files


@pytest.mark.parametrize("name", ["../../../../etc/cron.d/evil.pdf", "..\\..\\windows\\evil.pdf", "/etc/passwd",
                                  "a/../../b.pdf", "%2e%2e%2fevil.pdf"])
def test_a_document_name_never_chooses_where_the_document_is_stored(client, donor, tmp_path, name):
    nid, me = donor
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    outside = _files(tmp_path) - {f for f in _files(tmp_path) if f.startswith("documents")}
    resp = client.post(f"{CLAIMS}/{claim['id']}/documents", headers=me, content_type="multipart/form-data",
                       data={"kind": "invoice", "file": (io.BytesIO(PDF), name)})
    assert resp.status_code == 201, resp.get_json()
    stored = {f for f in _files(tmp_path) if f.startswith("documents")}
    assert [f for f in stored if not f.startswith(f"documents{os.sep}claims{os.sep}{claim['id']}{os.sep}")] == []
    assert _files(tmp_path) - stored == outside                     # nothing written anywhere else
    assert ".." not in "".join(stored) and "etc" not in "".join(stored)


def test_a_json_body_nested_a_thousand_deep_is_a_400_and_changes_nothing(client, donor, counts):
    _nid, me = donor
    before = counts()
    resp = client.post(CLAIMS, data="[" * 1000 + "]" * 1000, content_type="application/json", headers=me)
    assert resp.status_code == 400 and resp.content_type == "application/problem+json"
    assert resp.get_json()["code"] == "bad_request"
    assert counts() == before
