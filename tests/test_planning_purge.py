"""Planning's part of a retention purge: `auth.child.retention_due` and `exports.purge.requested`.

Noor (Rupsen) is purged while her brother Daan (Vlinders) stays: her contracts, requests, swap hours,
calendar rows, uploads and copies go, her invoices and annual statements stay for the fiscal retention
with the day they may go, and nothing of Daan, of her classmate Yara or of the other organisation's
"child-noor" changes. Mila's purge also removes her mother Lotte, who has no children left. Events reach
planning only (as its own queue would get them); the exports service's tracking has its own tests.
The clock stands on Tuesday 24 November 2026.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from portal_common import clock as business_clock
from portal_common import events, ids, store
from tests.auth_helpers import demo_login_header, run_schedule
from tests.bus_helpers import bus_where, only

KEPT_UNTIL = "2034-01-01"


@pytest.fixture
def planning(services):
    return services["planning"]


@pytest.fixture
def planning_bus(world, services):
    """What planning publishes is recorded and reaches planning's own consumer, nobody else."""
    with bus_where(services, only("planning")) as recording:
        yield recording


def envelope(kind: str, payload: dict, tenant: str = "demo", source: str = "auth") -> events.Envelope:
    return events.Envelope(event_id=ids.new_id(), type=kind, version=1, tenant=tenant,
                           occurred_at=business_clock.now(), source=source, payload=payload)


def retention_due(child_id: str, guardian_ids=(), tenant: str = "demo") -> events.Envelope:
    return envelope("auth.child.retention_due", {"child_id": child_id, "access_until": "2026-11-23",
                                                 "guardian_ids": list(guardian_ids)}, tenant)


def purge_requested(child_id: str, names: list[str], guardian_ids=()) -> events.Envelope:
    return envelope("exports.purge.requested", {"child_id": child_id, "access_until": "2026-11-23",
                                                "guardian_ids": list(guardian_ids), "services": names, "round": 1},
                    source="exports")


def confirmations(bus) -> list[dict]:
    return [e.payload for e in bus.of_type("planning.child.purged")]


def rows(lib, *parts: str, prefix: str = "", tenant: str = "demo") -> list[dict]:
    """Every item (all its attributes) under a key, read straight from the table."""
    condition = "pk = :pk" + (" AND begins_with(sk, :prefix)" if prefix else "")
    values = {":pk": {"S": store.key(tenant, *parts)}, **({":prefix": {"S": prefix}} if prefix else {})}
    answer = lib.documents.aws.client("dynamodb").query(
        TableName=lib.store.PlanningItem.Meta.table_name, KeyConditionExpression=condition,
        ExpressionAttributeValues=values, ConsistentRead=True)
    return answer["Items"]


