"""Document storage (local filesystem, S3-compatible signing) and the development bank batch file."""
import csv
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from waiver.bank import BATCH_COLUMNS, CsvBatchBank
from waiver.storage import LocalFileStorage, S3Storage

NOW = datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc)     # 2026-11-21 01:30 in Shanghai


def test_local_storage_puts_gets_and_deletes(tmp_path):
    store = LocalFileStorage(tmp_path)
    store.put("claims/c1/d1.pdf", b"%PDF-1.7", "application/pdf")
    assert store.get("claims/c1/d1.pdf") == b"%PDF-1.7"
    assert [p.name for p in (tmp_path / "claims" / "c1").iterdir()] == ["d1.pdf"]   # no temporary file left
    store.delete("claims/c1/d1.pdf")
    assert not (tmp_path / "claims" / "c1" / "d1.pdf").exists()


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a/../../b", ""])
def test_local_storage_refuses_keys_that_leave_its_directory(tmp_path, key):
    with pytest.raises(ValueError):
        LocalFileStorage(tmp_path).put(key, b"x", "application/pdf")


class FakeSession:
    def __init__(self):
        self.calls = []

    def request(self, method, url, data=None, headers=None, timeout=None):
        self.calls.append((method, url, data, headers))

        class Resp:
            content = b"stored"

            def raise_for_status(self):
                return None

        return Resp()


def test_s3_storage_sends_path_style_signed_requests():
    session = FakeSession()
    store = S3Storage(endpoint="http://minio.local:9000", bucket="docs", access_key="AK", secret_key="SK",
                      region="cn-east-1", session=session, clock=lambda: NOW)
    store.put("claims/c1/d1.pdf", b"%PDF", "application/pdf")
    assert store.get("claims/c1/d1.pdf") == b"stored"
    store.delete("claims/c1/d1.pdf")
    method, url, data, headers = session.calls[0]
    assert (method, url, data) == ("PUT", "http://minio.local:9000/docs/claims/c1/d1.pdf", b"%PDF")
    assert headers["x-amz-date"] == "20261120T173000Z" and headers["Content-Type"] == "application/pdf"
    assert headers["Authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AK/20261120/cn-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=")
    assert [c[0] for c in session.calls] == ["PUT", "GET", "DELETE"]
    # the signature depends on the payload: same request, same signature; other payload, other signature
    assert store.sign("PUT", "/docs/k", b"a") == store.sign("PUT", "/docs/k", b"a") != store.sign("PUT", "/docs/k", b"b")


def test_the_development_bank_appends_to_a_daily_batch_file(tmp_path):
    bank = CsvBatchBank(tmp_path)
    ref1 = bank.pay(claim_id="abcdef12-0000", account_name="王五", account_no="6222020200112233445",
                    bank_name="工商银行", amount_yuan=Decimal("440.00"), at=NOW)
    bank.pay(claim_id="bbbbbbbb-0000", account_name="李四", account_no="6222", bank_name="建设银行",
             amount_yuan=Decimal("1.5"), at=NOW)
    path = tmp_path / "bank-batch-20261121.csv"                 # the Shanghai day
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == BATCH_COLUMNS and len(rows) == 3
    assert rows[1][:2] == [ref1, "abcdef12-0000"] and rows[1][5] == "440.00" and rows[2][5] == "1.50"
    assert ref1 == "BATCH-20261121-ABCDEF12"
