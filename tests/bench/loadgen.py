"""Load generators: wrk (compiled, from the system packages) with a multi-process Python fallback."""
from __future__ import annotations

import http.client
import multiprocessing as mp
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit


def row(label: str, r: dict) -> str:
    """One printed figure; failed requests are counted and, when they are many, the figure is flagged."""
    text = f"  {label:<44} {r['rps']:>8.0f} req/s   p50 {r['p50_ms']:>6.1f} ms   p99 {r['p99_ms']:>6.1f} ms"
    if r.get("non_2xx"):
        share = r["non_2xx"] / max(1, r.get("requests") or r["non_2xx"])
        text += f"   non-2xx {r['non_2xx']} ({share:.0%})" + ("  <- NOT A VALID FIGURE" if share > 0.05 else "")
    return text


def ensure_wrk() -> str | None:
    """wrk from Debian's packages; installed on demand when we are root, else None (fallback)."""
    path = shutil.which("wrk")
    if path:
        return path
    try:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True, timeout=120)
    except Exception:
        return None
    return shutil.which("wrk")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * _UNITS[unit]


def wrk(url: str, *, connections: int, seconds: int, headers: dict | None = None, lua: str | None = None,
        threads: int = 1) -> dict:
    """Run wrk; returns rps, p50/p99 in ms and non-2xx count."""
    args = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for k, v in (headers or {}).items():
        args += ["-H", f"{k}: {v}"]
    script_file = None
    if lua:
        script_file = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script_file.write(lua)
        script_file.close()
        args += ["-s", script_file.name]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    if script_file:
        Path(script_file.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "requests": total, "socket_errors": errors.group(0) if errors else ""}


def _worker(url, headers, stop_at, queue):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    path = parts.path + ("?" + parts.query if parts.query else "")
    latencies, bad = [], 0
    while time.monotonic() < stop_at:
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        bad += resp.status >= 400
    queue.put((latencies, bad))


def python_load(url: str, *, connections: int, seconds: int, headers: dict | None = None) -> dict:
    """Fallback when wrk is unavailable: one process per connection (GET only)."""
    queue = mp.Queue()
    stop_at = time.monotonic() + seconds
    procs = [mp.Process(target=_worker, args=(url, headers or {}, stop_at, queue)) for _ in range(connections)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    lat = sorted(x for r in results for x in r[0])
    return {"rps": len(lat) / seconds, "p50_ms": lat[len(lat) // 2], "p99_ms": lat[int(len(lat) * 0.99)],
            "non_2xx": sum(r[1] for r in results), "requests": len(lat), "socket_errors": ""}


def load(url: str, **kwargs) -> dict:
    if ensure_wrk():
        return wrk(url, **kwargs)
    kwargs.pop("lua", None)
    return python_load(url, **kwargs)


def percentiles(values: list[float]) -> dict:
    values = sorted(values)
    q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
    return {"p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "n": len(values)}
