"""`make up`: prepare var/, migrate, load demo data, queue the outbox for replay, run everything (honcho).

Ctrl-C stops every process. `make down` stops a run started in the background (pid in var/honcho.pid).
`HEMOLINK_REPLICAS=N make up` (N > 1) runs the production topology instead: N of every process on PostgreSQL and
Redis behind nginx (scripts/replicas.py).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from localenv import ROOT, SERVICES, database_url, local_env  # noqa: E402


def prepare(env: dict[str, str], *, demo: bool) -> None:
    from servicekit.db import make_engine, make_session_factory
    from servicekit.migrations import upgrade
    from servicekit.outbox import replay

    Path(env["HEMOLINK_VAR"]).mkdir(parents=True, exist_ok=True)
    for name in (*SERVICES, "gateway"):
        upgrade(name, database_url(env, name))
    if demo:
        for svc in (*SERVICES, "gateway"):
            try:
                demo_module = importlib.import_module(f"{svc}.demo")
            except ModuleNotFoundError:
                continue
            config = importlib.import_module(f"{svc}.config").Config.from_env(
                env, database_url=database_url(env, svc))
            summary = demo_module.load(config)
            print(f"demo data {svc}: {summary}", flush=True)
    # The local broker starts empty every time: send every stored event of the kept window again (older ones
    # may have lost their inbox claims, servicekit.retention). Consumers dedupe by id.
    for svc in SERVICES:
        engine = make_engine(database_url(env, svc))
        retention = importlib.import_module(f"{svc}.config").Config.from_env(env).event_retention_days
        count = replay(make_session_factory(engine), retention_days=retention)
        engine.dispose()
        print(f"{svc}: {count} outbox events queued for replay", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-demo", action="store_true", help="skip loading demo data")
    args = parser.parse_args()
    env = local_env()
    replicas = int(env.get("HEMOLINK_REPLICAS") or 1)
    procfile = ROOT / "Procfile"
    if replicas > 1:
        import replicas as topology
        from servicekit.broker import free_port

        topology.ensure_programs()
        env.update(topology.postgres_urls(env))
        Path(env["HEMOLINK_VAR"]).mkdir(parents=True, exist_ok=True)
        procfile = topology.write(env, replicas, free_port)
        print(f"{replicas} replicas of every process, PostgreSQL, Redis on :{env['REDIS_PORT']}, nginx", flush=True)
    os.environ.update(env)
    prepare(env, demo=not args.no_demo)
    (Path(env["HEMOLINK_VAR"]) / "honcho.pid").write_text(str(os.getpid()))
    print(f"starting; gateway on http://127.0.0.1:{env['GATEWAY_PORT']}", flush=True)
    os.chdir(ROOT)
    # exec: honcho takes over this pid, so Ctrl-C and `make down` reach it directly.
    os.execvpe("honcho", ["honcho", "-f", str(procfile), "-d", str(ROOT), "start"], env)


if __name__ == "__main__":
    main()
