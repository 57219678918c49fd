"""A feed page's cost with 100 and with 100,000 items of history (photos, and a diary report with photos
per day): DynamoDB calls (flat) and time.

In-process over moto. moto sorts a whole partition on every Query, so its time grows with the history
where DynamoDB's does not; the call count is what carries over, and it must not grow.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

from portal_common.testing.calls import count_calls, total

TENANT = "bench-feed"


def _seed(lib, child_id: str, photos: int) -> None:
    from portal_common import store

    s = lib.store
    pk = store.key(TENANT, "CHILD", child_id)
    s.ConsentCopyItem(pk, "CONSENT", child_id=child_id, photos=True, diary=True, outings=True,
                      as_of="2020-01-01T00:00:00+00:00").save()
    s.PlacementCopyItem(pk, "PLACEMENT#2020-01-01", child_id=child_id, group_id=f"grp-{child_id}",
                        location_id="loc", start="2020-01-01", as_of="2020-01-01T00:00:00+00:00").save()
    first = date(2026, 11, 24) - timedelta(days=photos // 20)
    with lib.feed.store.FeedEntryItem.batch_write() as batch:
        for n in range(photos):
            day = (first + timedelta(days=n // 20)).isoformat()
            if n % 20 == 19:  # the day's report, with two of the day's photos (one shows a classmate)
                batch.save(lib.feed.store.FeedEntryItem(
                    store.key(TENANT, "CHILDFEED", child_id), f"{day}#diary#staff", kind="diary",
                    item_id=f"{child_id}.{day}.staff", date=day, child_ids=[child_id], group_id=f"grp-{child_id}",
                    published_at=f"{day}T16:30:00+01:00", diary_kind="report", text="Een fijne dag. " * 20,
                    photos=[{"id": f"pho-{n - 1:08d}", "child_ids": [child_id], "published_at": f"{day}T12:00"},
                            {"id": f"pho-{n - 2:08d}", "child_ids": [child_id, "child-classmate"],
                             "published_at": f"{day}T12:00"}]))
                continue
            tagged = n % 4 != 0
            batch.save(lib.feed.store.FeedEntryItem(
                store.key(TENANT, "CHILDFEED", child_id) if tagged else store.key(TENANT, "GROUPFEED",
                                                                                  f"grp-{child_id}"),
                f"{day}#pho-{n:08d}", kind="photo", item_id=f"pho-{n:08d}", date=day,
                child_ids=[child_id] if tagged else [], group_id=f"grp-{child_id}",
                published_at=f"{day}T12:00:00+01:00"))


def main() -> None:
    from bench.inprocess import demo_system
    from infra.local.services import load

    print("== timeline feed (in-process over moto) ==")
    lib = load()["timeline"].lib
    with demo_system():
        for photos in (100, 100_000):
            child_id = f"child-{photos}"
            started = time.perf_counter()
            _seed(lib, child_id, photos)
            seeded = time.perf_counter() - started
            with count_calls() as calls:
                page = lib.feed.service.page(TENANT, [child_id], None, 20)
            times = []
            for _ in range(5):
                started = time.perf_counter()
                lib.feed.service.page(TENANT, [child_id], page.next_position, 20)
                times.append(time.perf_counter() - started)
            print(f"  feed page, {photos:>7,} items    DynamoDB calls {total(calls, 'dynamodb'):2d} "
                  f"{dict(calls)}  p50 {statistics.median(times) * 1000:7.1f} ms  ({len(page.entries)} items; "
                  f"seeded in {seeded:.0f} s)")
