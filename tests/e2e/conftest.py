"""Start the real local stack (`python -m infra.local`) as a subprocess and wait for its "ready" line."""

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


@pytest.fixture(scope="module")
def stack():
    """One running stack for the module, on a port it picked itself (PORT=0)."""
    process = StackProcess(0).start()
    yield process
    process.stop()
    process.close()