def objects(lib, prefix: str) -> list[str]:
    listed = lib.documents.aws.client("s3").list_objects_v2(Bucket=lib.documents.bucket(), Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def ok(answer, status=(200, 201)):
    assert answer.status_code in ((status,) if isinstance(status, int) else status), answer.json
    return answer.json


def upload(world, admin, child_id: str, complete: bool = True) -> str:
    import requests

    form = ok(world.post("/planning/admin/documents", headers=admin, json={
        "child_id": child_id, "title": "Getekend contract", "filename": f"contract-{child_id}.pdf",
        "content_type": "application/pdf", "size": 40}))
    if complete:
        sent = requests.post(form["url"], data=form["fields"], files={"file": ("c.pdf", b"%PDF-1.4\n%%EOF\n")},
                             timeout=10)
        assert sent.status_code in (200, 204), sent.text
        ok(world.post(f"/planning/admin/documents/{form['id']}/complete", headers=admin))
    return form["id"]


def seed_twin(lib) -> None:
    """The other organisation's child with the demo's ids: contract, copy, guardian, swap hours, a bill."""
    lib.contracts.create_contract("other", "contract-noor", child_id="child-noor", product="regular",
                                  location_id="loc-zonnebloem", group_id="grp-rupsen", start="2025-09-01", end=None,
                                  hourly_rate_cents=900, days={"1": {"start": "07:30", "end": "18:30"}})
    lib.store.ChildCopyItem("other#CHILD#child-noor", "CHILD", child_id="child-noor", name="Noor Anders",
                            birth_date="2024-01-01", as_of="2026-01-01T00:00:00+00:00").save()
    lib.store.GuardianCopyItem("other#GUARDIANS", "child-noor#user-parent1", child_id="child-noor",
                               user_id="user-parent1", name="Anders", as_of="2026-01-01T00:00:00+00:00").save()
    lib.ledger.earn("other", "child-noor", "earn.twin", 3, "2027-06-01", "twin")
    lib.store.BillableItem("other#BILL#2026-12", "child-noor#r#2026-12-03", child_id="child-noor", request_id="r",
                           date="2026-12-03", minutes=60, hourly_rate_cents=900, amount_cents=900,
                           kind="extra").save()


def twin_rows(lib) -> list[dict]:
    return [item for parts in (("CHILD", "child-noor"), ("SWAP", "child-noor"), ("GUARDIANS",), ("BILL", "2026-12"))
            for item in rows(lib, *parts, tenant="other")]


def feed_path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def noor_family(world, parent, staff, planning, planning_bus, clock):
    """Noor's and Daan's planning: swap hours, requests (one approved on invoice), invoices of three months
    (November 2025 issued in December 2025), annual statements, uploads and a calendar feed."""
    lib, outbox = planning.lib, planning.module.outbox
    clock.set(datetime(2025, 12, 5, 9, 0, tzinfo=business_clock.AMSTERDAM))
    lib.invoicing.run_invoices(outbox, "demo", "2025-11")
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=business_clock.AMSTERDAM))
    sanne = parent
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    ok(world.post("/planning/absences", headers=sanne, json={
        "child_ids": ["child-noor", "child-daan"], "from": "2026-11-30", "to": "2026-11-30", "reason": "sick"}))
    ok(world.post("/planning/requests", headers=sanne, json={
        "child_id": "child-noor", "payment": "swap_hours",
        "days": [{"date": "2026-12-01", "start": "07:30", "end": "13:00"}]}))
    billed = ok(world.post("/planning/requests", headers=sanne, json={
        "child_id": "child-noor", "payment": "invoice", "days": [{"date": "2026-12-03", "start": "07:30",
                                                                  "end": "13:00"}]}))
    ok(world.post(f"/planning/requests/{billed['id']}/decision", headers=staff, json={"decision": "approve"}))
    fatima = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    ok(world.post("/planning/absences", headers=fatima, json={
        "child_ids": ["child-yara"], "from": "2026-12-01", "to": "2026-12-01", "reason": "sick"}))
    for month in ("2025-12", "2026-10"):  # December 2025 completes the year: its statements follow
        ok(world.post("/planning/admin/billing-runs", headers=admin, json={"kind": "invoices", "period": month}),
           202)
    uploaded = upload(world, admin, "child-noor")
    abandoned = upload(world, admin, "child-noor", complete=False)
    feed = ok(world.post("/planning/calendar-feed", headers=sanne))
    seed_twin(lib)
    return {"uploaded": uploaded, "abandoned": abandoned, "feed": feed_path(feed["url"])}


def documents_of(lib, child_id: str) -> list:
    found = {}
    for user in ("user-parent1", "user-parent2", "user-parent4", "user-parent6"):
        for row in lib.store.DocumentAccessItem.query(store.key("demo", "USER", user),
                                                      lib.store.DocumentAccessItem.sk.startswith("DOC#")):
            found[row.doc_id] = row
    docs = [lib.documents.get("demo", d) for d in found]
    return [d for d in docs if d is not None and child_id in d.child_ids]


