"""One real local stack (`python -m infra.local`, a subprocess) for the whole end-to-end session.

Starting it and seeding its demo (invoices, photos, messages, through the queues) takes a minute, so it is
started once: every test that asks for `stack` shares it, runs on one pytest-xdist worker (the
`xdist_group` added below, with `--dist loadgroup`) and works on data of its own (tests/e2e/helpers.py).
Tests that move the dev clock far ahead (`moves_clock_far(n)`) run last, in the order of their `n`.
Tests of starting and stopping a stack start their own (`StackProcess`).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
READY = re.compile(r"ready in (\d+\.\d+) s")
WEB_URL = re.compile(r"^\s+web\s+(http://127\.0\.0\.1:\d+)/\s*$", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a new server could listen on the port (as servers do, with SO_REUSEADDR)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class StackProcess:
    def __init__(self, port: int) -> None:
        self.port = port
        self._dir = tempfile.TemporaryDirectory(prefix="local-stack-")
        self.out_path = Path(self._dir.name) / "stdout"
        self.err_path = Path(self._dir.name) / "stderr"
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.ready_seconds = 0.0

    def output(self) -> str:
        return self.out_path.read_text(errors="replace") if self.out_path.exists() else ""

    def wait_for_demo(self, seconds: float = 300.0) -> None:
        """The demo's photos, reports and messages are seeded in the background after start-up (through the
        queues): its last line is "demo messaging: ...". Tests that build on the demo wait for it."""
        deadline = time.monotonic() + seconds
        while "demo messaging" not in self.output():
            assert time.monotonic() < deadline, self.output()[-3000:]
            time.sleep(0.2)

    def errors(self) -> str:
        return self.err_path.read_text(errors="replace")[-4000:] if self.err_path.exists() else ""

    def start(self, timeout: float = 180.0) -> StackProcess:
        env = {**os.environ, "PORT": str(self.port), "PYTHONUNBUFFERED": "1", "PORTAL_LOG_LEVEL": "WARNING"}
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "infra.local"], cwd=REPO, env=env,
                                         stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.output()
            ready = READY.search(text)
            if ready:
                self.ready_seconds = float(ready.group(1))
                self.base_url = WEB_URL.search(text).group(1)  # type: ignore[union-attr]
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"stack not ready:\n{self.output()}\n{self.errors()}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 5.0) -> tuple[int | None, float]:
        """Send `sig`; returns (exit code or None when it did not exit in time, seconds it took)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code: int | None = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
            self.kill()
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def close(self) -> None:
        self.kill()
        self._dir.cleanup()


STACK_GROUP = "local-stack"


@pytest.fixture(scope="session")
def stack():
    """The one running stack of the session, on a port it picked itself (PORT=0), its demo seeded."""
    process = StackProcess(0).start()
    try:
        process.wait_for_demo()
        yield process
    finally:
        process.stop(timeout=60)
        process.close()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """The stack's tests on one worker (one stack), the ones that move its clock far ahead last."""
    shared = [item for item in items if "stack" in getattr(item, "fixturenames", ())]
    for item in shared:
        item.add_marker(pytest.mark.xdist_group(STACK_GROUP))
        if getattr(config.option, "loadgroup", False) and "@" not in item.nodeid:
            # What pytest-xdist 3.8 means to do for `--dist loadgroup` (a group suffix on the node id, which
            # its scheduler sends to one worker) no longer reaches pytest 9's node ids: do it here.
            from _pytest.nodeid import coerce_node_id

            item._id = coerce_node_id(f"{item.nodeid}@{STACK_GROUP}")
    last = sorted((item for item in shared if item.get_closest_marker("moves_clock_far")),
                  key=lambda item: item.get_closest_marker("moves_clock_far").args[0])  # weeks ahead, then years
    if last:
        items[:] = [item for item in items if item not in last] + last
