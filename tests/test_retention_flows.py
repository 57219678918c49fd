"""Issue 8's two flows across all five real services (in-process, events delivered as SNS → SQS would):

- a child's retention purge: Liam (Bijen; his mother Emma, parent3, has no other child) has photos, a
  conversation, invoices, a diary archive and a personal-data export; 8 weeks and a day after his
  contract ends the auth job publishes `auth.child.retention_due`, every service purges and confirms, the
  exports service verifies with a second round and keeps an audit. Then a scan of every table and every
  bucket finds nothing of Liam or Emma but the invoices the law keeps, each with its deletion day.
- a personal-data export: Sanne (parent1) gets everything the platform holds about her and her children
  in one ZIP, by e-mail link, with no other family's data and no secrets.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import requests

from portal_common import clock as business_clock
from tests.auth_helpers import demo_login_header, login, run_schedule, sent_mail
from tests.retention_scan import scan_everything
from tests.test_exports_diary import _archive
from tests.test_planning_invoices import run as run_billing
from tests.test_timeline_feed import consent
from tests.test_timeline_uploads import jpeg_with_gps

LIAM = ["child-liam", "Liam Jansen", "user-parent3", "parent3@demo.ouderportaal.nl", "Emma Jansen"]


@pytest.fixture
def admin(world):
    return demo_login_header(world, "admin@demo.ouderportaal.nl")


def _photo(world, services, staff_login: str, group_id: str, child_ids: list[str]) -> str:
    staff = demo_login_header(world, staff_login)
    form = world.post("/timeline/uploads", headers=staff, json={"group_id": group_id, "child_ids": child_ids,
                                                                  "content_type": "image/jpeg", "size": 200_000})
    assert form.status_code == 201, form.json
    requests.post(form.json["url"], data=form.json["fields"], files={"file": ("p.jpg", jpeg_with_gps())}, timeout=10)
    timeline = services["timeline"].module
    done = services["timeline"].lib.uploads.processing.process_upload(timeline.outbox, "demo", form.json["upload_id"])
    assert done.status == "published", (done.status, done.reason)
    return done.photo_id


def _conversation(world, parent_login: str, staff_login: str, child_id: str, text: str) -> str:
    parent, staff = demo_login_header(world, parent_login), demo_login_header(world, staff_login)
    started = world.post("/messaging/conversations", headers=parent, json={"child_id": child_id, "text": text})
    assert started.status_code == 201, started.json
    answered = world.post(f"/messaging/conversations/{started.json['id']}/messages", headers=staff,
                          json={"text": "Dank je, goed dat we het weten."})
    assert answered.status_code == 201, answered.json
    return str(started.json["id"])


def _pending_upload(world, staff_login: str, group_id: str, child_ids: list[str]) -> str:
    """A photo uploaded whose processing never ran (its notice lost, or it ended in the dead-letter queue)."""
    staff = demo_login_header(world, staff_login)
    form = world.post("/timeline/uploads", headers=staff, json={"group_id": group_id, "child_ids": child_ids,
                                                                  "content_type": "image/jpeg", "size": 200_000})
    assert form.status_code == 201, form.json
    sent = requests.post(form.json["url"], data=form.json["fields"], files={"file": ("p.jpg", jpeg_with_gps())},
                         timeout=10)
    assert sent.status_code in (200, 204)
    return str(form.json["upload_id"])


def record_of(clients, services, hits, photo_ids: list[str], upload_ids: list[str]) -> dict[str, list]:
    """Every object and row that belongs to the child, taken before its purge and judged after it on its own,
    not by the purge's report: what the scan finds by content (less what the law keeps), and what carries no
    trace of the child in its key or readable content: its photos' derivatives (image bodies, keyed by the
    photo alone), their rows, and its uploads' raw files and rows (keyed by the upload alone)."""
    s3, timeline = clients["s3"], services["timeline"].lib
    of_child = set(left_behind(hits))  # the hits less what the law keeps
    objects = [(h.where.split()[1], h.key) for h in hits if h.where.startswith("bucket ") and str(h) in of_child]
    rows = [(h.where.split()[1], h.item["pk"], h.item["sk"]) for h in hits
            if h.where.startswith("table ") and str(h) in of_child]
    photos_bucket, uploads_bucket = timeline.photos.files.photos_bucket(), timeline.uploads.store.bucket("uploads")
    table = timeline.store.TimelineItem.Meta.table_name
    for photo_id in photo_ids:
        found = s3.list_objects_v2(Bucket=photos_bucket, Prefix=f"demo/{photo_id}/").get("Contents", [])
        assert len(found) == 3, found  # thumb, medium, full
        objects += [(photos_bucket, o["Key"]) for o in found]
        rows.append((table, f"demo#PHOTO#{photo_id}", "PHOTO"))
        upload_ids = [*upload_ids, timeline.photos.store.get_photo("demo", photo_id).upload_id]
    for upload_id in upload_ids:
        objects += [(uploads_bucket, o["Key"]) for o in s3.list_objects_v2(
            Bucket=uploads_bucket, Prefix=f"demo/{upload_id}").get("Contents", [])]
        rows.append((table, f"demo#UPLOAD#{upload_id}", "UPLOAD"))
    assert any(bucket == uploads_bucket for bucket, _key in objects)  # the raw file waiting
    return {"objects": sorted(set(objects)), "rows": sorted(set(rows))}


