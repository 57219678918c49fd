"""Timeline photo processing: a 12-megapixel phone photo through `images.process()` (three metadata-free
JPEG derivatives) against a plain Pillow open + save of the same file.

Peak memory is tracemalloc's, in a run of its own: it sees Python allocations (the upload, the encoded
derivatives) but not Pillow's pixel buffers, which Pillow allocates in C. So the peak resident set of a
fresh process is printed as well.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

RUNS = 5
REPO = Path(__file__).resolve().parents[1]


def _photo() -> bytes:
    """4000x3000, gradients plus noise (compresses like a photo), quality 90, with a phone's EXIF and GPS."""
    from PIL import Image

    size = (4000, 3000)
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.effect_noise(size, 48)
    im = Image.merge("RGB", (red, green, Image.blend(blue, red.transpose(Image.Transpose.ROTATE_180), 0.5)))
    im = Image.blend(im, Image.effect_noise(size, 24).convert("RGB"), 0.25)
    exif = Image.Exif()
    exif.update({0x010F: "Apple", 0x0110: "iPhone 15", 0x0132: "2026:11:24 09:15:00"})
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 5.0, 30.5), 3: "E", 4: (4.0, 53.0, 12.25)})
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def _plain(data: bytes) -> None:
    from PIL import Image

    Image.open(io.BytesIO(data)).save(io.BytesIO(), "JPEG")


def _median_ms(fn: Callable[[], Any]) -> float:
    fn()  # warm: imports, plugin registration
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _traced_peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's peak (kept over fork and exec).
_RSS = """
import io, re, sys
sys.path[:0] = [{timeline!r}]
def peak():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
data = open({path!r}, "rb").read()
import timeline_service.uploads.images as images
from PIL import Image
before = peak()
if {process!r}:
    images.process(data)
else:
    Image.open(io.BytesIO(data)).save(io.BytesIO(), "JPEG")
print((peak() - before) / 1024)
"""


def _rss_growth_mb(path: str, process: bool) -> float:
    """How much a fresh process's peak resident set grows over one call (Linux: /proc/self/status)."""
    code = _RSS.format(timeline=str(REPO / "services" / "timeline"), path=path, process=process)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return float(done.stdout.strip())


def main() -> None:
    from infra.local.services import load
    from portal_common.testing import env

    if "PORTAL_STAGE" not in os.environ:  # alone; after the other benches the environment is set already
        env.configure()
    images = load()["timeline"].lib.uploads.images

    print("== timeline images ==")
    data = _photo()
    done = images.process(data)
    sizes = ", ".join(f"{d.name} {d.width}x{d.height} {len(d.data) // 1024} KiB" for d in done.derivatives.values())
    print(f"  input                         4000x3000 JPEG q90 with EXIF/GPS, {len(data) // 1024} KiB")
    print(f"  output                        {sizes}")
    ours, plain = _median_ms(lambda: images.process(data)), _median_ms(lambda: _plain(data))
    print(f"  process()                     p50 {ours:7.1f} ms over {RUNS} runs")
    print(f"  plain Pillow open + save      p50 {plain:7.1f} ms over {RUNS} runs")
    print(f"  ratio                         {ours / plain:7.2f}x")
    print(f"  process() traced peak         {_traced_peak_mb(lambda: images.process(data)):7.1f} MB (tracemalloc)")
    print(f"  plain Pillow traced peak      {_traced_peak_mb(lambda: _plain(data)):7.1f} MB (tracemalloc)")
    with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as file:
        file.write(data)
    try:
        print(f"  process() peak RSS growth     {_rss_growth_mb(file.name, True):7.1f} MB (fresh process)")
        print(f"  plain Pillow peak RSS growth  {_rss_growth_mb(file.name, False):7.1f} MB (fresh process)")
    finally:
        os.unlink(file.name)
