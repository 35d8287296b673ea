"""Start the whole system the way `make up` does (scripts/up.py + Procfile), on free ports in a temp dir."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from servicekit.broker import free_port
from tests.helpers import keyring_file

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from localenv import local_env  # noqa: E402


class System:
    def __init__(self, var_dir: Path, *, demo: bool = True, extra_env: dict | None = None):
        self.var_dir = var_dir
        ports = {k: str(free_port()) for k in ("BROKER_PORT", "GATEWAY_PORT", "DONOR_PORT", "INVENTORY_PORT", "WAIVER_PORT")}
        # Every e2e request comes from 127.0.0.1 and the fuzzer alone sends thousands a minute: the per-IP
        # budget is raised so journeys after it are not refused. tests/gateway tests the limits themselves.
        # The gateway signs with the test issuer's key (tests.helpers.token mints for the fuzzer); the services
        # still fetch its public keys from the gateway's JWKS as under `make up`.
        self.env = local_env({"HEMOLINK_VAR": str(var_dir), "HEMOLINK_ADMIN_PASSWORD": "e2e-admin-pass", **ports,
                              "JWT_SIGNING_KEYS_FILE": keyring_file(),
                              "RATE_LIMIT_PER_IP": "100000/minute", "RATE_LIMIT_AUTH_PER_IP": "10000/minute",
                              **(extra_env or {})})
        self.base = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"
        self.demo = demo
        self.process: subprocess.Popen | None = None
        self.log_path = var_dir / "system.log"
        self.http = requests.Session()
        # Every response body seen in the run, and every raw identifier tests sent, for the PII sweep.
        self.responses: list[str] = []
        self.sensitive: set[str] = set()
        self.http.hooks["response"].append(lambda resp, *a, **k: self.responses.append(resp.text))

    def start(self, deadline_s: float = 60.0) -> float:
        args = [sys.executable, str(ROOT / "scripts" / "up.py")] + ([] if self.demo else ["--no-demo"])
        self.log = open(self.log_path, "ab")      # a restart appends: the PII sweep reads both runs
        started = time.monotonic()
        self.process = subprocess.Popen(args, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        while time.monotonic() - started < deadline_s:
            if self.process.poll() is not None:
                raise RuntimeError(f"system exited early:\n{self.log_path.read_text()[-4000:]}")
            try:
                if self.http.get(self.base + "/api/v1/health", timeout=2).json().get("status") == "ok":
                    return time.monotonic() - started
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"not healthy within {deadline_s}s:\n{self.log_path.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def remember(self, *values: str) -> None:
        """Record raw national IDs / phone numbers a test sent: none may show up anywhere."""
        self.sensitive.update(v for v in values if v)

    # --- helpers for journeys -------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base + path

    def login(self, username: str, password: str) -> dict:
        resp = self.http.post(self.url("/api/v1/auth/token"), json={"username": username, "password": password})
        resp.raise_for_status()
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}

    def admin(self) -> dict:
        return self.login("admin", "e2e-admin-pass")

    def staff(self, username: str, role: str, *, site_id: str | None = None, region: str = "SH") -> dict:
        """Create (once) and log in a staff user; a site user's site is registered first if it is not (the
        gateway takes the user's region from it)."""
        body = {"username": username, "password": "password-" + username, "role": role, "region": region}
        if site_id:
            body["site_id"] = site_id
            if self.http.get(self.url(f"/api/v1/sites/{site_id}"), headers=self.admin()).status_code == 404:
                site = self.http.post(self.url("/api/v1/sites"), headers=self.admin(), json={
                    "id": site_id, "name": f"{site_id} 测试站点", "kind": role, "region": region})
                assert site.status_code in (201, 409), site.text
        resp = self.http.post(self.url("/api/v1/users"), json=body, headers=self.admin())
        assert resp.status_code in (201, 409), resp.text
        return self.login(username, body["password"])


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    sys_ = System(tmp_path_factory.mktemp("system"), demo=os.environ.get("E2E_DEMO", "1") == "1")
    sys_.startup_s = sys_.start()
    yield sys_
    sys_.stop()
