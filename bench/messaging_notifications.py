"""The fan-out of one newsletter to 500 families (two parents each, one phone each): recording the event
(who, folding, markers) and delivering it (push and e-mail), with AWS calls by kind and time.

In-process over moto, the copies seeded directly. moto's time is not DynamoDB's, SES's or SNS's (and
real SES sends at a quota per second); the call counts are what carry over.
"""

from __future__ import annotations

import time
from collections import Counter

from portal_common.testing.calls import count_calls, total

TENANT = "bench-news"
LOCATION = "loc-bench"
FAMILIES = 500
MOMENT = "2026-11-01T00:00:00+00:00"


def _seed(lib, sns) -> None:
    from portal_common import store

    s, ns = lib.store, lib.notifications.store
    app_arn = sns.create_platform_application(Name="bench-fcm", Platform="GCM", Attributes={})[
        "PlatformApplicationArn"]
    ns.OrganisationItem(ns.org_pk(TENANT), "ORG", name="Kinderopvang Bench", name_as_of=MOMENT, version=1,
                        locations={LOCATION: {"name": "Kindcentrum Bench", "as_of": MOMENT}}).save()
    with s.PlacementCopyItem.batch_write() as batch:
        for n in range(FAMILIES):
            child_id, pk = f"child-{n:04d}", store.key(TENANT, "CHILD", f"child-{n:04d}")
            batch.save(s.PlacementCopyItem(pk, "PLACEMENT#2025-09-01", child_id=child_id, group_id=f"grp-{n % 10}",
                                           location_id=LOCATION, start="2025-09-01", as_of=MOMENT,
                                           gsi2pk=store.key(TENANT, "LOCCHILDREN", LOCATION),
                                           gsi2sk=f"{child_id}#2025-09-01"))
            guardians = {f"user-{n:04d}-{p}": {"name": f"Ouder {n} {p}", "active": True, "as_of": MOMENT}
                         for p in ("a", "b")}
            batch.save(s.FamilyCopyItem(pk, "FAMILY", child_id=child_id, guardians=guardians, version=1))
    with ns.RecipientItem.batch_write() as batch:
        for n in range(FAMILIES):
            for p in ("a", "b"):
                user_id = f"user-{n:04d}-{p}"
                endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app_arn, Token=f"token-{user_id}",
                                                        CustomUserData=user_id)["EndpointArn"]
                batch.save(ns.RecipientItem(
                    ns.user_pk(TENANT, user_id), "PROFILE", user_id=user_id, name=f"Ouder {n} {p}",
                    email=f"{user_id}@bench.example.nl", language="en" if n % 5 == 0 else "nl", role="parent",
                    status="active", contact_as_of=MOMENT, version=1,
                    devices={"d1": {"platform": "fcm", "endpoint_arn": endpoint, "active": True, "as_of": MOMENT}}))


def _figures(label: str, calls: Counter[str], seconds: float) -> None:
    dynamodb = {k.split(".", 1)[1]: v for k, v in sorted(calls.items()) if k.startswith("dynamodb.")}
    print(f"  {label:<28} DynamoDB {total(calls, 'dynamodb'):4d} {dynamodb}")
    print(f"  {'':<28} SES {total(calls, 'ses'):4d}  SNS {total(calls, 'sns'):4d}  time {seconds:6.1f} s")


def main() -> None:
    from bench.inprocess import demo_system
    from infra.local.services import load
    from portal_common import aws, clock
    from portal_common.contracts.messaging import PublicationPublished
    from portal_common.events import make_event

    print(f"== notification fan-out: a newsletter to {FAMILIES} families, {2 * FAMILIES} parents "
          "(in-process over moto) ==")
    messaging = load()["messaging"]
    lib = messaging.lib
    on_published = lib.notifications.consumers.HANDLERS["messaging.publication.published"]
    with demo_system():
        _seed(lib, aws.client("sns"))
        news = PublicationPublished(publication_id="pub-01jd0000000000000000000000", kind="newsletter",
                                    title="Nieuwsbrief december", location_id=LOCATION,
                                    published_at="2026-11-24T09:00:00+01:00")
        event = make_event(news, tenant=TENANT, source="messaging")
        started = time.perf_counter()
        with count_calls() as calls:
            on_published(event)
        _figures("record (event handler)", calls, time.perf_counter() - started)
        started = time.perf_counter()
        with count_calls() as calls:
            delivered = lib.notifications.delivery.deliver_due(clock.now())
        _figures(f"deliver ({delivered} reached)", calls, time.perf_counter() - started)
        started = time.perf_counter()
        with count_calls() as calls:
            on_published(event)  # redelivered: every marker is there
        _figures("the same event again", calls, time.perf_counter() - started)
