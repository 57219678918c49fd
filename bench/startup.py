"""Cold start and startup figures of the foundation.

- cold import of each service's `app` module against a bare `import boto3`, both in fresh
  interpreters of the same run (median of several);
- seconds from starting the local stack (dependencies installed) to all five `/health` answering;
- duration of the test suite (`make test`'s command), unless skipped.
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


def stack_startup() -> float:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    proc = subprocess.Popen([PY, "-m", "infra.local"], cwd=REPO, env={**os.environ, "PORT": str(port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < 60:
            if _healthy(base):
                return time.perf_counter() - start
            if proc.poll() is not None:
                raise RuntimeError("the local stack exited during startup")
            time.sleep(0.05)
        raise RuntimeError("the local stack was not healthy within 60 s")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_suite() -> float:
    start = time.perf_counter()
    subprocess.run([PY, "-m", "pytest", "-n", "2", "-q"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(skip_tests: bool = False) -> None:
    print(f"== cold import (median of {RUNS} fresh interpreters) ==")
    for name, seconds, ratio in cold_imports():
        print(f"  {name:28s} {seconds * 1000:7.1f} ms   {ratio:4.2f}x boto3 (target <= 1.5x)")
    print("== local stack ==")
    print(f"  start to five /health 200     {stack_startup():6.2f} s (target < 10 s)")
    if not skip_tests:
        print("== test suite ==")
        print(f"  pytest -n 2 (make test)       {test_suite():6.1f} s")
