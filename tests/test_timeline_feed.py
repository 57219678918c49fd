"""The feed and the photo routes: the right parents see a photo, nobody else; consent withdrawn hides it
everywhere at once; views and downloads are recorded for the child's guardians.

staff1 works in Rupsen (Noor, Yara, Zeynep, Luuk). Sanne (parent1) is Noor's and Daan's mother; Fatima
(parent4) Yara's; Emma (parent3) Liam's (Bijen). The clock stands on Tuesday 24 November 2026.
"""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from PIL import Image

import portal_common.contracts.auth
import portal_common.contracts.exports
from tests.auth_helpers import demo_login_header
from tests.test_timeline_uploads import jpeg_with_gps


@pytest.fixture
def timeline(services):
    return services["timeline"]


def consent(world, login, child_id, photos=True):
    headers = demo_login_header(world, login)
    answer = world.put(f"/auth/children/{child_id}/consents", headers=headers,
                       json={"photos": photos, "diary": True, "outings": True})
    assert answer.status_code == 200, answer.json


def publish(world, staff, timeline, child_ids, day=None, group="grp-rupsen"):
    body = {"group_id": group, "child_ids": child_ids, "content_type": "image/jpeg", "size": 200_000}
    if day:
        body["date"] = day
    form = world.post("/timeline/uploads", headers=staff, json=body).json
    requests.post(form["url"], data=form["fields"], files={"file": ("p.jpg", jpeg_with_gps())}, timeout=10)
    done = timeline.lib.uploads.processing.process_upload(timeline.module.outbox, "demo", form["upload_id"])
    assert done.status == "published", (done.status, done.reason)
    return done.photo_id


def feed_ids(world, headers, query=""):
    answer = world.get(f"/timeline/feed{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    return [item["id"] for item in answer.json["items"]]


def test_tagged_and_group_photos_reach_exactly_the_right_parents(world, staff, timeline):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    noor = publish(world, staff, timeline, ["child-noor"])
    both = publish(world, staff, timeline, ["child-noor", "child-yara"])
    group = publish(world, staff, timeline, [])  # an activity, no faces: the whole group that day
    sanne = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    fatima = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    emma = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    assert feed_ids(world, sanne) == [group, both, noor]  # newest first
    assert feed_ids(world, sanne, "?child_id=child-daan") == []  # Daan is in Vlinders
    assert feed_ids(world, fatima) == [group, both]
    assert feed_ids(world, emma) == []
    item = world.get("/timeline/feed", headers=fatima).json["items"][1]
    assert item["child_ids"] == ["child-yara"]  # never another family's child id
    thumb = requests.get(item["photos"][0]["thumb_url"], timeout=10)
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).size == (320, 240)
    assert parse_qs(urlparse(item["photos"][0]["medium_url"]).query)["X-Amz-Expires"] == ["600"]
    for photo_id in (noor, both, group):
        assert world.get(f"/timeline/photos/{photo_id}", headers=emma).status_code == 404
    assert world.get(f"/timeline/photos/{noor}", headers=fatima).status_code == 404
    assert world.get(f"/timeline/photos/{group}", headers=fatima).status_code == 200
    staff2 = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    assert world.get(f"/timeline/photos/{noor}", headers=staff2).status_code == 404
    assert world.get(f"/timeline/photos/{noor}", headers=staff).status_code == 200


def test_withdrawing_consent_hides_every_photo_of_the_child_and_regiving_it_does_not_bring_them_back(
        world, staff, timeline, clock):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    both = publish(world, staff, timeline, ["child-noor", "child-yara"])
    fatima = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    assert feed_ids(world, fatima) == [both]
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor", photos=False)  # Noor's mother withdraws
    assert feed_ids(world, fatima) == []  # gone from Yara's timeline too, at once
    assert world.get(f"/timeline/photos/{both}", headers=fatima).status_code == 404
    assert world.get(f"/timeline/photos/{both}", headers=staff).status_code == 404
    clock.advance(timedelta(minutes=1))
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")  # given again
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    assert feed_ids(world, demo_login_header(world, "parent4@demo.ouderportaal.nl")) == []  # stays hidden
    clock.advance(timedelta(minutes=1))
    later = publish(world, staff, timeline, ["child-noor", "child-yara"])
    assert feed_ids(world, demo_login_header(world, "parent4@demo.ouderportaal.nl")) == [later]


