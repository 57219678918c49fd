"""Cold start and startup figures of the foundation.

- cold import of each service's `app` module against a bare `import boto3`, both in fresh
  interpreters of the same run (median of several);
- seconds from starting the local stack (dependencies installed) to all five `/health` answering, and from
  SIGINT to its exit while the demo is still being seeded in the background;
- duration of the test suite (`make test`'s command) and its 20 slowest tests, unless skipped.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from portal_common.settings import SERVICES

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
RUNS = 7

_TIMED_IMPORT = (
    "import time, sys; t = time.perf_counter(); import {module}; "
    "sys.stdout.write(str(time.perf_counter() - t))"
)


def _timed_import(module: str, cwd: Path, env: dict[str, str]) -> float:
    out = subprocess.run([PY, "-c", _TIMED_IMPORT.format(module=module)], cwd=cwd, env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout)


def cold_imports() -> list[tuple[str, float, float]]:
    env = {**os.environ, "PORTAL_STAGE": "local", "AWS_DEFAULT_REGION": "eu-west-1", "PYTHONDONTWRITEBYTECODE": "0"}
    env.pop("AWS_ENDPOINT_URL", None)
    # warm the bytecode caches once, so every figure is a cold *process*, not a first compile
    _timed_import("boto3", REPO, env)
    for svc in SERVICES:
        _timed_import("app", REPO / "services" / svc, env)
    rows = []
    boto = statistics.median(_timed_import("boto3", REPO, env) for _ in range(RUNS))
    rows.append(("import boto3 (reference)", boto, 1.0))
    for svc in SERVICES:
        t = statistics.median(_timed_import("app", REPO / "services" / svc, env) for _ in range(RUNS))
        rows.append((f"{svc} app", t, t / boto))
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(base: str) -> bool:
    for svc in SERVICES:
        try:
            with urllib.request.urlopen(f"{base}/{svc}/health", timeout=1) as r:
                if r.status != 200:
                    return False
        except OSError:
            return False
    return True


def stack_startup() -> tuple[float, float]:
    """(seconds to five healthy services, seconds from SIGINT to exit in the middle of the demo's seeding)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    proc = subprocess.Popen([PY, "-m", "infra.local"], cwd=REPO, env={**os.environ, "PORT": str(port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < 120:
            if _healthy(base):
                break
            if proc.poll() is not None:
                raise RuntimeError("the local stack exited during startup")
            time.sleep(0.05)
        else:
            raise RuntimeError("the local stack was not healthy within 120 s")
        ready = time.perf_counter() - start
        time.sleep(1)  # the invoices, photos and messages are being seeded in the background now
        stopping = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        return ready, time.perf_counter() - stopping
    finally:
        if proc.poll() is None:
            proc.kill()


def test_suite() -> tuple[float, list[str]]:
    """`make test`'s pytest run: its wall time and its 20 slowest tests (pytest's own --durations lines)."""
    start = time.perf_counter()
    done = subprocess.run([PY, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q", "--durations=20"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    lines = done.stdout.splitlines()
    first = next((n for n, line in enumerate(lines) if "slowest 20 durations" in line), len(lines))
    slowest = [line for line in lines[first + 1:first + 21] if line.strip()]
    summary = next((line for line in reversed(lines) if " passed" in line or " failed" in line), "")
    return seconds, [summary.strip("= "), *slowest]


def main(skip_tests: bool = False) -> None:
    print(f"== cold import (median of {RUNS} fresh interpreters) ==")
    for name, seconds, ratio in cold_imports():
        print(f"  {name:28s} {seconds * 1000:7.1f} ms   {ratio:4.2f}x boto3 (target <= 1.5x)")
    print("== local stack ==")
    ready, stop = stack_startup()
    print(f"  start to five /health 200     {ready:6.2f} s (target < 10 s)")
    print(f"  SIGINT to exit while seeding  {stop:6.2f} s (target < 1 s)")
    if not skip_tests:
        print("== test suite ==")
        seconds, lines = test_suite()
        print(f"  pytest -n 2 (make test)       {seconds:6.1f} s   {lines[0]}")
        for line in lines[1:]:
            print(f"    {line}")
