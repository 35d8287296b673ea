"""Every service's OpenAPI document is valid JSON Schema where it describes bodies, so that spec-driven
clients (the mini-program's generated SDK, HIS integrators, the fuzzer) can read every operation."""
import importlib

import pytest
from jsonschema import Draft4Validator

from tests.helpers import SERVICE_KEYS, PII_KEY

SERVICES = ["donor", "inventory", "waiver"]
NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _spec(databases, service) -> dict:
    create_app = importlib.import_module(f"{service}.app").create_app
    app = create_app(database_url=databases.new(service, "sqlite"), **SERVICE_KEYS, pii_key=PII_KEY)
    return app.test_client().get("/openapi.json").get_json()


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


@pytest.mark.parametrize("service", SERVICES)
def test_every_bound_in_the_spec_is_a_json_number(databases, service):
    spec = _spec(databases, service)
    wrong = [(path, key, node[key]) for path, node in _walk(spec["components"]) for key in NUMERIC_KEYWORDS
             if key in node and (isinstance(node[key], bool) or not isinstance(node[key], (int, float)))]
    assert not wrong, wrong


@pytest.mark.parametrize("service", SERVICES)
def test_every_component_schema_is_a_valid_schema(databases, service):
    for name, schema in _spec(databases, service)["components"]["schemas"].items():
        Draft4Validator.check_schema({k: v for k, v in schema.items() if k not in ("nullable", "writeOnly", "readOnly")})
