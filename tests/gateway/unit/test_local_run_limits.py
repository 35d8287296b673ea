"""`make up` keeps the gateway's limits one limit: one gateway process on memory storage, any number on Redis."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
from localenv import local_env  # noqa: E402


def test_memory_storage_runs_one_gateway_process(monkeypatch):
    monkeypatch.delenv("RATE_LIMIT_STORAGE_URI", raising=False)
    assert local_env({"GATEWAY_WORKERS": "4"})["GATEWAY_WORKERS"] == "1"


def test_redis_storage_keeps_the_workers_asked_for(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_STORAGE_URI", "redis://127.0.0.1:6399/0")
    assert local_env({"GATEWAY_WORKERS": "4"})["GATEWAY_WORKERS"] == "4"


def test_the_procfile_gateway_reads_gateway_workers():
    gateway = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("gateway:"))
    assert "-w ${GATEWAY_WORKERS" in gateway
