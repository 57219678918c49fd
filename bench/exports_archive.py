"""The diary archive: 100 and 2,000 photos of about 1 MB into one ZIP, against `zip -0` of the same files.

Each size runs in a fresh child process against a moto *server* in another process, so the child's peak
memory is the archive builder's own (in-process moto would hold every stored byte in the measured
process). The photos are 1 MB of random bytes (incompressible, like JPEG); every step of the real worker
runs (`archive.start`, then `run_step` until done), reading each photo from S3 and writing the ZIP as a
multipart upload. `zip -0` stores the same files from a local disk: a bound no S3 round trip can beat,
so the ratio is conservative; the builder's own CPU time is printed beside it, because against moto's
single Python server most of the wall time is the stand-in's (about 250 MB/s GET and 140 MB/s PUT on
this machine, measured separately). Prints figures, asserts nothing about time.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta

PHOTO_BYTES = 1024 * 1024
SIZES = (100, 2000)
TENANT = "bench-archive"
CHILD = "child-bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _one(photos: int, endpoint: str) -> dict[str, float]:
    """In the child: seed, build the archive step by step, report time and memory."""
    from portal_common.testing import env

    env.configure()
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    from infra.local.services import load
    from portal_common import aws, events, resources, settings, store
    from portal_common.contracts.exports import DiaryExportRequested

    settings.reset_settings()
    store.reset_connections()
    aws.reset_clients()
    timeline, exports = load()["timeline"], load()["exports"]
    import boto3

    clients = {n: boto3.client(n, region_name="eu-west-1", endpoint_url=endpoint)
               for n in ("dynamodb", "sns", "sqs", "s3", "ses")}
    resources.create_all([resources.describe(s.app) for s in (timeline, exports)], clients)
    events.set_bus(events.RecordingBus())  # the steps are driven below, not through queues
    lib, s3 = timeline.lib, aws.client("s3")
    pk = store.key(TENANT, "CHILD", CHILD)
    lib.store.ConsentCopyItem(pk, "CONSENT", child_id=CHILD, photos=True, diary=True, outings=True,
                              as_of="2020-01-01T00:00:00+00:00").save()
    lib.store.ChildCopyItem(pk, "CHILD", child_id=CHILD, name="Bench Kind", as_of="2020").save()
    first = date(2026, 11, 24) - timedelta(days=photos // 10)
    blob = os.urandom(PHOTO_BYTES)
    with lib.feed.store.FeedEntryItem.batch_write() as batch:
        for n in range(photos):
            day = (first + timedelta(days=n // 10)).isoformat()
            photo_id = f"pho-{n:026d}"
            files = lib.photos.files
            s3.put_object(Bucket=files.photos_bucket(), Key=files.photo_key(TENANT, photo_id, "full"),
                          Body=blob[n % 997:] + blob[:n % 997])  # distinct bytes, same size
            batch.save(lib.feed.store.FeedEntryItem(store.key(TENANT, "CHILDFEED", CHILD), f"{day}#{photo_id}",
                                               kind="photo", item_id=photo_id, date=day, child_ids=[CHILD],
                                               group_id="grp-bench", published_at=f"{day}T10:00:00+01:00"))
    jobs = exports.lib.jobs
    payload = DiaryExportRequested(
        export_id="exp-bench", child_id=CHILD, start=first.isoformat(), end="2026-11-24", requested_by="u",
        language="nl", bucket=jobs.bucket(), key="diary/bench/archive.zip", file_name="archive.zip")
    envelope = events.make_event(payload, tenant=TENANT, source="exports")
    before = _max_rss_mb()
    cpu_before = time.process_time()
    started = time.perf_counter()
    lib.archive.steps.start(timeline.module.outbox, envelope, payload)
    while True:
        job = lib.archive.store.job_state(TENANT, "exp-bench")
        if job.status == "done":
            break
        lib.archive.steps.run_step(timeline.module.outbox, TENANT, "exp-bench", int(job.step))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    size = s3.head_object(Bucket=jobs.bucket(), Key="diary/bench/archive.zip")["ContentLength"]
    return {"photos": photos, "seconds": seconds, "bytes": size, "rss_before_mb": before, "rss_peak_mb": _max_rss_mb(),
            "steps": int(job.step), "cpu_seconds": cpu}


def _zip_store(photos: int) -> float | None:
    if shutil.which("zip") is None:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-zip-") as folder:
        blob = os.urandom(PHOTO_BYTES)
        for n in range(photos):
            with open(os.path.join(folder, f"{n:05d}.jpg"), "wb") as f:
                f.write(blob[n % 997:] + blob[:n % 997])
        started = time.perf_counter()
        subprocess.run(["zip", "-0", "-q", "-r", os.path.join(folder, "out.zip"), "."], cwd=folder, check=True)
        return time.perf_counter() - started


def main() -> None:
    print("== diary archive (a child process per size, moto server in another) ==")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        peaks = []
        for photos in SIZES:
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30)
            out = subprocess.run([sys.executable, "-m", "bench.exports_archive", "--one", str(photos), endpoint],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print(f"  {photos:>5,} photos  FAILED: {out.stderr.strip().splitlines()[-1:]}")
                return
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            zipped = _zip_store(photos)
            mb = figures["bytes"] / 1e6
            rate = mb / figures["seconds"]
            ratio = f"{(zipped / figures['seconds']):.2f}x of zip -0 ({mb / zipped:6.0f} MB/s)" if zipped else "no zip"
            growth = figures["rss_peak_mb"] - figures["rss_before_mb"]
            peaks.append(figures["rss_peak_mb"])
            cpu = figures["cpu_seconds"]
            own = f"{zipped / cpu:.2f}x of zip -0" if zipped else "no zip"
            print(f"  {photos:>5,} photos  {mb:8.1f} MB in {figures['seconds']:6.1f} s  {rate:6.1f} MB/s  "
                  f"throughput {ratio}  peak RSS {figures['rss_peak_mb']:6.1f} MB (+{growth:5.1f} MB while "
                  f"building, {figures['steps']} step(s))")
            print(f"  {'':>5}         the builder's own CPU: {cpu:6.1f} s ({mb / cpu:6.1f} MB/s, {own}); the rest is "
                  "waiting on the S3 stand-in")
        print(f"  peak memory, 2,000 against 100 photos: {peaks[1] - peaks[0]:+.1f} MB (target: within 50 MB)")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--one":
        print(json.dumps(_one(int(sys.argv[2]), sys.argv[3])))
    else:
        main()
