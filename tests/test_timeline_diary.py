"""The diary: one staff report per child and day (editable that day), parents' own entries, diary consent
checked at every write and read, and nobody outside the child's family and group reading it."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
import requests
from PIL import Image

from tests.auth_helpers import demo_login_header
from tests.test_timeline_feed import consent, feed_ids, publish


@pytest.fixture
def timeline(services):
    return services["timeline"]


REPORT = {"child_id": "child-noor", "date": "2026-11-24", "text": "Noor heeft heerlijk buiten gespeeld.",
          "rhythm": [{"kind": "bottle", "time": "09:30", "note": "150 ml"}, {"kind": "sleep", "time": "12:15"}]}


def test_staff_write_the_days_report_and_edit_it_that_day(world, staff, parent, timeline):
    refused = world.post("/timeline/diary", headers=staff, json=REPORT)
    assert refused.status_code == 422 and refused.json["code"] == "no_diary_consent"
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    created = world.post("/timeline/diary", headers=staff, json=REPORT)
    assert created.status_code == 201, created.json
    report = created.json
    assert report["id"] == "child-noor.2026-11-24.staff" and report["kind"] == "report"
    assert report["rhythm"] == [{"kind": "bottle", "time": "09:30", "note": "150 ml"},
                                {"kind": "sleep", "time": "12:15", "note": ""}]
    edited = world.post("/timeline/diary", headers=staff, json={**REPORT, "text": "Ook nog geschilderd."})
    assert edited.status_code == 200 and edited.json["id"] == report["id"]
    assert edited.json["created_at"] == report["created_at"] and edited.json["text"] == "Ook nog geschilderd."
    read = world.get(f"/timeline/diary/{report['id']}", headers=parent)
    assert read.status_code == 200 and read.json["text"] == "Ook nog geschilderd."
    yesterday = world.post("/timeline/diary", headers=staff, json={**REPORT, "date": "2026-11-23"})
    assert yesterday.status_code == 422 and yesterday.json["code"] == "report_day_closed"


def test_parents_add_their_own_entries_that_the_group_staff_read(world, staff, parent):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    entry = world.post("/timeline/diary", headers=parent, json={**REPORT, "date": "2026-11-22",
                                                                 "text": "Weekend bij opa en oma."})
    assert entry.status_code == 201 and entry.json["kind"] == "parent_entry"
    assert world.get(f"/timeline/diary/{entry.json['id']}", headers=staff).json["text"] == "Weekend bij opa en oma."
    too_old = world.post("/timeline/diary", headers=parent, json={**REPORT, "date": "2026-11-10"})
    assert too_old.status_code == 422 and too_old.json["code"] == "date_out_of_range"


def test_withdrawn_diary_consent_hides_the_diary(world, staff, parent, clock):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    report = world.post("/timeline/diary", headers=staff, json=REPORT).json
    clock.advance(timedelta(minutes=1))
    mark = demo_login_header(world, "parent2@demo.ouderportaal.nl")
    assert world.put("/auth/children/child-noor/consents", headers=mark,
                     json={"photos": True, "diary": False, "outings": True}).status_code == 200
    assert world.get(f"/timeline/diary/{report['id']}", headers=parent).status_code == 404
    assert world.post("/timeline/diary", headers=staff, json=REPORT).json["code"] == "no_diary_consent"


@pytest.mark.parametrize("change, status", [
    ({"rhythm": [{"kind": "bottle", "time": "25:00"}]}, 422),   # the right type, a value the rules refuse
    ({"rhythm": [{"kind": "party", "time": "10:00"}]}, 400),    # not one of the kinds: the wrong type
    ({"text": ""}, 422), ({"text": "x" * 5001}, 422),
    ({"date": "24-11-2026"}, 400), ({"child_id": "a#b"}, 422), ({"mood": "happy"}, 400),
    ({"photo_ids": ["p"] * 11}, 422),
])
def test_diary_input_the_rules_refuse(world, staff, change, status):
    answer = world.post("/timeline/diary", headers=staff, json={**REPORT, **change})
    assert answer.status_code == status and answer.json["code"] == "validation_error", answer.json
    assert answer.json["errors"]


def test_a_report_may_only_hold_photos_of_its_child(world, staff, timeline):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    noor, yara = publish(world, staff, timeline, ["child-noor"]), publish(world, staff, timeline, ["child-yara"])
    ok = world.post("/timeline/diary", headers=staff, json={**REPORT, "photo_ids": [noor]})
    assert ok.status_code == 201 and ok.json["photo_ids"] == [noor]
    wrong = world.post("/timeline/diary", headers=staff, json={**REPORT, "photo_ids": [yara]})
    assert wrong.status_code == 422 and wrong.json["code"] == "unknown_photo"


def test_diary_routes_refuse_other_families_other_groups_and_other_tenants(world, staff, parent, tokens, timeline):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    report = world.post("/timeline/diary", headers=staff, json=REPORT).json
    emma = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    staff2 = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    twin = tokens.header(tenant="other", user_id="user-parent1", children=("child-noor",))
    twin_staff = tokens.header(tenant="other", user_id="user-staff1", role="staff", groups=("grp-rupsen",))
    for caller in (emma, staff2, twin):
        assert world.get(f"/timeline/diary/{report['id']}", headers=caller).status_code == 404
        assert world.get(f"/timeline/diary/{report['id']}/download", headers=caller).status_code == 404
        listed = world.get("/timeline/children/child-noor/diary", headers=caller)
        # The twin's token names a child-noor of its own tenant, which the timeline never had placed.
        assert listed.status_code == 404
        # Another family's child, another group's child, another tenant's: each looks absent.
        assert world.post("/timeline/diary", headers=caller, json=REPORT).status_code == 404
    for caller in (staff2, twin_staff):
        assert world.get("/timeline/groups/grp-rupsen/diary", headers=caller).status_code == 404
    for caller in (emma, twin):
        assert world.get("/timeline/groups/grp-rupsen/diary", headers=caller).status_code == 403
    for bad in ("child-noor.2026-11-24.nothing", "nonsense", "a%23b.2026-11-24.staff"):
        assert world.get(f"/timeline/diary/{bad}", headers=parent).status_code == 404
    assert world.get(f"/timeline/diary/{report['id']}", headers=parent).status_code == 200
    # Retention takes the diary too.
    timeline.lib.retention.purge.purge_child("demo", "child-noor")
    assert world.get(f"/timeline/diary/{report['id']}", headers=parent).status_code == 404


def test_reports_and_parents_entries_show_in_the_feed_with_their_photos(world, staff, parent, timeline, bus):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    photo = publish(world, staff, timeline, ["child-noor"])
    both = publish(world, staff, timeline, ["child-noor", "child-yara"])
    report = world.post("/timeline/diary", headers=staff, json={**REPORT, "photo_ids": [photo, both]}).json
    own = world.post("/timeline/diary", headers=parent, json={"child_id": "child-noor", "date": "2026-11-23",
                                                              "text": "Slecht geslapen vannacht."}).json
    items = world.get("/timeline/feed", headers=parent).json["items"]
    diary_items = {i["id"]: i for i in items if i["kind"] == "diary"}
    assert set(diary_items) == {report["id"], own["id"]}
    shown = diary_items[report["id"]]
    assert shown["text"] == REPORT["text"] and shown["diary_kind"] == "report" and shown["child_ids"] == ["child-noor"]
    assert [p["id"] for p in shown["photos"]] == [photo, both]
    assert all("X-Amz-Expires=600" in p["thumb_url"] for p in shown["photos"])
    assert [i["id"] for i in items].index(report["id"]) < [i["id"] for i in items].index(own["id"])  # newest first
    # Announced once (for notifications), not again when staff edit it that day.
    world.post("/timeline/diary", headers=staff, json={**REPORT, "text": "Aangevuld.", "photo_ids": [photo, both]})
    published = [e.payload for e in bus.of_type("timeline.diary.published")]
    assert [(p["diary_id"], p["kind"]) for p in published] == [(report["id"], "report"), (own["id"], "parent_entry")]
    assert published[0]["location_id"] == "loc-zonnebloem"
    # Yara's photo consent withdrawn: the shared photo leaves Noor's report in the feed, the rest stays.
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara", photos=False)
    shown = {i["id"]: i for i in world.get("/timeline/feed", headers=parent).json["items"]}[report["id"]]
    assert [p["id"] for p in shown["photos"]] == [photo] and shown["text"] == "Aangevuld."
    # Emma (another family) sees none of it; Fatima (Yara's mother) sees no report of Noor.
    for login in ("parent3@demo.ouderportaal.nl", "parent4@demo.ouderportaal.nl"):
        ids = feed_ids(world, demo_login_header(world, login))
        assert report["id"] not in ids and own["id"] not in ids
    # Noor's diary consent withdrawn: the diary leaves the feed, her photos stay.
    mark = demo_login_header(world, "parent2@demo.ouderportaal.nl")
    world.put("/auth/children/child-noor/consents", headers=mark, json={"photos": True, "diary": False,
                                                                      "outings": True})
    ids = feed_ids(world, demo_login_header(world, "parent1@demo.ouderportaal.nl"))
    assert report["id"] not in ids and own["id"] not in ids and photo in ids


def test_staff_read_a_childs_diary_and_their_groups_day(world, staff, parent):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    report = world.post("/timeline/diary", headers=staff, json=REPORT).json
    own = world.post("/timeline/diary", headers=parent, json={"child_id": "child-noor", "date": "2026-11-24",
                                                              "text": "Vandaag haalt opa haar op."}).json
    day = world.get("/timeline/groups/grp-rupsen/diary?date=2026-11-24", headers=staff)
    assert day.status_code == 200 and {i["id"] for i in day.json["items"]} == {report["id"], own["id"]}
    assert world.get("/timeline/groups/grp-rupsen/diary?date=2026-11-20", headers=staff).json["items"] == []
    listed = world.get("/timeline/children/child-noor/diary?limit=1", headers=parent)
    assert listed.status_code == 200 and listed.json["diary_consent"] is True
    # A day's report comes before the parents' entries of that day.
    assert [i["id"] for i in listed.json["items"]] == [report["id"]] and listed.json["next_cursor"]
    cursor = listed.json["next_cursor"]
    rest = world.get(f"/timeline/children/child-noor/diary?limit=1&cursor={cursor}", headers=parent)
    assert [i["id"] for i in rest.json["items"]] == [own["id"]]
    assert world.get(f"/timeline/children/child-noor/diary?cursor={cursor}", headers=staff).status_code == 400
    # Someone else's child, another group's staff, a parent asking for a group's day, another tenant.
    emma = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    staff2 = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    assert world.get("/timeline/children/child-noor/diary", headers=emma).status_code == 404
    assert world.get("/timeline/children/child-noor/diary", headers=staff2).status_code == 404
    assert world.get("/timeline/groups/grp-rupsen/diary", headers=staff2).status_code == 404
    assert world.get("/timeline/groups/grp-rupsen/diary", headers=parent).status_code == 403
    assert world.get("/timeline/groups/grp-nope/diary", headers=staff).status_code == 404
    assert world.get("/timeline/groups/grp-rupsen/diary?date=gisteren", headers=staff).status_code == 400
    assert world.get("/timeline/children/child-noor/diary?cursor=forged", headers=parent).status_code == 400
    # No diary consent (Daan): nothing, and the answer says why.
    daan = world.get("/timeline/children/child-daan/diary", headers=parent).json
    assert daan == {"items": [], "next_cursor": None, "diary_consent": False}


def test_a_report_downloads_as_one_html_page_with_its_photos_and_nothing_else(world, staff, parent, timeline):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    photo = publish(world, staff, timeline, ["child-noor"])
    text = "Noor <script>alert(1)</script> & vriendjes"
    report = world.post("/timeline/diary", headers=staff, json={**REPORT, "text": text, "photo_ids": [photo]}).json
    answer = world.get(f"/timeline/diary/{report['id']}/download", headers=parent)
    assert answer.status_code == 200, answer.json
    assert answer.json["file_name"] == "dagverslag-noor-de-vries-2026-11-24.html"
    fetched = requests.get(answer.json["url"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="dagverslag-noor-de-vries-2026-11-24.html"'
    page = fetched.text
    assert "Noor &lt;script&gt;alert(1)&lt;/script&gt; &amp; vriendjes" in page and "<script>" not in page
    assert "Dagverslag: Noor de Vries" in page and "dinsdag 24 november 2026" in page and "150 ml" in page
    (embedded,) = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    image = Image.open(io.BytesIO(base64.b64decode(embedded)))
    assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info
    log = world.get("/timeline/children/child-noor/photo-access", headers=parent).json["items"]
    assert [(e["photo_id"], e["action"]) for e in log] == [(photo, "download")]
    # English for an English-speaking reader's download, nobody else's family, and retention takes it.
    assert world.get(f"/timeline/diary/{report['id']}/download",
                     headers=demo_login_header(world, "parent3@demo.ouderportaal.nl")).status_code == 404
    purge = timeline.lib.retention.purge
    assert purge.verify("demo", "child-noor", [photo])  # the rendered page is still there
    purge.purge_child("demo", "child-noor")
    assert purge.verify("demo", "child-noor", [photo]) == []


def test_the_html_page_speaks_the_readers_language():
    from types import SimpleNamespace

    from timeline_service.diary import html as diary_html

    entry = SimpleNamespace(kind="report", date="2026-11-24", text="Fijne dag",
                            rhythm=[{"kind": "sleep", "time": "12:15", "note": ""},
                                    {"kind": "bottle", "time": "09:30", "note": "150 ml"}])
    page = diary_html.render(entry, child_name="Noor", group_name="Rupsen", lang="en", photo_ids=[],
                             image_src=str)
    assert "Daily report: Noor" in page and "Tuesday 24 November 2026" in page
    assert page.index("Bottle") < page.index("Sleep")  # the rhythm in order of time


def test_a_purged_classmate_leaves_the_reports_that_showed_them(world, staff, parent, timeline):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    noor = publish(world, staff, timeline, ["child-noor"])
    both = publish(world, staff, timeline, ["child-noor", "child-yara"])
    report = world.post("/timeline/diary", headers=staff, json={**REPORT, "photo_ids": [noor, both]}).json
    timeline.lib.retention.purge.purge_child("demo", "child-yara")
    assert world.get(f"/timeline/diary/{report['id']}", headers=parent).json["photo_ids"] == [noor]
    shown = {i["id"]: i for i in world.get("/timeline/feed", headers=parent).json["items"]}[report["id"]]
    assert [p["id"] for p in shown["photos"]] == [noor]


def test_two_staff_saving_the_same_report_at_once_do_not_overwrite_each_other(world, staff, timeline, monkeypatch,
                                                                               clock):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    first = world.post("/timeline/diary", headers=staff, json=REPORT).json
    diary = timeline.lib.diary.store
    stale = diary.get("demo", first["id"])
    clock.advance(timedelta(seconds=30))
    world.post("/timeline/diary", headers=staff, json={**REPORT, "text": "Eerste collega."})
    monkeypatch.setattr(diary, "get", lambda tenant, value: stale)  # read before the colleague saved
    late = world.post("/timeline/diary", headers=staff, json={**REPORT, "text": "Tweede collega."})
    assert late.status_code == 409 and late.json["code"] == "diary_changed_meanwhile"
    monkeypatch.undo()
    assert world.get(f"/timeline/diary/{first['id']}", headers=staff).json["text"] == "Eerste collega."