def test_the_childs_planning_goes_and_its_invoices_stay_with_their_retention_day(
        world, parent, planning, planning_bus, noor_family):
    lib = planning.lib
    rupsen_monday = lib.capacity.group_day("demo", "grp-rupsen", date(2026, 12, 7))
    thursday = lib.capacity.group_day("demo", "grp-rupsen", date(2026, 12, 3))
    fiscal_before = [d for d in documents_of(lib, "child-noor") if d.kind != "document"]
    assert sorted(d.period for d in fiscal_before) == ["2025", "2025-11", "2025-12", "2026-10"]
    yara_before = rows(lib, "CHILD", "child-yara")
    daan_before = rows(lib, "CHILD", "child-daan") + rows(lib, "SWAP", "child-daan")
    before_twin = twin_rows(lib)

    planning_bus.publish([retention_due("child-noor")])

    [confirmed] = confirmations(planning_bus)
    assert confirmed["child_id"] == "child-noor" and confirmed["left"] == 0
    assert confirmed["kept"] == [
        {"kind": "invoice", "count": 3, "until": KEPT_UNTIL, "reason": "fiscal retention (AWR art. 52)"},
        {"kind": "annual_statement", "count": 1, "until": KEPT_UNTIL, "reason": "fiscal retention (AWR art. 52)"}]
    deleted = confirmed["deleted"]
    assert {k: deleted[k] for k in ("contracts", "requests", "calendar_days", "swap_lots", "swap_holds",
                                    "billable_days", "documents", "files", "child_copies", "guardian_copies",
                                    "calendar_feed_links")} == {
        "contracts": 1, "requests": 3, "calendar_days": 3, "swap_lots": 1, "swap_holds": 1, "billable_days": 1,
        "documents": 2, "files": 1, "child_copies": 1, "guardian_copies": 2, "calendar_feed_links": 1}
    assert deleted["swap_operations"] == 2 and deleted["document_rows"] == 4  # her statement's and upload's rows

    # Checked directly by her keys: nothing of Noor is left in the table or the bucket.
    assert rows(lib, "CHILD", "child-noor") == [] and rows(lib, "SWAP", "child-noor") == []
    assert rows(lib, "GUARDIANS", prefix="child-noor#") == []
    assert rows(lib, "BILL", "2026-12", prefix="child-noor#") == []
    assert objects(lib, "demo/documents/child-noor/") == []
    assert [lib.documents.get("demo", noor_family[k]) for k in ("uploaded", "abandoned")] == [None, None]
    assert list(lib.store.DocumentItem.gsi1.query("demo#CHILDDOCS#child-noor")) == []
    # Her invoices and statement stay as issued, PDFs included, with the day they may go, in the index.
    for doc in fiscal_before:
        kept = lib.documents.get("demo", doc.doc_id)
        until = "2033-01-01" if doc.period == "2025-11" else KEPT_UNTIL  # 2025-12 was issued in 2026
        assert (kept.retain_until, kept.gsi2pk, kept.gsi2sk) == (until, "_DOC_RETENTION",
                                                                 f"{until}#demo#{doc.doc_id}")
        assert objects(lib, kept.s3_key) == [kept.s3_key] and kept.guardian_ids == ["user-parent1", "user-parent2"]
    # Capacity: her future places are free again; no day of the group names her any more.
    after_monday = lib.capacity.group_day("demo", "grp-rupsen", date(2026, 12, 7))
    assert after_monday.places["morning"]["free"] == rupsen_monday.places["morning"]["free"] + 1
    assert "child-noor" not in {e.child_id for e in after_monday.expected}
    assert thursday.places["morning"]["extra"] == 1
    assert lib.capacity.group_day("demo", "grp-rupsen", date(2026, 12, 3)).places["morning"]["extra"] == 0
    for day in ("2026-11-23", "2026-11-30", "2026-12-01"):
        group_days = lib.days.of_group("demo", "grp-rupsen", date.fromisoformat(day), live_only=False)
        assert "child-noor" not in {d.child_id for d in group_days}, day
    # Daan, Yara and the other organisation's Noor are untouched.
    assert rows(lib, "CHILD", "child-daan") + rows(lib, "SWAP", "child-daan") == daan_before
    assert rows(lib, "CHILD", "child-yara") == yara_before and twin_rows(lib) == before_twin
    # Sanne still sees the family invoices (Daan is on them) and Daan's statement, not Noor's.
    sanne = parent
    assert sorted(i["period"] for i in ok(world.get("/planning/invoices", headers=sanne))["items"]) == [
        "2025-11", "2025-12", "2026-10"]
    statements = ok(world.get("/planning/annual-statements", headers=sanne))["items"]
    assert [s["child_ids"] for s in statements] == [["child-daan"]]
    assert ok(world.get("/planning/documents", headers=sanne))["items"] == []
    feed = world.get(noor_family["feed"])
    assert feed.status_code == 200 and b"Daan de Vries" in feed.data and b"Noor de Vries" not in feed.data


