"""What ships is what runs: the wheel, installed NON-editable, starts every process the Procfile names.

An editable install maps whole source directories, so a subpackage missing from the package list
(`waiver.api`, `waiver.services`) or a data file missing from the package data goes unnoticed until the
image (`pip install .`) fails to start. Here the wheel is built from the checkout, installed with `--no-deps`
into a fresh venv that sees only the installed dependencies (not the checkout, not the editable finder),
and every module and every Procfile entrypoint is imported from it.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("hemolink", "servicekit", "donor", "inventory", "waiver", "gateway")


def procfile_entrypoints() -> list[str]:
    """`module` for `python -m module`, `module:attr` for gunicorn's `'module:attr()'`."""
    found = []
    for line in (ROOT / "Procfile").read_text().splitlines():
        if m := re.search(r"python -m ([\w.]+)", line):
            found.append(m.group(1) + ":main")
        elif m := re.search(r"'([\w.]+):(\w+)\(\)'", line):
            found.append(f"{m.group(1)}:{m.group(2)}")
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The python of a fresh venv holding the wheel (deps come from the project's venv, read-only)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    # From the project's files only, as a clean checkout has them: an in-tree `build/` left by an earlier
    # build would otherwise supply what the package list forgot.
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--disable-pip-version-check",
                    "-w", str(work / "dist"), str(source)], check=True, cwd=work)
    wheel = next((work / "dist").glob("hemolink-*.whl"))
    venv.EnvBuilder(with_pip=False).create(work / "venv")
    python = work / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # A plain path line: the project's venv is searched for dependencies, but its .pth files (the editable
    # finder that maps the checkout) are not run, so hemolink itself can only come from the wheel.
    (site / "zz_project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--disable-pip-version-check",
                    "--target", str(site), str(wheel)], check=True, cwd=work)
    return python


def run_in(python: Path, code: str) -> dict:
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=python.parent,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(python.parent)})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_module_imports_from_the_installed_wheel_not_the_checkout(installed):
    report = run_in(installed, f"""
import importlib, json, pkgutil
mods, outside = [], []
for name in {PACKAGES!r}:
    pkg = importlib.import_module(name)
    for info in pkgutil.walk_packages(pkg.__path__, name + "."):
        mod = importlib.import_module(info.name)
        mods.append(info.name)
        if "site-packages" not in (mod.__file__ or ""):
            outside.append(info.name)
print(json.dumps({{"modules": mods, "outside": outside}}))
""")
    assert report["outside"] == []
    for sub in ("waiver.api.claims", "waiver.services.claims", "servicekit.broker", "gateway.app", "donor.dlq",
                "inventory.dlq", "waiver.dlq"):
        assert sub in report["modules"]
    # every module of the checkout is in the wheel
    checkout = {_module_name(p) for p in _source_files()}
    assert checkout - set(report["modules"]) - set(PACKAGES) == set()


def test_every_procfile_entrypoint_is_callable_from_the_wheel(installed):
    entrypoints = procfile_entrypoints()
    assert {"donor.app:create_app", "waiver.consumer:main", "inventory.relay:main", "gateway.app:create_app",
            "servicekit.broker:main", "waiver.jobs:main", "inventory.jobs:main"} <= set(entrypoints)
    report = run_in(installed, f"""
import importlib, json
bad = []
for ep in {entrypoints!r}:
    module, attr = ep.split(":")
    if not callable(getattr(importlib.import_module(module), attr, None)):
        bad.append(ep)
from servicekit.topics import all_topics
print(json.dumps({{"bad": bad, "topics": all_topics()}}))
""")
    assert report["bad"] == []
    # the services are named by the wheel's entry points, so the installed broker creates every topic
    assert {"donor.events", "inventory.events", "waiver.events", "waiver.dlq"} <= set(report["topics"])


def test_migrations_and_static_files_ship_in_the_wheel(installed):
    expected = sorted(f"{name}/{p.relative_to(_ROOTS[name]).as_posix()}" for name, p in _data_files())
    report = run_in(installed, f"""
import importlib.resources as r, json
def walk(t, prefix):
    for c in t.iterdir():
        if c.name == "__pycache__":
            continue
        if c.is_dir():
            yield from walk(c, prefix + c.name + "/")
        else:
            yield prefix + c.name
have = set()
for name in {PACKAGES!r}:
    have.update(walk(r.files(name), name + "/"))
print(json.dumps({{"files": sorted(have)}}))
""")
    missing = [f for f in expected if f not in report["files"]]
    assert missing == []
    assert any(f.startswith("waiver/migrations/versions/") for f in expected)
    assert "gateway/static/console.html" in expected


# the checkout's view ------------------------------------------------------------------------------------------

_ROOTS = {"hemolink": ROOT / "libs" / "hemolink", "servicekit": ROOT / "libs" / "servicekit", "donor": ROOT / "services" / "donor",
          "inventory": ROOT / "services" / "inventory", "waiver": ROOT / "services" / "waiver",
          "gateway": ROOT / "gateway"}


def _top(path: Path) -> Path:
    return next(root for root in _ROOTS.values() if root in path.parents)


def _source_files():
    for root in _ROOTS.values():
        for p in root.rglob("*.py"):
            if "migrations" not in p.relative_to(root).parts and "__pycache__" not in p.parts:
                yield p


def _module_name(path: Path) -> str:
    root = _top(path)
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _data_files():
    """Migrations and the console's static files: what Alembic and the gateway read at run time."""
    for name, root in _ROOTS.items():
        for sub in ("migrations", "static", "data"):
            for p in (root / sub).rglob("*") if (root / sub).is_dir() else ():
                if p.is_file() and "__pycache__" not in p.parts:
                    yield name, p


def test_every_procfile_job_is_a_job_its_installed_package_declares(installed):
    """`python -m <svc>.jobs <name>` starts only if the wheel's JOBS name it (argparse refuses anything else)."""
    named = sorted({m.groups() for line in (ROOT / "Procfile").read_text().splitlines()
                    if (m := re.search(r"python -m (\w+)\.jobs (\w+)", line))})
    assert ("inventory", "snapshot") in named and ("inventory", "expiry") in named
    report = run_in(installed, f"""
import importlib, json
missing = [[svc, job] for svc, job in {named!r}
           if job not in {{j.name for j in importlib.import_module(svc + ".jobs").JOBS}}]
print(json.dumps({{"missing": missing, "snapshot_from": importlib.import_module("inventory.jobs").__file__}}))
""")
    assert report["missing"] == []
    assert "site-packages" in report["snapshot_from"]
