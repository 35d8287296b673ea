"""The house (docs/architecture.md): every service has the same parts, imports no other service, keeps its
use cases in services/ and its views in api/; servicekit names no domain word."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("donor", "inventory", "waiver")

# The parts every service has (docs/architecture.md, README "Inside a service").
REQUIRED = {"api/__init__.py", "api/common.py", "services/__init__.py", "model.py", "errors.py", "policy.py",
            "orm.py", "repository.py", "unit_of_work.py", "events.py", "handlers.py", "app.py", "consumer.py",
            "relay.py", "dlq.py", "config.py", "authz.py", "demo.py", "migrations/env.py"}
# Names the old layouts used; each has its place in the house now.
RETIRED = {"services.py", "api.py", "rules.py", "entitlement.py", "reminders.py", "expiry.py", "sites.py",
           "units.py", "stock.py", "orders.py", "transfers.py", "transfusions.py", "plans.py", "donations.py",
           "notifications.py", "rebalancing.py", "rebalancing_lp.py"}
DOMAIN_WORDS = ("station", "hospital", "reviewer", "donor", "donation", "inventory", "waiver", "transfusion",
                "patient", "blood")


def _modules(service: str):
    base = ROOT / "services" / service
    return [p for p in base.rglob("*.py") if "migrations" not in p.relative_to(base).parts]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_parts_of_the_house(service):
    base = ROOT / "services" / service
    missing = sorted(part for part in REQUIRED if not (base / part).is_file())
    # The schemas: one `schemas.py`, or (once it outgrows one file) a `schemas/` package, never both.
    if (base / "schemas.py").is_file() == (base / "schemas" / "__init__.py").is_file():
        missing.append("schemas.py or schemas/ (exactly one)")
    retired = sorted(p.name for p in base.glob("*.py") if p.name in RETIRED)
    assert missing == [] and retired == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service_and_not_the_gateway(service):
    others = set(SERVICES) - {service} | {"gateway"}
    bad = []
    for path in _modules(service):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            bad += [f"{path.name}: {n}" for n in names if n.split(".")[0] in others]
    assert bad == []


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_live_in_services_and_views_do_not_check_roles(service):
    """A top-level module that opens a unit of work is a use case out of place; roles are the matrix's alone."""
    base = ROOT / "services" / service
    entrypoints = {"handlers.py", "jobs.py", "demo.py", "unit_of_work.py", "app.py"}
    misplaced = [p.name for p in base.glob("*.py")
                 if p.name not in entrypoints and re.search(r"^\s+with uow\b", p.read_text(encoding="utf-8"), re.M)]
    role_checks = [p.name for p in (base / "api").glob("*.py") if "require_role" in p.read_text(encoding="utf-8")]
    assert misplaced == [] and role_checks == []


def test_servicekit_names_no_domain_word():
    found = []
    for path in (ROOT / "libs" / "servicekit").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            words = [w for w in DOMAIN_WORDS if re.search(rf"{w}", line, re.I)]
            if words:
                found.append(f"{path.name}:{n}: {words}")
    assert found == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_schemas_package_mirrors_the_api_modules(service):
    """A `schemas/` package has one module per `api/` resource (plus `common.py`), and each view module takes its
    schemas from its own module (or `common`)."""
    base = ROOT / "services" / service
    if not (base / "schemas").is_dir():
        pytest.skip(f"{service} keeps its schemas in one schemas.py")
    resources = {p.stem for p in (base / "api").glob("*.py")} - {"__init__", "common"}
    modules = {p.stem for p in (base / "schemas").glob("*.py")} - {"__init__", "common"}
    assert modules == resources
    strays = [f"api/{name}.py imports schemas.{m}" for name in resources
              for m in re.findall(r"from \.\.schemas\.(\w+) import", (base / "api" / f"{name}.py").read_text("utf-8"))
              if m not in (name, "common")]
    assert strays == []


@pytest.mark.parametrize("module", sorted(p.stem for p in (ROOT / "tests" / "bench").glob("*.py")))
def test_every_benchmark_module_imports(module):
    """`make bench` and `make bench-scale` run outside the suite: a rename in the code they call (a setting, a test
    helper) would otherwise break them unseen until someone measures."""
    import importlib

    importlib.import_module(f"tests.bench.{module}")