def test_a_repeated_purge_finds_nothing_more_and_confirms_again(world, planning, planning_bus, noor_family):
    planning_bus.publish([retention_due("child-noor")])
    planning_bus.publish([retention_due("child-noor")])  # auth's event again, or a late duplicate
    planning_bus.publish([purge_requested("child-noor", ["planning", "timeline"])])  # the verification round
    first, *again = confirmations(planning_bus)
    assert len(again) == 2
    for later in again:
        assert (later["deleted"], later["left"], later["kept"]) == ({}, 0, first["kept"])


def test_a_re_ask_naming_other_services_only_changes_nothing(world, planning, planning_bus, noor_family):
    lib = planning.lib
    before = rows(lib, "CHILD", "child-noor")
    planning_bus.publish([purge_requested("child-noor", ["timeline", "messaging"])])
    assert confirmations(planning_bus) == [] and rows(lib, "CHILD", "child-noor") == before
    planning_bus.publish([purge_requested("child-noor", ["planning"])])
    [confirmed] = confirmations(planning_bus)
    assert confirmed["left"] == 0 and confirmed["deleted"]["contracts"] == 1
    assert rows(lib, "CHILD", "child-noor") == []


@pytest.mark.parametrize("child_id", ["child-never-heard-of", "a#b", ""])
def test_a_purge_of_a_child_planning_never_knew_is_harmless_and_confirmed(world, planning, planning_bus, child_id):
    lib = planning.lib
    before = rows(lib, "GUARDIANS")
    planning_bus.publish([retention_due(child_id, guardian_ids=["user-nobody", "x#y"])])
    [confirmed] = confirmations(planning_bus)
    assert (confirmed["deleted"], confirmed["left"], confirmed["kept"]) == ({}, 0, [])
    assert rows(lib, "GUARDIANS") == before