def test_views_and_downloads_are_recorded_for_the_childs_guardians(world, staff, timeline, parent):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    photo = publish(world, staff, timeline, ["child-noor"])
    viewed = world.get(f"/timeline/photos/{photo}", headers=staff)
    assert viewed.status_code == 200 and viewed.json["expires_in"] == 600
    full = requests.get(viewed.json["full_url"], timeout=10)
    assert full.status_code == 200 and b"Exif" not in full.content
    download = world.get(f"/timeline/photos/{photo}/download", headers=parent)
    assert download.status_code == 200
    got = requests.get(download.json["url"], timeout=10)
    assert got.headers["Content-Disposition"] == 'attachment; filename="noor-de-vries-2026-11-24.jpg"'
    log = world.get("/timeline/children/child-noor/photo-access", headers=parent).json["items"]
    assert [(e["user_id"], e["role"], e["action"]) for e in log] == [
        ("user-parent1", "parent", "download"), ("user-staff1", "staff", "view")]
    fatima = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    assert world.get("/timeline/children/child-noor/photo-access", headers=fatima).status_code == 404
    assert world.get("/timeline/children/child-noor/photo-access", headers=staff).status_code == 403


def test_the_feed_pages_without_skipping_or_repeating(world, staff, timeline, parent):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    published = [publish(world, staff, timeline, ["child-noor"] if n % 2 else []) for n in range(5)]
    first = world.get("/timeline/feed?limit=2", headers=parent).json
    second = world.get(f"/timeline/feed?limit=2&cursor={first['next_cursor']}", headers=parent).json
    third = world.get(f"/timeline/feed?limit=2&cursor={second['next_cursor']}", headers=parent).json
    seen = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert seen == list(reversed(published)) and third["next_cursor"] is None
    fatima = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    assert world.get(f"/timeline/feed?cursor={first['next_cursor']}", headers=fatima).status_code == 400


def test_two_childrens_reports_of_one_day_both_show_across_a_page_edge(world, staff, parent):
    """Noor's and Daan's reports of a day sit at the same place in their feeds: a page may end between them."""
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent1@demo.ouderportaal.nl", "child-daan")
    staff2 = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    day = {"date": "2026-11-24", "text": "Fijne dag."}
    reports = {world.post("/timeline/diary", headers=who, json={**day, "child_id": child}).json["id"]
               for who, child in ((staff, "child-noor"), (staff2, "child-daan"))}
    first = world.get("/timeline/feed?limit=1", headers=parent).json
    second = world.get(f"/timeline/feed?limit=1&cursor={first['next_cursor']}", headers=parent).json
    assert {i["id"] for i in first["items"] + second["items"]} == reports and len(reports) == 2
    assert second["next_cursor"] is None or world.get(
        f"/timeline/feed?limit=1&cursor={second['next_cursor']}", headers=parent).json["items"] == []


def test_a_child_that_left_its_group_gets_none_of_the_groups_later_photos(world, staff, parent, timeline):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    while_placed = [publish(world, staff, timeline, [], day=day) for day in ("2026-11-19", "2026-11-20")]
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    ended = world.put("/auth/admin/children/child-noor/placements/2025-09-01", headers=admin,
                      json={"end": "2026-11-20"})  # Noor left the Rupsen last Friday
    assert ended.status_code == 200, ended.json
    later = [publish(world, staff, timeline, [], day=day) for day in ("2026-11-23", "2026-11-24")]
    sanne = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert feed_ids(world, sanne, "?child_id=child-noor") == list(reversed(while_placed))
    assert feed_ids(world, sanne) == list(reversed(while_placed))
    # Nothing read after the placement's end takes a page's place: the first page of one is her last photo.
    assert feed_ids(world, sanne, "?child_id=child-noor&limit=1") == [while_placed[-1]]
    for photo in later:
        assert world.get(f"/timeline/photos/{photo}", headers=sanne).status_code == 404
    assert world.get(f"/timeline/photos/{while_placed[0]}", headers=sanne).status_code == 200
    fatima = demo_login_header(world, "parent4@demo.ouderportaal.nl")  # Yara stays in the Rupsen
    assert feed_ids(world, fatima) == list(reversed(while_placed + later))


