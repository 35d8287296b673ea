"""`HEMOLINK_REPLICAS=N make up` as planned by scripts/replicas.py: N of every Procfile process, each listening one
on its own port behind nginx, one Redis for the limits (the drill in tests/e2e runs it)."""
import itertools
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import replicas  # noqa: E402
from localenv import local_env  # noqa: E402


@pytest.fixture
def planned(tmp_path):
    ports = itertools.count(20000)
    env = local_env({"HEMOLINK_VAR": str(tmp_path)})
    return env, replicas.plan(env, 3, lambda: next(ports))


def test_every_procfile_process_but_the_broker_runs_n_times_under_a_restart_loop(planned):
    _, (procfile, _, _) = planned
    names = [line.split(":", 1)[0] for line in procfile.splitlines()]
    for process in replicas.parse_procfile():
        expected = [process] if process in replicas.SINGLE else [f"{process}_{i}" for i in (1, 2, 3)]
        assert [n for n in names if n == process or re.fullmatch(rf"{process}_\d", n)] == expected
    for line in procfile.splitlines():
        if re.match(r"\w+_\d:", line):
            assert "while :; do HEMOLINK_PROCESS=" in line and "; sleep 1; done" in line
    assert {"redis", "nginx"} <= set(names)


def test_each_listening_replica_has_its_own_port_and_nginx_balances_them_on_the_public_one(planned):
    env, (procfile, additions, conf) = planned
    bound = re.findall(r"-b 127\.0\.0\.1:(\d+)", procfile)
    assert len(bound) == len(set(bound)) == 3 * 4                   # 3 APIs and the gateway, 3 times
    assert "${" not in " ".join(re.findall(r"-b \S+", procfile))
    for port in bound:
        assert f"server 127.0.0.1:{port} " in conf
    for var in ("GATEWAY_PORT", "DONOR_PORT", "INVENTORY_PORT", "WAIVER_PORT"):
        assert f"listen 127.0.0.1:{env[var]};" in conf
        assert env[var] not in bound
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in conf
    assert additions["RATE_LIMIT_STORAGE_URI"] == f"redis://127.0.0.1:{additions['REDIS_PORT']}/0"
    assert additions["TRUSTED_PROXY_COUNT"] == "1"


def test_a_replicated_run_refuses_sqlite(tmp_path):
    env = local_env({"HEMOLINK_VAR": str(tmp_path), "DONOR_DATABASE_URL": f"sqlite:///{tmp_path}/donor.db"})
    with pytest.raises(SystemExit, match="HEMOLINK_REPLICAS needs PostgreSQL: DONOR_DATABASE_URL is SQLite"):
        replicas.postgres_urls(env)
