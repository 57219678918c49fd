"""`python -m infra.local`: run the local stack on `PORT` (default 8000) until SIGINT or SIGTERM."""

from __future__ import annotations

import time

_IMPORTED_AT = time.time()

import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402


def process_started_at() -> float:
    """Wall-clock time this process started (Linux /proc), else when this module was imported."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat(5); the first two fields were split off
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        started = boot + start_ticks / os.sysconf("SC_CLK_TCK")
        return started if started <= _IMPORTED_AT else _IMPORTED_AT
    except (OSError, ValueError, IndexError, StopIteration):
        return _IMPORTED_AT


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    own = logging.getLogger("infra.local")
    own.handlers[:] = [handler]
    own.setLevel(logging.INFO)
    own.propagate = False


def main() -> int:
    started = process_started_at()
    _configure_logging()
    from infra.local.stack import DEMO_LOGINS, LocalStack, StackError

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        port = int(os.environ.get("PORT", "8000"))
    except ValueError:
        print(f"PORT must be a number, got {os.environ.get('PORT')!r}", file=sys.stderr)
        return 2
    stack = LocalStack(port=port)
    try:
        stack.start()
    except StackError as exc:
        print(f"local stack did not start: {exc}", file=sys.stderr)
        return 1
    elapsed = time.time() - started
    width = max(len(k) for k in stack.urls)
    lines = ["ouderportaal local stack"]
    lines += [f"  {name.ljust(width)}  {url}" for name, url in stack.urls.items()]
    lines.append(f"demo logins: {DEMO_LOGINS}")
    lines += [f"  {line}" for line in stack.demo_lines]
    lines.append(f"ready in {elapsed:.2f} s (Ctrl-C stops)")
    print("\n".join(lines), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        print("stopping…", flush=True)
        t0 = time.monotonic()
        stack.stop()
        print(f"stopped in {time.monotonic() - t0:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    # Everything is stopped and printed. Tearing down the interpreter's modules and objects (moto's whole
    # in-memory AWS, every service) would take seconds more for nothing: leave at once, output flushed.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
