"""The compose deployment would start and work, read from the file compose itself renders: every process runs, each
process's production configuration passes its own refusals, Kafka can format its storage and keep min ISR, every
URL scheme has its client installed, no replicated service fixes a host port, no secret can silently be empty."""
import base64
import json
import os
import re
import subprocess
from pathlib import Path

import compose
import pytest

from servicekit.topics import MIN_INSYNC_REPLICAS, REPLICATION_FACTOR, TOPICS
from tests.deploy.processes import OUR_PACKAGES, ROOT, procfile, production_problems, strong_secret
from tests.deploy.processes import runs as _command_runs
from tests.helpers import keyring_file

COMPOSE = ROOT / "deploy" / "compose.yml"
# Strong values for every required secret: a process must then find nothing to refuse.
SECRETS = {k: strong_secret(k) for k in (
    "POSTGRES_PASSWORD", "PII_KEY", "HEMOLINK_ADMIN_PASSWORD", "SMS_GATEWAY_TOKEN", "REDIS_PASSWORD",
    "DONOR_DB_PASSWORD", "INVENTORY_DB_PASSWORD", "WAIVER_DB_PASSWORD", "GATEWAY_DB_PASSWORD", "SMS_GATEWAY_URL")}
SECRETS["JWT_SIGNING_KEYS_FILE"] = keyring_file()       # a file compose mounts as the gateway's secret
CLIENTS = {"redis": "redis", "postgresql+psycopg": "psycopg"}     # URL scheme → the package its client needs


@pytest.fixture(scope="module")
def rendered() -> dict:
    binary = Path(compose.__file__).parent / "docker-compose"   # the wrapper script swallows exit codes
    result = subprocess.run([str(binary), "-f", str(COMPOSE), "config", "--format", "json"], capture_output=True,
                            text=True, env={**os.environ, **SECRETS})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["services"]


def _runs(service: dict) -> str:
    return _command_runs(service.get("command"))


def test_every_procfile_process_runs_in_compose(rendered):
    running = {name: _runs(svc) for name, svc in rendered.items()}
    for process, module in procfile().items():
        assert any(name == process or name.startswith(process) for name in running), process
        assert module in running.values(), f"{process}: nothing runs {module}"


def test_every_process_starts_in_production_with_what_compose_gives_it(rendered):
    """Each process's own Config, built from the environment compose gives it, has no production problem (a missing
    Redis URL, proxy count, admin password or SMS provider would be listed here, as the process would refuse)."""
    checked = 0
    for name, svc in rendered.items():
        module = _runs(svc)
        if module.split(".")[0] not in OUR_PACKAGES:
            continue
        environ = {k: str(v) for k, v in (svc.get("environment") or {}).items()}
        assert production_problems(module, environ) == [], name
        checked += 1
    assert checked == len(procfile())          # every deployed process of ours was checked


def test_kafka_can_format_its_storage_on_its_volume_and_keep_min_isr(rendered):
    brokers = {n: s for n, s in rendered.items() if n.startswith("kafka-")}
    assert len(brokers) >= REPLICATION_FACTOR >= MIN_INSYNC_REPLICAS + 1
    for name, svc in brokers.items():
        env = svc["environment"]
        cluster_id = env["CLUSTER_ID"]
        assert len(cluster_id) == 22 and len(base64.urlsafe_b64decode(cluster_id + "==")) == 16, cluster_id
        mounts = {v["target"] for v in svc.get("volumes", []) if v.get("type") == "volume"}
        assert env["KAFKA_LOG_DIRS"] in mounts, name                  # not the image's temporary directory
        assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == MIN_INSYNC_REPLICAS
        for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):
            assert int(env[key]) == REPLICATION_FACTOR, key
    for topic in TOPICS:
        assert REPLICATION_FACTOR >= MIN_INSYNC_REPLICAS + 1 and topic.partitions >= 1
    assert _runs(rendered["topics"]) == "servicekit.topics create"   # the topics come from the one table


def test_every_url_scheme_configured_has_its_client_in_the_dependencies(rendered):
    dependencies = (ROOT / "pyproject.toml").read_text().split("[project.optional-dependencies]")[0]
    schemes = {m for svc in rendered.values() for v in (svc.get("environment") or {}).values()
               for m in re.findall(r"^([a-z][a-z0-9+]*)://", str(v))} - {"http", "https"}
    assert schemes >= {"redis", "postgresql+psycopg"}
    for scheme in schemes:
        assert f'"{CLIENTS[scheme]}' in dependencies, scheme


def test_no_replicated_service_publishes_a_fixed_host_port(rendered):
    for name, svc in rendered.items():
        if (svc.get("deploy") or {}).get("replicas", 1) > 1:
            assert not svc.get("ports"), f"{name} has replicas and a fixed host port"
    published = [n for n, s in rendered.items() if s.get("ports")]
    assert len(published) == 1, published                              # only the proxy in front of the gateways


def test_no_secret_can_silently_be_empty():
    text = COMPOSE.read_text()
    for match in re.finditer(r"\$\{([A-Z_]+)([^}]*)\}", text):
        name, rest = match.groups()
        required = rest.startswith(":?")
        defaulted = re.fullmatch(r":?-.+", rest) is not None          # `${IMAGE:-hemolink:local}`: never empty
        assert required or defaulted, f"${{{name}{rest}}} may interpolate to empty"
