"""Purge time for a child with 2,000 items: 1,000 photos (a photo row, its feed entry and three S3
derivatives each) and 1,000 messages in its conversation, then the whole retention flow (auth's job,
every service's purge and verification round, the exports service's tracking and audit).

In-process over moto, events delivered at once (as the tests do): the time is the services' own work,
one after the other, not the queues' latency. Prints time, calls per AWS service and what was deleted;
asserts only that the purge finished.
"""

from __future__ import annotations

import time
from datetime import datetime

from portal_common.testing.calls import count_calls, total

PHOTOS = 1000
MESSAGES = 1000
CHILD, GROUP = "child-liam", "grp-bijen"


def _seed_photos(lib) -> None:
    """Rows and objects as `uploads/processing.py` publishes them (the image pipeline is timeline_images' bench)."""
    from portal_common import aws, store

    s, s3 = lib.photos.store, aws.client("s3")
    bucket = lib.photos.files.photos_bucket()
    with s.PhotoItem.batch_write() as batch:
        for n in range(PHOTOS):
            photo_id = f"pho-bench{n:08d}"
            day = f"2026-{1 + n % 10:02d}-{1 + n % 28:02d}"
            keys = {d: lib.photos.files.photo_key("demo", photo_id, d) for d in ("thumb", "medium", "full")}
            for key in keys.values():
                s3.put_object(Bucket=bucket, Key=key, Body=b"\xff\xd8" + b"x" * 1024)
            batch.save(s.PhotoItem(store.key("demo", "PHOTO", photo_id), "PHOTO", photo_id=photo_id,
                                   upload_id=f"upl-{n}", group_id=GROUP, location_id="loc-zonnebloem", date=day,
                                   child_ids=[CHILD], keys=keys, width=1200, height=800, uploaded_by="user-staff3",
                                   published_at=f"{day}T12:00:00+01:00"))
            batch.save(lib.feed.store.FeedEntryItem(store.key("demo", "CHILDFEED", CHILD), f"{day}#{photo_id}",
                                                    kind="photo", item_id=photo_id, date=day, child_ids=[CHILD],
                                                    group_id=GROUP, published_at=f"{day}T12:00:00+01:00"))


def _seed_messages(client, login) -> None:
    emma = login("parent3@demo.ouderportaal.nl")
    started = client.post("/messaging/conversations", headers=emma,
                          json={"child_id": CHILD, "text": "Bericht 0"})
    assert started.status_code == 201, started.json
    for n in range(1, MESSAGES):
        sent = client.post(f"/messaging/conversations/{started.json['id']}/messages", headers=emma,
                           json={"text": f"Bericht {n}"})
        assert sent.status_code == 201, sent.json


def main() -> None:
    from bench.inprocess import demo_system
    from infra.local.services import load
    from portal_common import clock, events

    print("== retention purge (in-process over moto, events delivered at once) ==")
    with demo_system(deliver_events=True) as client:
        from bench.messaging_inbox import _login
        from infra.local.schedules import scheduled_event

        def login(email: str) -> dict[str, str]:
            return _login(client, email.split("@")[0])

        timeline, auth = load()["timeline"], load()["auth"]
        started = time.perf_counter()
        _seed_photos(timeline.lib)
        _seed_messages(client, login)
        seeded = time.perf_counter() - started
        admin = login("admin@demo.ouderportaal.nl")
        ended = client.put(f"/auth/admin/children/{CHILD}/placements/2025-09-01", headers=admin,
                           json={"end": "2026-11-27"})
        assert ended.status_code == 200, ended.json
        previous = clock.set_clock(clock.ManualClock(datetime.fromisoformat("2027-01-23T00:30:00+01:00")))
        try:
            with count_calls() as calls:
                started = time.perf_counter()
                closed = auth.module.close_access_windows(
                    scheduled_event("bench", clock.now(), region="eu-west-1", account="123456789012"), None)
                took = time.perf_counter() - started
        finally:
            clock.set_clock(previous)
        published = events.get_bus().published  # type: ignore[attr-defined]
        purged = [e for e in published if e.type.endswith(".child.purged")]
        audit = client.get("/exports/purges", headers=admin).json["items"]
        assert closed == 1 and len(audit) == 1, (closed, audit)
        deleted = {s: sum(v.values()) for s, v in
                   ((s, audit[0]["services"][s]["deleted"]) for s in sorted(audit[0]["services"]))}
        print(f"  child with {PHOTOS:,} photos ({PHOTOS * 3:,} S3 objects) and {MESSAGES:,} messages "
              f"(seeded in {seeded:.0f} s)")
        print(f"  purge, verification round and audit: {took:.1f} s; {len(purged)} confirmations, "
              f"{audit[0]['rounds']} rounds")
        print(f"  calls: DynamoDB {total(calls, 'dynamodb'):,}, S3 {total(calls, 's3'):,}, "
              f"SNS {total(calls, 'sns'):,}; Scans {calls.get('dynamodb.Scan', 0)}")
        print(f"  deleted per service (items and objects, both rounds): {deleted}")


if __name__ == "__main__":
    main()