def test_a_guardian_left_without_children_goes_too_but_stays_printed_on_the_invoice(
        world, planning, planning_bus, clock):
    """Mila (flex care) and her mother Lotte, who has no other child: Lotte's feed, rows and links go."""
    lib = planning.lib
    clock.set(datetime(2026, 9, 15, 9, 0, tzinfo=business_clock.AMSTERDAM))
    lotte = demo_login_header(world, "parent6@demo.ouderportaal.nl")
    asked = ok(world.post("/planning/flex-requests", headers=lotte, json={"child_id": "child-mila", "days": [
        {"date": "2026-11-03", "start": "07:30", "end": "18:30"}, {"date": "2026-11-05", "start": "13:00",
                                                                  "end": "18:30"}]}))
    staff3 = demo_login_header(world, "staff3@demo.ouderportaal.nl")
    ok(world.post(f"/planning/requests/{asked['id']}/decision", headers=staff3, json={"decision": "approve"}))
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=business_clock.AMSTERDAM))
    lotte = demo_login_header(world, "parent6@demo.ouderportaal.nl")
    ok(world.post("/planning/admin/billing-runs", headers=demo_login_header(world, "admin@demo.ouderportaal.nl"),
                  json={"kind": "invoices", "period": "2026-11"}), 202)
    [invoice] = ok(world.get("/planning/invoices", headers=lotte))["items"]
    feed = feed_path(ok(world.post("/planning/calendar-feed", headers=lotte))["url"])
    # A link to a child she was unlinked from earlier (a tombstone still naming her).
    lib.store.GuardianCopyItem("demo#GUARDIANS", "child-yara#user-parent6", child_id="child-yara",
                               user_id="user-parent6", name="Lotte Visser", linked=False,
                               as_of="2026-01-01T00:00:00+00:00").save()
    assert rows(lib, "CHILD", "child-mila", prefix="FLEXPOT#")

    planning_bus.publish([retention_due("child-mila", guardian_ids=["user-parent6"])])

    [confirmed] = confirmations(planning_bus)
    assert confirmed["left"] == 0
    assert confirmed["kept"] == [{"kind": "invoice", "count": 1, "until": KEPT_UNTIL,
                                  "reason": "fiscal retention (AWR art. 52)"}]
    assert {k: confirmed["deleted"][k] for k in ("flex_pots", "billable_days", "calendar_feeds",
                                                 "calendar_feed_secrets", "document_rows", "guardian_copies")} == {
        "flex_pots": 1, "billable_days": 2, "calendar_feeds": 1, "calendar_feed_secrets": 1, "document_rows": 1,
        "guardian_copies": 2}
    assert rows(lib, "USER", "user-parent6") == [] and rows(lib, "CHILD", "child-mila") == []
    assert [g for g in lib.store.GuardianCopyItem.query("demo#GUARDIANS") if g.user_id == "user-parent6"] == []
    assert world.get(feed).status_code == 404  # the secret's pointer went with the feed
    assert rows(lib, "BILL", "2026-11", prefix="child-mila#") == []
    # The invoice is the fiscal record: it still names Lotte as printed, until its day.
    kept = lib.documents.get("demo", invoice["id"])
    assert kept.retain_until == KEPT_UNTIL and kept.guardian_ids == ["user-parent6"]
    pdf = lib.documents.aws.client("s3").get_object(Bucket=lib.documents.bucket(), Key=kept.s3_key)["Body"].read()
    assert pdf.startswith(b"%PDF-")
    # Another family's links are untouched.
    assert [g.user_id for g in lib.families.guardians_of("demo", "child-yara")] == ["user-parent4"]


def test_kept_invoices_go_with_their_pdfs_once_their_day_has_come(world, planning, planning_bus, noor_family,
                                                                   clock):
    lib = planning.lib
    noor_docs = [d for d in documents_of(lib, "child-noor") if d.kind != "document"]
    yara_invoice = next(d for d in documents_of(lib, "child-yara"))
    planning_bus.publish([retention_due("child-noor")])
    expire = planning.module.expire_fiscal_documents

    clock.set(datetime(2032, 12, 31, 23, 0, tzinfo=business_clock.AMSTERDAM))
    assert run_schedule(expire) == 0
    clock.set(datetime(2033, 1, 1, 4, 0, tzinfo=business_clock.AMSTERDAM))
    assert run_schedule(expire) == 1  # November 2025's invoice, issued in 2025
    clock.set(datetime(2033, 12, 31, 23, 0, tzinfo=business_clock.AMSTERDAM))
    assert run_schedule(expire) == 0
    clock.set(datetime(2034, 1, 1, 4, 0, tzinfo=business_clock.AMSTERDAM))
    assert run_schedule(expire) == 3
    assert run_schedule(expire) == 0  # a second run finds nothing

    for doc in noor_docs:
        assert lib.documents.get("demo", doc.doc_id) is None and objects(lib, doc.s3_key) == []
        claim = lib.store.ClaimItem.query(store.key("demo", "CLAIM", doc.kind, doc.period),
                                          lib.store.ClaimItem.sk == "child-noor")
        assert list(claim) == []
    assert not [r for r in rows(lib, "USER", "user-parent1", prefix="DOC#")
                if r["sk"]["S"].endswith(tuple(d.doc_id for d in noor_docs))]
    # Daan's claims stay (a later run must not invoice him twice); invoices never kept stay too.
    daan_claims = list(lib.store.ClaimItem.query("demo#CLAIM#invoice#2026-10", lib.store.ClaimItem.sk == "child-daan"))
    assert len(daan_claims) == 1 and daan_claims[0].retain_until is None
    assert lib.documents.get("demo", yara_invoice.doc_id) is not None and objects(lib, yara_invoice.s3_key)


