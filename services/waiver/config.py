"""Waiver service settings (same variable names as every service, plus its own)."""
from __future__ import annotations

from dataclasses import dataclass

from servicekit.config import BaseConfig


@dataclass(frozen=True)
class Config(BaseConfig):
    service_name: str = "waiver"
    database_url: str = "sqlite:///var/waiver.db"
    documents_dir: str = "var/documents"           # local document store (DOCUMENT_STORAGE=local)
    document_storage: str = "local"                # local | s3
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    bank_batch_dir: str = "var/bank"               # development bank: daily batch CSV files
    reminder_after_days: int = 7                   # remind a donor when no deduction followed a transfusion
    reminder_interval_s: int = 3600                # how often `python -m waiver.jobs reminders` looks
