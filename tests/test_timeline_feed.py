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


def publish(world, staff, timeline, child_ids, day=None):
    body = {"group_id": "grp-rupsen", "child_ids": child_ids, "content_type": "image/jpeg", "size": 200_000}
    if day:
        body["date"] = day
    form = world.post("/timeline/uploads", headers=staff, json=body).json
    requests.post(form["url"], data=form["fields"], files={"file": ("p.jpg", jpeg_with_gps())}, timeout=10)
    done = timeline.module.uploads.process_upload(timeline.module.outbox, "demo", form["upload_id"])
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
    assert world.get("/timeline/feed?child_id=a%23b", headers=parent).status_code == 422  # not an id
    assert world.get("/timeline/feed", headers=staff).status_code == 422  # staff name the child


def test_retention_deletes_the_childs_photos_everywhere_and_keeps_the_rest(world, staff, timeline, bus, services):
    """`auth.child.retention_due` → every photo Noor is in goes (derivatives, rows, classmates' feeds),
    her log and copies go; Yara's own photos and the group's photos stay. Checked, not assumed."""
    from portal_common.events import make_event

    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    noor = publish(world, staff, timeline, ["child-noor"])
    both = publish(world, staff, timeline, ["child-noor", "child-yara"])
    yara = publish(world, staff, timeline, ["child-yara"])
    group = publish(world, staff, timeline, [])
    world.get(f"/timeline/photos/{noor}", headers=staff)  # a view in Noor's log
    auth_events = services["auth"].lib.events
    bus.publish([make_event(auth_events.ChildRetentionDue(child_id="child-noor", access_until="2026-11-23"),
                            tenant="demo", source="auth")])
    assert [e.payload["child_id"] for e in bus.of_type("auth.child.retention_due")] == ["child-noor"]
    purge = timeline.lib.purge
    assert purge.verify("demo", "child-noor", [noor, both]) == []
    assert timeline.lib.directory_copy.consents("demo", "child-noor") is None
    fatima = demo_login_header(world, "parent4@demo.ouderportaal.nl")
    assert feed_ids(world, fatima) == [group, yara]
    assert world.get(f"/timeline/photos/{both}", headers=staff).status_code == 404
    s3 = timeline.module.uploads.aws.client("s3")
    left = {o["Key"].split("/")[1] for o in s3.list_objects_v2(
        Bucket=timeline.module.uploads.bucket("photos")).get("Contents", [])}
    assert left == {yara, group}
    bus.publish([make_event(auth_events.ChildRetentionDue(child_id="child-noor", access_until="2026-11-23"),
                            tenant="demo", source="auth")])  # redelivered: nothing left to delete, no error
    assert feed_ids(world, fatima) == [group, yara]