def test_feed_and_photo_routes_refuse_other_families_and_tenants(world, staff, timeline, tokens, parent):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    photo = publish(world, staff, timeline, ["child-noor"])
    emma = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    assert world.get("/timeline/feed?child_id=child-noor", headers=emma).status_code == 404
    twin = tokens.header(tenant="other", user_id="user-parent1", children=("child-noor",))
    assert world.get("/timeline/feed", headers=twin).json["items"] == []
    world.get(f"/timeline/photos/{photo}", headers=parent)  # a view in the demo's log
    for path in (f"/timeline/photos/{photo}", f"/timeline/photos/{photo}/download",
                 "/timeline/children/child-noor/photo-access"):
        assert world.get(path, headers=emma).status_code == 404, path
    for path in (f"/timeline/photos/{photo}", f"/timeline/photos/{photo}/download"):
        assert world.get(path, headers=twin).status_code == 404, path
    # The same ids in another tenant are another child: its log holds nothing of the demo's.
    assert world.get("/timeline/children/child-noor/photo-access", headers=twin).json["items"] == []
    assert len(world.get("/timeline/children/child-noor/photo-access", headers=parent).json["items"]) == 1
    assert world.get("/timeline/photos/a%23b", headers=parent).status_code == 404
    not_an_id = world.get("/timeline/feed?child_id=a%23b", headers=parent)
    assert not_an_id.status_code == 422 and not_an_id.json["code"] == "validation_error"
    unnamed = world.get("/timeline/feed", headers=staff)  # staff name the child
    assert unnamed.status_code == 422 and unnamed.json["code"] == "child_id_required"


# -- retention purge ---------------------------------------------------------------------------------
def _due(services, child_id, *, tenant="demo", guardian_ids=()):
    from portal_common.events import make_event

    payload = portal_common.contracts.auth.ChildRetentionDue(child_id=child_id, access_until="2026-11-23",
                                                            guardian_ids=list(guardian_ids))
    return make_event(payload, tenant=tenant, source="auth")


def _asked_again(services, child_id, named, *, tenant="demo"):
    from portal_common.events import make_event

    payload = portal_common.contracts.exports.PurgeRequested(child_id=child_id, access_until="2026-11-23",
                                                            guardian_ids=[], services=named, round=2)
    return make_event(payload, tenant=tenant, source="exports")


def _confirmations(bus, child_id):
    return [e.payload for e in bus.of_type("timeline.child.purged") if e.payload["child_id"] == child_id]


def _held(timeline, child_id, tenant="demo"):
    """Every row under the child's own keys, read directly (the purge's record included)."""
    item = timeline.lib.store.TimelineItem
    return [f"{r.pk}/{r.sk}" for kind in ("CHILDFEED", "PHOTOLOG", "DIARY", "CHILD", "PURGE")
            for r in item.query(f"{tenant}#{kind}#{child_id}", consistent_read=True)]


def _objects(timeline, prefix):
    s3 = timeline.lib.uploads.processing.aws.client("s3")
    return [o["Key"] for o in s3.list_objects_v2(Bucket=timeline.lib.photos.files.photos_bucket(),
                                                 Prefix=prefix).get("Contents", [])]


def _archive_for_noor(services, timeline, export_id):
    from portal_common.events import make_event

    exports = services["exports"].lib
    payload = portal_common.contracts.exports.DiaryExportRequested(
        export_id=export_id, child_id="child-noor", start="2026-11-01", end="2026-11-30", requested_by="user-parent1",
        language="nl", bucket=exports.jobs.bucket(), key=f"diary/demo/{export_id}/a.zip", file_name="a.zip")
    timeline.module.app.event_handlers["exports.diary.requested"](make_event(payload, tenant="demo", source="exports"))


