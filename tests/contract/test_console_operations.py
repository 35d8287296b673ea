"""The operations the web console calls (its API_PATHS) are in the OpenAPI the gateway merges from the real
donor, inventory and waiver services: renaming a route in a service breaks this test, not the console in production."""
import importlib
import re
import threading

import pytest
from werkzeug.serving import make_server

from gateway.app import create_app
from servicekit.broker import free_port
from tests.gateway.console import DONOR_API_BLOCK, api_paths, scripts
from tests.helpers import PII_KEY, SERVICE_KEYS, gateway_keys


@pytest.fixture(scope="module")
def real_upstreams(databases):
    """The donor, inventory and waiver services themselves on free ports, so the gateway merges their real specs."""
    servers, urls = [], {}
    for service in ("donor", "inventory", "waiver"):
        app = importlib.import_module(f"{service}.app").create_app(
            database_url=databases.new(service, "sqlite"), **SERVICE_KEYS, pii_key=PII_KEY)
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        urls[f"{service}_url"] = f"http://127.0.0.1:{port}"
    yield urls
    for server in servers:
        server.shutdown()


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def merged(databases, real_upstreams):
    """(the gateway, the (METHOD, path template) pairs of its merged OpenAPI)."""
    gateway = create_app(database_url=databases.new("gateway", "sqlite"), **gateway_keys(), pii_key=PII_KEY,
                         hemolink_admin_password="s3cret-admin",
                         kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", **real_upstreams)
    spec = gateway.test_client().get("/api/v1/openapi.json").get_json()
    assert not {"donor", "inventory", "waiver"} & set(spec["info"].get("x-unavailable", []))
    published = {(method.upper(), _template(path)) for path, item in spec["paths"].items() for method in item
                 if method in ("get", "post", "put", "patch", "delete")}
    return gateway, published


def test_every_operation_the_console_calls_is_in_the_merged_openapi(merged):
    gateway, published = merged
    wanted = {(method, _template(path)) for method, path in api_paths(scripts(gateway.test_client())).values()}
    assert sorted(wanted - published) == []


def test_every_operation_the_donor_page_calls_is_in_the_merged_openapi(merged):
    gateway, published = merged
    named = api_paths(scripts(gateway.test_client(), "/donor"), DONOR_API_BLOCK)
    wanted = {(method, _template(path)) for method, path in named.values()}
    assert len(wanted) >= 10 and sorted(wanted - published) == []
