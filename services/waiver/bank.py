"""Paying approved claims. In development the bank is a batch file: one CSV per Asia/Shanghai day under
var/bank, appended under an exclusive file lock (several API workers may pay at once)."""
from __future__ import annotations

import csv
import fcntl
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from .policy import shanghai_day

BATCH_COLUMNS = ["payment_ref", "claim_id", "account_name", "account_no", "bank_name", "amount_yuan", "queued_at",
                 "payer_region"]


class Bank(Protocol):
    def pay(self, *, claim_id: str, account_name: str, account_no: str, bank_name: str, amount_yuan: Decimal,
            at: datetime, payer_region: str | None = None) -> str:
        """Queue a transfer from `payer_region`'s account; returns the payment reference."""


class CsvBatchBank:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def batch_path(self, at: datetime) -> Path:
        return self.directory / f"bank-batch-{shanghai_day(at):%Y%m%d}.csv"

    def pay(self, *, claim_id: str, account_name: str, account_no: str, bank_name: str, amount_yuan: Decimal,
            at: datetime, payer_region: str | None = None) -> str:
        # A claim paid by two regions is two transfers: the region tells their references apart.
        ref = f"BATCH-{shanghai_day(at):%Y%m%d}-{claim_id[:8].upper()}" + (f"-{payer_region}" if payer_region else "")
        self.directory.mkdir(parents=True, exist_ok=True)
        row = io.StringIO()
        csv.writer(row).writerow([ref, claim_id, account_name, account_no, bank_name, f"{amount_yuan:.2f}",
                                  at.isoformat(), payer_region or ""])
        with open(self.batch_path(at), "a+", encoding="utf-8", newline="") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.seek(0, 2)
                if f.tell() == 0:
                    f.write(",".join(BATCH_COLUMNS) + "\r\n")
                f.write(row.getvalue())
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        return ref