def test_retention_deletes_the_childs_photos_everywhere_and_keeps_the_rest(world, staff, parent, timeline, bus,
                                                                          services):
    """`auth.child.retention_due` → every photo Noor is in goes (files, rows, Yara's feed and report), her
    diary, log, downloads, archive job and copies go, and the leaving guardians' names; Yara's own photos,
    the group's photos and Yara's report stay. Confirmed with `left` 0, and checked here key by key."""
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    noor = publish(world, staff, timeline, ["child-noor"])
    both = publish(world, staff, timeline, ["child-noor", "child-yara"])
    yara = publish(world, staff, timeline, ["child-yara"])
    group = publish(world, staff, timeline, [])
    day = {"date": "2026-11-24", "text": "Buiten gespeeld."}
    noor_report = world.post("/timeline/diary", headers=staff, json={**day, "child_id": "child-noor",
                                                                     "photo_ids": [noor, both]}).json
    world.post("/timeline/diary", headers=parent, json={**day, "child_id": "child-noor", "text": "Weekend!"})
    yara_report = world.post("/timeline/diary", headers=staff, json={**day, "child_id": "child-yara",
                                                                     "photo_ids": [both, yara]}).json
    fatima = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    world.get(f"/timeline/photos/{noor}", headers=staff)  # a view in Noor's log
    world.get(f"/timeline/photos/{both}", headers=fatima)  # a view in Noor's and in Yara's log
    assert world.get(f"/timeline/diary/{noor_report['id']}/download", headers=parent).status_code == 200
    _archive_for_noor(services, timeline, "exp-" + "2" * 26)
    store = timeline.lib.store
    assert timeline.lib.archive.store.job_state("demo", "exp-" + "2" * 26) is not None

    handle = timeline.module.app.event_handlers["auth.child.retention_due"]
    due = _due(services, "child-noor", guardian_ids=["user-parent1", "user-parent2"])
    handle(due)

    (confirmed,) = _confirmations(bus, "child-noor")
    assert confirmed["left"] == 0 and confirmed["access_until"] == "2026-11-23"
    deleted = confirmed["deleted"]
    assert deleted["photos"] == 2 and deleted["photo_files"] == 6 and deleted["classmates_feed_entries"] == 1
    assert deleted["classmates_diary_photo_refs"] == 2  # Yara's report and its feed entry
    assert deleted["diary"] == 2 and deleted["archive_jobs"] == 1 and deleted["name_copies"] == 2
    assert deleted["downloads"] >= 1 and deleted["access_log"] == 4  # two views, the report's two photos downloaded
    # Checked directly: nothing under Noor's keys, no photo row, no file, no job, no name of a leaving guardian.
    assert _held(timeline, "child-noor") == []
    assert timeline.lib.photos.store.get_photos("demo", [noor, both]) == {}
    for prefix in (f"demo/{noor}/", f"demo/{both}/", "tmp/demo/diary/child-noor/", "tmp/demo/archives/child-noor/"):
        assert _objects(timeline, prefix) == [], prefix
    assert timeline.lib.archive.store.job_state("demo", "exp-" + "2" * 26) is None
    names = {r.user_id for r in store.UserNameCopyItem.batch_get(
        [(f"demo#USER#{u}", "USER") for u in ("user-parent1", "user-parent2", "user-parent4", "user-staff1")])}
    assert names == {"user-parent4", "user-staff1"}
    assert timeline.lib.retention.purge.verify("demo", "child-noor", [noor, both], ["user-parent1"]) == []
    # Yara's family keeps theirs: her photo, the group's, her report (without the shared photo), her log.
    assert feed_ids(world, fatima) == [group, yara, yara_report["id"]]
    assert world.get(f"/timeline/diary/{yara_report['id']}", headers=fatima).json["photo_ids"] == [yara]
    # Yara's log is her family's record of who opened her photos: the shared photo's rows stay (by id only).
    assert sorted((e["photo_id"], e["user_id"]) for e in world.get(
        "/timeline/children/child-yara/photo-access", headers=fatima).json["items"]) == [
        (both, "user-parent1"), (both, "user-parent4")]
    assert {k.split("/")[1] for k in _objects(timeline, "demo/")} == {yara, group}
    assert timeline.lib.directory_copy.consents("demo", "child-yara") is not None
    assert timeline.lib.directory_copy.child("demo", "child-daan") is not None  # Noor's brother
    assert world.get(f"/timeline/photos/{both}", headers=staff).status_code == 404
    # Redelivered: nothing left to delete, confirmed again.
    handle(due)
    again = _confirmations(bus, "child-noor")[-1]
    assert again["left"] == 0 and sum(again["deleted"].values()) == 0
    assert feed_ids(world, fatima) == [group, yara, yara_report["id"]]


