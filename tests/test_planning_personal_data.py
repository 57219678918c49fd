"""Planning's part of a personal-data export (`exports.personal_data.requested`): what Sanne finds about
herself and her children Noor and Daan, and nothing of anyone else.

Events reach planning only (as its own queue would get them); packing the parts into the ZIP is the
exports service's, tested there. The clock stands on Tuesday 24 November 2026.
"""

from __future__ import annotations

import json

import pytest
import requests

from portal_common import clock as business_clock
from portal_common import events, ids, settings
from tests.auth_helpers import demo_login_header
from tests.bus_helpers import bus_where, only

PDF = b"%PDF-1.4\n% a signed contract\n%%EOF\n"


@pytest.fixture
def planning(services):
    return services["planning"]


@pytest.fixture
def planning_bus(world, services):
    """What planning publishes is recorded and reaches planning's own consumer, nobody else."""
    with bus_where(services, only("planning")) as recording:
        yield recording


def ok(answer, status=(200, 201, 202)):
    assert answer.status_code in status, answer.json
    return answer.json


def ask(bus, user_id: str, child_ids: list[str], tenant: str = "demo", language: str = "en") -> str:
    export_id = f"exp-{ids.new_id().lower()}"
    bus.publish([events.Envelope(
        event_id=ids.new_id(), type="exports.personal_data.requested", version=1, tenant=tenant,
        occurred_at=business_clock.now(), source="exports",
        payload={"export_id": export_id, "user_id": user_id, "child_ids": child_ids, "language": language,
                 "bucket": archives(), "prefix": f"personal/{tenant}/{export_id}/"})])
    return export_id


def archives() -> str:
    return settings.get_settings().bucket_name("exports", "archives")


def part(planning, export_id: str, tenant: str = "demo") -> dict[str, bytes]:
    """The part as written into the drop box: path under `planning/` → bytes."""
    s3 = planning.lib.documents.aws.client("s3")
    root = f"personal/{tenant}/{export_id}/planning/"
    listed = s3.list_objects_v2(Bucket=archives(), Prefix=root).get("Contents", [])
    return {o["Key"][len(root):]: s3.get_object(Bucket=archives(), Key=o["Key"])["Body"].read() for o in listed}


def read(files: dict[str, bytes], name: str):
    return json.loads(files[f"{name}.json"])


@pytest.fixture
def family_history(world, parent, staff, planning_bus):
    """Sanne's family in planning: an absence, requests decided and cancelled, invoices, statements, an upload,
    a calendar feed; and the Yara family next door with their own."""
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    ok(world.post("/planning/absences", headers=parent, json={
        "child_ids": ["child-noor"], "from": "2026-11-30", "to": "2026-11-30", "reason": "sick",
        "comment": "Griep"}))
    approved = ok(world.post("/planning/requests", headers=parent, json={
        "child_id": "child-daan", "payment": "invoice", "comment": "Opa is jarig",
        "days": [{"date": "2026-12-03", "start": "07:30", "end": "13:00"}]}))
    vlinders = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    ok(world.post(f"/planning/requests/{approved['id']}/decision", headers=vlinders,
                  json={"decision": "approve", "reason": "Gezellig!"}))
    cancelled = ok(world.post("/planning/requests", headers=parent, json={
        "child_id": "child-noor", "payment": "swap_hours", "days": [{"date": "2026-12-01", "start": "07:30",
                                                                     "end": "13:00"}]}))
    ok(world.post(f"/planning/requests/{cancelled['id']}/cancel", headers=parent))
    fatima = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    ok(world.post("/planning/absences", headers=fatima, json={
        "child_ids": ["child-yara"], "from": "2026-12-01", "to": "2026-12-01", "reason": "holiday"}))
    for month in ("2025-12", "2026-10"):
        ok(world.post("/planning/admin/billing-runs", headers=admin, json={"kind": "invoices", "period": month}))
    form = ok(world.post("/planning/admin/documents", headers=admin, json={
        "child_id": "child-noor", "title": "Getekend contract", "filename": "contract-noor.pdf",
        "content_type": "application/pdf", "size": len(PDF)}))
    requests.post(form["url"], data=form["fields"], files={"file": ("c.pdf", PDF)}, timeout=10)
    ok(world.post(f"/planning/admin/documents/{form['id']}/complete", headers=admin))
    ok(world.post("/planning/calendar-feed", headers=parent))
    return {"approved": approved["id"], "cancelled": cancelled["id"]}


