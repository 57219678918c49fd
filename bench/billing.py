"""Invoicing a month for 1,000 families: time, DynamoDB and S3 calls, peak memory.

In-process over moto (moto's latency is in the time; the call counts carry over to AWS). The
families are planning's own copies (guardian links, children, contracts, billable days), written
directly: the figure is the run, not the seeding. One family in three has two children, one child in
five an extra day on invoice, one guardian in ten a name outside Windows-1252 (its PDF embeds a font).
"""

from __future__ import annotations

import resource
import time
from typing import Any

from portal_common.testing.calls import count_calls, total

TENANT = "bench-billing"
FAMILIES = 1000
LOCATION = "loc-billing"
WHOLE = {"start": "07:30", "end": "18:30"}


def _seed(lib: Any) -> int:
    from portal_common import store

    s = lib.store
    lib.billing_profile.save(TENANT, lib.billing_profile.BillingProfile(
        name="Bench Opvang B.V.", kvk_number="12345678", address_lines=("Postbus 1", "1000 AA Amsterdam"),
        iban="NL91ABNA0417164300"))
    children = 0
    with s.GuardianCopyItem.batch_write() as links, s.ChildCopyItem.batch_write() as kids, \
            s.ContractItem.batch_write() as contracts, s.BillableItem.batch_write() as bills:
        for f in range(FAMILIES):
            guardians = [f"user-{f}-a"] + ([f"user-{f}-b"] if f % 2 else [])
            for c in range(2 if f % 3 == 0 else 1):
                child_id = f"child-{f}-{c}"
                children += 1
                kids.save(s.ChildCopyItem(store.key(TENANT, "CHILD", child_id), "CHILD", child_id=child_id,
                                          name=f"Kind {f}-{c}", birth_date="2023-01-01", as_of="2026-01-01"))
                for g in guardians:
                    name = f"Ouder {g}" if f % 10 else f"Ayşe Y\u0131lmaz {g}"
                    links.save(s.GuardianCopyItem(store.key(TENANT, "GUARDIANS"), f"{child_id}#{g}",
                                                  child_id=child_id, user_id=g, name=name, as_of="2026-01-01"))
                days = {str(d): WHOLE for d in range(1, 6) if (f + c + d) % 3}
                contracts.save(lib.contracts.contract_item(
                    TENANT, f"contract-{f}-{c}", child_id=child_id, product="regular", location_id=LOCATION,
                    group_id=f"grp-{f % 20}", start="2026-01-01", end=None, hourly_rate_cents=1052, days=days))
                if children % 5 == 0:
                    bills.save(s.BillableItem(store.key(TENANT, "BILL", "2026-10"), f"{child_id}#req-{f}#2026-10-14",
                                              child_id=child_id, request_id=f"req-{f}", date="2026-10-14",
                                              minutes=660, hourly_rate_cents=1052, amount_cents=11572, kind="extra",
                                              location_id=LOCATION))
    return children


def main() -> None:
    from bench.inprocess import demo_system
    from infra.local.services import load

    print("== billing (in-process over moto) ==")
    planning = load()["planning"]
    lib, outbox = planning.lib, planning.module.outbox
    with demo_system():
        started = time.perf_counter()
        children = _seed(lib)
        print(f"  seeded {FAMILIES} families, {children} children in {time.perf_counter() - started:.1f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with count_calls() as calls:
            started = time.perf_counter()
            result = lib.invoicing.run_invoices(outbox, TENANT, "2026-10")
            elapsed = time.perf_counter() - started
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before  # KiB on Linux
        print(f"  invoice run, {FAMILIES} families   {result.created} invoices in {elapsed:.1f} s "
              f"({elapsed / max(result.created, 1) * 1000:.1f} ms each)")
        print(f"  DynamoDB calls                {total(calls, 'dynamodb'):5d}  "
              f"{ {k: v for k, v in calls.items() if k.startswith('dynamodb')} }")
        print(f"  S3 calls                      {total(calls, 's3'):5d}  "
              f"{ {k: v for k, v in calls.items() if k.startswith('s3')} }")
        print(f"  SNS calls (DocumentPublished) {total(calls, 'sns'):5d}")
        print(f"  peak memory growth of the run {rss_growth / 1024:5.1f} MiB (max RSS; moto's stored items and PDFs "
              "included)")
        started = time.perf_counter()
        again = lib.invoicing.run_invoices(outbox, TENANT, "2026-10")
        print(f"  the same month again          {again.created} new invoices, {again.already_done} children "
              f"already invoiced, {time.perf_counter() - started:.1f} s")