def test_a_photo_left_behind_is_found_without_its_id_and_the_next_request_takes_it(world, staff, timeline, bus,
                                                                                    services, monkeypatch):
    """A photo row and a file of Noor's that are still there after the deletion (a failed delete, a late
    write) are found by the check from the purge's own record, reported, and deleted by the next request."""
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    publish(world, staff, timeline, ["child-noor"])
    both = publish(world, staff, timeline, ["child-noor", "child-yara"])
    purge, s3 = timeline.lib.retention.purge, timeline.lib.uploads.processing.aws.client("s3")
    row = timeline.lib.photos.store.get_photo("demo", both)
    check = purge.verify

    def planted_then_checked(*args, **kwargs):
        row.save()
        s3.put_object(Bucket=timeline.lib.photos.files.photos_bucket(), Key=f"demo/{both}/full.jpg",
                      Body=b"left behind")
        return check(*args, **kwargs)

    monkeypatch.setattr(purge, "verify", planted_then_checked)
    timeline.module.app.event_handlers["auth.child.retention_due"](_due(services, "child-noor"))
    monkeypatch.undo()
    assert _confirmations(bus, "child-noor")[-1]["left"] == 2
    # Noor's feed, diary and log are gone, so nothing names the photo but the purge's record.
    assert [k for k in _held(timeline, "child-noor") if "#PURGE#" not in k] == []
    assert sorted(purge.verify("demo", "child-noor")) == [f"object demo/{both}/full.jpg", f"photo {both}"]
    timeline.module.app.event_handlers["exports.purge.requested"](_asked_again(services, "child-noor", ["timeline"]))
    confirmed = _confirmations(bus, "child-noor")[-1]
    assert confirmed["left"] == 0 and confirmed["deleted"]["photos"] == 1 and confirmed["deleted"]["photo_files"] == 1
    assert _held(timeline, "child-noor") == [] and _objects(timeline, f"demo/{both}/") == []


def test_a_purge_of_an_unknown_child_another_tenant_or_other_services_is_harmless(world, staff, parent, timeline,
                                                                                   bus, services):
    from tests.auth_helpers import seed_other_tenant

    seed_other_tenant(services["auth"].module.directory)  # another organisation with a child-noor of its own
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    photo = publish(world, staff, timeline, ["child-noor"])
    assert timeline.lib.directory_copy.child("other", "child-noor") is not None
    handlers = timeline.module.app.event_handlers
    handlers["exports.purge.requested"](_asked_again(services, "child-nobody", ["timeline"]))
    (nobody,) = _confirmations(bus, "child-nobody")  # out of order or never heard of: confirmed, nothing done
    assert nobody["left"] == 0 and sum(nobody["deleted"].values()) == 0
    handlers["exports.purge.requested"](_asked_again(services, "child-noor", ["messaging", "planning"]))
    assert _confirmations(bus, "child-noor") == []  # a re-ask of other services: not the timeline's
    handlers["auth.child.retention_due"](_due(services, "child-noor", tenant="other"))
    assert timeline.lib.directory_copy.child("other", "child-noor") is None
    assert feed_ids(world, parent, "?child_id=child-noor") == [photo]  # the demo's Noor is another child
    assert timeline.lib.directory_copy.child("demo", "child-noor") is not None
    handlers["auth.child.retention_due"](_due(services, "child-noor"))
    # Purged: the timeline knows nothing of the child any more, so a token that still names it finds nothing.
    assert world.get("/timeline/feed?child_id=child-noor", headers=parent).status_code == 404