def test_a_guardian_finds_her_childrens_planning_and_her_invoices(world, planning, planning_bus, family_history):
    export_id = ask(planning_bus, "user-parent1", ["child-noor", "child-daan"])
    files = part(planning, export_id)
    assert sorted(name for name in files if not name.startswith("files/")) == [
        "annual_statements.json", "calendar.json", "contracts.json", "documents.json", "family.json",
        "invoices.json", "requests.json", "swap_hours.json"]
    numbers = sorted(i["number"] for i in read(files, "invoices"))
    assert sorted(name for name in files if name.startswith("files/")) == [
        "files/annual_statements/jaaropgave-2025-daan-de-vries.pdf",
        "files/annual_statements/jaaropgave-2025-noor-de-vries.pdf", "files/documents/contract-noor.pdf",
        *(f"files/invoices/factuur-{n}.pdf" for n in numbers)]
    [delivered] = planning_bus.of_type("planning.personal_data.delivered")
    assert delivered.payload["export_id"] == export_id
    assert (delivered.payload["files"], delivered.payload["bytes"]) == (len(files), sum(map(len, files.values())))

    family = read(files, "family")
    assert family["guardian"] == {"user_id": "user-parent1", "name": "Sanne de Vries"}
    assert [(c["name"], c["birth_date"], c["guardians"]) for c in family["children"]] == [
        ("Daan de Vries", "2022-06-02", ["Mark de Vries", "Sanne de Vries"]),
        ("Noor de Vries", "2024-03-14", ["Mark de Vries", "Sanne de Vries"])]
    assert sorted(family["calendar_feed"]["children"]) == ["Daan de Vries", "Noor de Vries"]
    contracts = read(files, "contracts")
    assert [(c["child"], c["group"], c["hourly_rate"], [d["day"] for d in c["care_days"]]) for c in contracts] == [
        ("Daan de Vries", "Vlinders", "€ 10.52", ["Monday", "Wednesday", "Friday"]),
        ("Noor de Vries", "Rupsen", "€ 10.52", ["Monday", "Wednesday"])]
    found = {r["request_id"]: r for r in read(files, "requests")}
    approved = found[family_history["approved"]]
    assert (approved["status"], approved["payment"], approved["comment"], approved["requested_by"],
            approved["decided_by"], approved["decision_reason"], approved["hours"]) == (
        "approved", "invoice", "Opa is jarig", "Sanne de Vries", "staff", "Gezellig!", 5.5)
    cancelled = found[family_history["cancelled"]]
    assert (cancelled["status"], cancelled["decided_by"]) == ("cancelled", "Sanne de Vries")
    [absence] = [r for r in found.values() if r["kind"] == "absence"]
    assert (absence["child"], absence["reason"], absence["hours_deregistered"], absence["swap_hours_earned"]) == (
        "Noor de Vries", "sick", 11.0, 11.0)
    swap = {s["child_id"]: s for s in read(files, "swap_hours")}
    assert (swap["child-noor"]["balance_hours"], swap["child-daan"]["balance_hours"]) == (11.0, 0.0)
    assert [e["kind"] for e in swap["child-noor"]["entries"]] == ["earned", "held", "released"]
    calendar = read(files, "calendar")
    assert [(d["date"], d["child"], d["kind"], d["status"]) for d in calendar] == [
        ("2026-11-30", "Noor de Vries", "absence", "reported"), ("2026-12-01", "Noor de Vries", "extra", "cancelled"),
        ("2026-12-03", "Daan de Vries", "extra", "approved")]
    invoices = read(files, "invoices")
    assert [(i["period"], i["amount"], sorted(c["name"] for c in i["children"])) for i in invoices] == [
        ("2025-12", "€ 2,256.54", ["Daan de Vries", "Noor de Vries"]),
        ("2026-10", "€ 2,256.54", ["Daan de Vries", "Noor de Vries"])]
    for item in [*invoices, *read(files, "annual_statements"), *read(files, "documents")]:
        doc = planning.lib.documents.get("demo", item["document_id"])
        original = planning.lib.documents.aws.client("s3").get_object(
            Bucket=planning.lib.documents.bucket(), Key=doc.s3_key)["Body"].read()
        assert files[item["file"]] == original  # the PDF itself, copied in S3
    assert read(files, "documents")[0]["title"] == "Getekend contract"


