"""`make down`: stop a `make up` started in the background."""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from localenv import local_env  # noqa: E402


def main() -> None:
    pid_file = Path(local_env()["HEMOLINK_VAR"]) / "honcho.pid"
    if not pid_file.exists():
        print("nothing running (no var/honcho.pid)")
        return
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        print("not running")
        pid_file.unlink()
        return
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    print("stopped")


if __name__ == "__main__":
    main()
