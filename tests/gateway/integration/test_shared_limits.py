"""One limit for the whole deployment: gateway processes that share one Redis count as one.

Two gunicorn masters with two workers each (four gateway processes, as production's replicas are), started as
the Procfile starts the gateway, with RATE_LIMIT_STORAGE_URI on the harness's redis-server.
"""
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from servicekit.broker import free_port
from tests.helpers import PII_KEY, keyring_file, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture
def gateways(gateway_db, upstream, redis_server, tmp_path):
    redis_server.flush()
    env = {**os.environ, "DATABASE_URL": gateway_db, "JWT_SIGNING_KEYS_FILE": keyring_file(), "PII_KEY": PII_KEY,
           "HEMOLINK_ADMIN_PASSWORD": "s3cret-admin", "HEMOLINK_DEV_OTP": "1",
           "RATE_LIMIT_STORAGE_URI": redis_server.url, "RATE_LIMIT_LOGIN_PER_USERNAME": "3/minute",
           "DONOR_URL": upstream.url, "INVENTORY_URL": upstream.url, "WAIVER_URL": upstream.url,
           "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}", "LOG_LEVEL": "WARNING"}
    ports, processes = [free_port(), free_port()], []
    for port in ports:
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "--no-control-socket", "gateway.app:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"gateway-{port}.log", "w")))
        # One master at a time: the first one's workers create the admin account the others then find.
        wait_until(lambda: _healthy(port), timeout_s=60)
    yield [f"http://127.0.0.1:{port}" for port in ports]
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def _healthy(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_login_codes_for_one_phone_are_one_limit_across_gateway_processes(gateways):
    phones = [f"1390000{i:04d}" for i in range(10)]
    # Three requests per phone at once, over both masters and fresh connections (so over their workers too).
    attempts = [(phone, gateways[n % 2]) for phone in phones for n in range(3)]

    def ask(attempt):
        phone, base = attempt
        return phone, requests.post(f"{base}/api/v1/auth/donor/otp", json={"phone": phone}, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        results = list(pool.map(ask, attempts))
    accepted = {phone: sum(status == 202 for p, status in results if p == phone) for phone in phones}
    assert accepted == {phone: 1 for phone in phones}
    assert sorted({status for _, status in results}) == [202, 429]


def test_password_guesses_spread_over_gateway_processes_spend_one_budget(gateways):
    def login(base, password):
        return requests.post(f"{base}/api/v1/auth/token", json={"username": "admin", "password": password},
                             timeout=30).status_code

    guesses = [login(gateways[i % 2], "guess") for i in range(3)]
    assert guesses == [401, 401, 401]
    # The 3/minute per-username budget is spent wherever the guesses landed: even the right password now waits.
    assert [login(base, "s3cret-admin") for base in gateways] == [429, 429]