def test_the_part_names_no_other_family_and_holds_no_secret(world, planning, planning_bus, family_history):
    export_id = ask(planning_bus, "user-parent1", ["child-noor", "child-daan", "child-yara"])  # Yara is not hers
    files = part(planning, export_id)
    text = " ".join(body.decode() for name, body in files.items() if name.endswith(".json"))
    for foreign in ("child-yara", "Yara", "El Amrani", "holiday", "user-parent2", "user-parent4", "user-staff",
                    "secret", "hash", "X-Amz", "demo/invoices/", "demo/documents/", "s3_key", "Liam"):
        assert foreign not in text, foreign
    assert len(read(files, "contracts")) == 2 and len(read(files, "invoices")) == 2


def test_only_children_the_family_copy_gives_the_guardian_are_exported(world, planning, planning_bus,
                                                                       family_history):
    # Fatima asks with Noor's id: planning's copy of the links says Noor is not hers.
    files = part(planning, ask(planning_bus, "user-parent4", ["child-noor", "child-yara"]))
    assert [c["child_id"] for c in read(files, "family")["children"]] == ["child-yara"]
    assert {r["child_id"] for r in read(files, "requests")} == {"child-yara"}
    assert all("Noor" not in body.decode() for name, body in files.items() if name.endswith(".json"))
    # Mark, the partner, gets the family invoices too: they are addressed to him as well.
    mark = part(planning, ask(planning_bus, "user-parent2", ["child-noor"]))
    assert len(read(mark, "invoices")) == 2 and [c["child_id"] for c in read(mark, "family")["children"]] == [
        "child-noor"]
    assert read(mark, "family")["calendar_feed"] is None  # Sanne's feed is hers


def test_an_unlinked_guardian_or_another_tenant_finds_nothing_of_the_children(world, planning, planning_bus,
                                                                              family_history, services):
    planning.lib.families.on_gone(events.Envelope(
        event_id=ids.new_id(), type="auth.guardian.unlinked", version=1, tenant="demo",
        occurred_at=business_clock.now(), source="auth", payload={"child_id": "child-daan", "user_id": "user-parent1"}))
    files = part(planning, ask(planning_bus, "user-parent1", ["child-noor", "child-daan"]))
    assert [c["child_id"] for c in read(files, "family")["children"]] == ["child-noor"]
    assert {c["child_id"] for c in read(files, "contracts")} == {"child-noor"}
    twin = part(planning, ask(planning_bus, "user-parent1", ["child-noor", "child-daan"], tenant="other"),
                tenant="other")
    assert read(twin, "family")["children"] == [] and read(twin, "invoices") == [] and read(twin, "requests") == []
    assert not [name for name in twin if name.startswith("files/")]


def test_a_redelivered_request_writes_the_same_part_again_and_odd_ids_give_an_empty_one(world, planning,
                                                                                       planning_bus, family_history):
    export_id = ask(planning_bus, "user-parent1", ["child-noor"], language="nl")
    first = part(planning, export_id)
    assert read(first, "contracts")[0]["hourly_rate"] == "€ 10,52"
    assert [d["day"] for d in read(first, "contracts")[0]["care_days"]] == ["maandag", "woensdag"]
    [request] = [e for e in planning_bus.published if e.type == "exports.personal_data.requested"]
    planning.app.event_handlers["exports.personal_data.requested"](request)  # the inbox lost its record
    assert part(planning, export_id) == first
    assert len(planning_bus.of_type("planning.personal_data.delivered")) == 2
    odd = part(planning, ask(planning_bus, "a#b", ["child-noor", "x#y"]))
    assert read(odd, "family")["children"] == [] and read(odd, "invoices") == []


def test_a_document_whose_file_is_missing_is_listed_without_it(world, planning, planning_bus, family_history):
    lib = planning.lib
    export_id = ask(planning_bus, "user-parent1", ["child-noor"])
    [upload] = read(part(planning, export_id), "documents")
    doc = lib.documents.get("demo", upload["document_id"])
    lib.documents.delete_file(doc.s3_key)
    files = part(planning, ask(planning_bus, "user-parent1", ["child-noor"]))
    assert read(files, "documents")[0]["file"] is None and "files/documents/contract-noor.pdf" not in files
    assert len(read(files, "invoices")) == 2 and all(i["file"] in files for i in read(files, "invoices"))
