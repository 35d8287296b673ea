"""What the deploy tests of compose and Kubernetes share: the Procfile's processes, what a deployed command runs,
and whether a process's own production refusals would let it start with the environment it is given."""
from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from replicas import SINGLE, parse_procfile  # noqa: E402  (one reading of the Procfile: the replicated run's)
OUR_PACKAGES = ("donor", "inventory", "waiver", "gateway")
_RUNS = re.compile(r"-m ([\w.]+(?: \w+)?)|'?([\w.]+):create_app\(\)'?")


def strong_secret(name: str) -> str:
    """A value no refusal objects to, for a secret the platform provides (at least 32 bytes, no placeholder)."""
    if name.endswith("_URL"):
        return "https://sms.example.cn/v1/send"
    return f"{name.lower()}-0123456789abcdef0123456789abcdef"


def procfile() -> dict[str, str]:
    """Procfile process → the module or app it runs (`donor.consumer`, `inventory.jobs expiry`, `donor.app`)."""
    out = {}
    for name, command in parse_procfile().items():
        if name in SINGLE:
            continue                            # the local broker; production runs Kafka
        run = _RUNS.search(command)
        out[name.replace("_", "-")] = run.group(1) or run.group(2)
    return out


def runs(command: list[str] | None) -> str:
    """What a deployed command runs, in the Procfile's terms ("" for anything else)."""
    run = _RUNS.search(" ".join(command or []))
    return (run.group(1) or run.group(2)) if run else ""


def production_problems(module: str, environ: dict[str, str]) -> list[str]:
    """The refusals of the process running `module` (its package's Config) for this environment."""
    package = module.split(".")[0]
    config = importlib.import_module(f"{package}.config").Config.from_env(environ)
    problems = list(config.production_problems())
    if config.environment != "production":
        problems.append(f"ENVIRONMENT is {config.environment!r}, not production")
    return problems