def test_a_purge_that_stopped_half_way_is_completed_by_the_next_request(world, planning, planning_bus, noor_family,
                                                                         monkeypatch):
    """A process that dies after the documents and before the child's own rows: the re-ask finds the rest."""
    lib = planning.lib
    real_delete = lib.purge._delete

    def dies_at_the_contracts(found, counts, kind=None):
        found = list(found)
        if any(getattr(r, "sk", "").startswith("CONTRACT#") for r in found):
            raise RuntimeError("the Lambda timed out")
        real_delete(found, counts, kind)

    monkeypatch.setattr(lib.purge, "_delete", dies_at_the_contracts)
    request = lib.purge.retention.PurgeRequest("demo", "child-noor", "2026-11-23")
    with pytest.raises(RuntimeError):
        lib.purge.purge(request)
    assert rows(lib, "CHILD", "child-noor", prefix="CONTRACT#") and not rows(lib, "SWAP", "child-noor")
    monkeypatch.setattr(lib.purge, "_delete", real_delete)

    planning_bus.publish([purge_requested("child-noor", ["planning"])])

    [confirmed] = confirmations(planning_bus)
    assert confirmed["left"] == 0 and confirmed["deleted"]["contracts"] == 1 and "swap_lots" not in confirmed[
        "deleted"]
    assert [k["count"] for k in confirmed["kept"]] == [3, 1]  # the kept documents are found again by their claims
    assert rows(lib, "CHILD", "child-noor") == [] and rows(lib, "GUARDIANS", prefix="child-noor#") == []


def test_the_check_lists_what_is_there_and_a_kept_invoice_without_its_day(world, planning, planning_bus,
                                                                           noor_family):
    lib = planning.lib
    today = business_clock.today()
    scope = lib.purge.Scope("demo", "child-noor", ())
    left = lib.purge.describe(lib.purge.survey(scope, today), today)
    assert any(x.startswith("row demo#CHILD#child-noor/CONTRACT#") for x in left)
    assert any(x.startswith("row demo#SWAP#child-noor/L#") for x in left)
    assert any(x.startswith("object demo/documents/child-noor/") for x in left)
    assert len([x for x in left if x.endswith("without a retention day")]) == 4
    planning_bus.publish([retention_due("child-noor")])
    # Someone strips a kept invoice of its retention day: the check sees it, the next round restores it.
    [invoice] = [d for d in documents_of(lib, "child-noor") if d.period == "2026-10"]
    invoice.update(actions=[lib.store.DocumentItem.gsi2pk.remove(), lib.store.DocumentItem.gsi2sk.remove()])
    scope = lib.purge.Scope("demo", "child-noor", ())
    assert lib.purge.describe(lib.purge.survey(scope, today), today) == [
        f"invoice {invoice.doc_id} without a retention day"]
    planning_bus.publish([purge_requested("child-noor", ["planning"])])
    assert confirmations(planning_bus)[-1]["left"] == 0
    assert lib.documents.get("demo", invoice.doc_id).gsi2pk == "_DOC_RETENTION"