def still_there(clients, record: dict[str, list]) -> list[str]:
    """What of the record exists now (each row read by its key, each object listed), less what the law keeps:
    planning's invoices and statements, each row carrying the day it goes, and their PDFs."""
    s3, dynamodb = clients["s3"], clients["dynamodb"]
    left, kept_files = [], set()
    for table, pk, sk in record["rows"]:
        found = dynamodb.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
        if "Item" not in found:
            continue
        if "planning" in table and "retain_until" in found["Item"]:
            kept_files.add(found["Item"].get("s3_key", {}).get("S"))
        else:
            left.append(f"row {table} {pk}/{sk}")
    left += [f"object {bucket}/{key}" for bucket, key in record["objects"] if key not in kept_files
             and any(o["Key"] == key for o in s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", []))]
    return left


def left_behind(hits) -> list[str]:
    """The hits that are not documents planning keeps for the fiscal retention (invoices and annual
    statements, each row carrying the day it goes, and their PDFs)."""
    kept = [h for h in hits if h.where.startswith("table") and "planning" in h.where and h.item.get("retain_until")]
    files = {h.item.get("s3_key") for h in kept}
    return [str(h) for h in hits if h not in kept and not ("planning" in h.where and h.key in files)]


def kept_by_law(hits) -> list[str]:
    return sorted({h.item["retain_until"] for h in hits if "planning" in h.where and h.item.get("retain_until")})


def test_a_childs_purge_runs_through_every_service_and_a_scan_finds_nothing_of_it(world, admin, services, aws,
                                                                                  clock, bus):
    consent(world, "parent3@demo.ouderportaal.nl", "child-liam")
    liams_photo = _photo(world, services, "staff3@demo.ouderportaal.nl", "grp-bijen", ["child-liam"])
    pending = _pending_upload(world, "staff3@demo.ouderportaal.nl", "grp-bijen", ["child-liam"])
    _conversation(world, "parent3@demo.ouderportaal.nl", "staff3@demo.ouderportaal.nl", "child-liam",
                  "Liam is een beetje verkouden.")
    run_billing(world, admin, "invoices", "2026-10")
    emma = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    diary = world.post("/exports/diary", headers=emma, json={"child_id": "child-liam", "from": "2026-11-01",
                                                             "to": "2026-11-24"})
    assert diary.status_code == 202
    assert world.post("/exports/personal-data", headers=emma).status_code == 202
    # Sanne's family is not touched by any of this.
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    noor_photo = _photo(world, services, "staff1@demo.ouderportaal.nl", "grp-rupsen", ["child-noor"])
    noor_talk = _conversation(world, "parent1@demo.ouderportaal.nl", "staff1@demo.ouderportaal.nl", "child-noor",
                              "Noor wordt morgen door oma gehaald.")

    before = scan_everything(aws, LIAM)
    holders = {h.where.split("-")[-2] if h.where.startswith("table") else h.where for h in before}
    assert {"auth", "timeline", "messaging", "planning", "exports"} <= holders, holders  # the scan can see it
    record = record_of(aws, services, before, [liams_photo], [pending])

    ended = world.put("/auth/admin/children/child-liam/placements/2025-09-01", headers=admin,
                      json={"end": "2026-11-27"})
    assert ended.status_code == 200, ended.json
    clock.set(datetime(2027, 1, 23, 0, 30, tzinfo=business_clock.AMSTERDAM))  # 8 weeks and a day later
    assert run_schedule(services["auth"].module.close_access_windows) == 1

    confirmed = {(e.type.split(".")[0], e.payload["round"], e.payload["left"])
                 for e in bus.published if e.type.endswith(".child.purged")}
    assert {(s, 0, 0) for s in ("auth", "timeline", "messaging", "planning", "exports")} <= confirmed
    assert {(s, 1, 0) for s in ("auth", "timeline", "messaging", "planning", "exports")} <= confirmed
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    [audit] = world.get("/exports/purges", headers=admin).json["items"]
    assert audit["rounds"] == 2 and audit["guardians_removed"] == 1
    assert set(audit["services"]) == {"auth", "timeline", "messaging", "planning", "exports"}
    assert [k["kind"] for k in audit["services"]["planning"]["kept"]] == ["invoice"]
    assert "liam" not in json.dumps(audit).lower() and "parent3" not in json.dumps(audit)

    assert still_there(aws, record) == [], still_there(aws, record)
    after = scan_everything(aws, LIAM)
    assert left_behind(after) == []
    assert kept_by_law(after) == ["2034-01-01"]  # the October invoice is kept, with the day it goes
    assert login(world, "parent3@demo.ouderportaal.nl").status_code == 401

    sanne = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert noor_photo in [i["id"] for i in world.get("/timeline/feed", headers=sanne).json["items"]]
    assert world.get(f"/messaging/conversations/{noor_talk}", headers=sanne).status_code == 200


def test_a_guardian_gets_everything_held_about_her_and_her_children_in_one_zip(world, admin, services, bus):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    _photo(world, services, "staff1@demo.ouderportaal.nl", "grp-rupsen", ["child-noor", "child-yara"])
    _conversation(world, "parent1@demo.ouderportaal.nl", "staff1@demo.ouderportaal.nl", "child-noor",
                  "Noor wordt morgen door oma gehaald.")
    run_billing(world, admin, "invoices", "2026-10")
    sanne = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    requested = world.post("/exports/personal-data", headers=sanne)
    assert requested.status_code == 202
    state = world.get(f"/exports/{requested.json['id']}", headers=sanne).json
    assert state["status"] == "ready", state  # every service answered through the (synchronous) bus
    assert run_schedule(services["messaging"].module.deliver_notifications) >= 1
    [mail] = [m for m in sent_mail() if m.destinations["ToAddresses"] == ["parent1@demo.ouderportaal.nl"]
              and "/exports/" in m.body]  # (her October invoice was mailed too)
    assert f"/exports/{requested.json['id']}/download" in mail.body and "X-Amz" not in mail.body
    archive = _archive(world, sanne, requested.json["id"])
    names = archive.namelist()
    for service in ("auth", "timeline", "messaging", "planning", "exports"):
        assert any(n.startswith(f"{service}/") for n in names), (service, names)
    assert any(n.startswith("timeline/files/photos/noor-de-vries/") and n.endswith(".jpg") for n in names), names
    assert any(n.startswith("planning/files/invoices/") and n.endswith(".pdf") for n in names), names
    texts = {n: archive.read(n).decode("utf-8") for n in names if n.endswith((".json", ".txt"))}
    everything = "\n".join(texts.values())
    for expected in ("Sanne de Vries", "Noor de Vries", "Daan de Vries", "Noor wordt morgen door oma gehaald."):
        assert expected in everything, expected
    for foreign in ("Yara", "Fatima", "Liam", "Emma Jansen", "parent4@", "argon2", "access_token",
                    "refresh_token", "X-Amz-Signature"):
        assert foreign not in everything, foreign
