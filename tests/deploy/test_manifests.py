"""deploy/ stays valid and runs the same processes as the Procfile."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import compose

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SECRETS = {k: "x" for k in ("POSTGRES_PASSWORD", "JWT_SECRET", "PII_KEY", "HEMOLINK_ADMIN_PASSWORD", "SMS_GATEWAY_URL",
                             "SMS_GATEWAY_TOKEN", "REDIS_PASSWORD", "DONOR_DB_PASSWORD", "INVENTORY_DB_PASSWORD",
                             "WAIVER_DB_PASSWORD", "GATEWAY_DB_PASSWORD")}
PROCESSES = {f"{svc}-{proc}" for svc in ("donor", "inventory", "waiver") for proc in ("api", "consumer", "relay")}


def test_compose_file_is_valid():
    binary = Path(compose.__file__).parent / "docker-compose"   # the wrapper script swallows exit codes
    env = {**os.environ, **SECRETS}
    result = subprocess.run([str(binary), "-f", str(DEPLOY / "compose.yml"), "config", "--format", "json"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    services = set(json.loads(result.stdout)["services"])
    assert PROCESSES | {"gateway", "postgres", "kafka-0", "kafka-1", "kafka-2", "topics"} <= services


def test_kubernetes_manifests_are_valid_strictly():
    cli = Path(sys.executable).parent / "kubernetes-validate"
    result = subprocess.run([str(cli), "--strict", str(DEPLOY / "k8s" / "hemolink.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    names = set(re.findall(r'"name": "([a-z-]+)"', (DEPLOY / "k8s" / "hemolink.yaml").read_text()))
    assert PROCESSES | {"gateway", "topics"} <= names


def test_every_procfile_service_process_is_deployed():
    procfile = {line.split(":")[0].replace("_", "-") for line in (ROOT / "Procfile").read_text().splitlines() if line}
    assert PROCESSES <= procfile


def _manifests() -> list[dict]:
    docs = (DEPLOY / "k8s" / "hemolink.yaml").read_text().split("\n---\n")
    return [json.loads("\n".join(l for l in d.splitlines() if not l.startswith("#"))) for d in docs
            if d.strip().strip("-").strip() and any(l.strip().startswith("{") for l in d.splitlines())]


def test_only_the_gateway_may_reach_the_service_apis():
    """Revocation of HIS clients, rate limits and body limits live in the gateway: inside the cluster no pod
    but the gateway's may open a connection to a service's API."""
    docs = _manifests()
    apis = {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-api")}
    assert apis == {"donor-api", "inventory-api", "waiver-api"}
    policies = {d["spec"]["podSelector"]["matchLabels"]["app"]: d["spec"] for d in docs if d["kind"] == "NetworkPolicy"}
    for api in apis:
        spec = policies[api]
        assert spec["policyTypes"] == ["Ingress"]
        assert [peer for rule in spec["ingress"] for peer in rule["from"]] == [{"podSelector": {"matchLabels": {"app": "gateway"}}}]


def test_production_consumers_let_apache_kafka_park_empty_fetches():
    """The 25 ms fetch wait is for the local broker; against Apache Kafka it would mean 40 empty fetches a
    second per idle consumer, so every deployed service's consumers are configured with Kafka's default."""
    config_maps = {d["metadata"]["name"]: d["data"] for d in _manifests() if d["kind"] == "ConfigMap"}
    for svc in ("donor", "inventory", "waiver"):
        assert int(config_maps[f"{svc}-config"]["KAFKA_FETCH_MAX_WAIT_MS"]) >= 500
    binary = Path(compose.__file__).parent / "docker-compose"
    rendered = subprocess.run([str(binary), "-f", str(DEPLOY / "compose.yml"), "config", "--format", "json"],
                              capture_output=True, text=True, env={**os.environ, **SECRETS}, check=True)
    services = json.loads(rendered.stdout)["services"]
    for svc in ("donor", "inventory", "waiver"):
        assert int(services[f"{svc}-consumer"]["environment"]["KAFKA_FETCH_MAX_WAIT_MS"]) >= 500
