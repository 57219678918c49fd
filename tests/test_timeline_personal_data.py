"""The timeline's part of a personal-data export (`exports.personal_data.requested`): the requested children's
photos (copied full size, consent as in the feed), diary and photo access log, by name and readable, and
nothing of another family; and the names it shows, kept from `auth.user.changed`.

Sanne (parent1) is Noor's and Daan's mother, Mark (parent2) Noor's father; Fatima (parent4) is Yara's mother.
Ilse (staff1) works in Rupsen, Noor's and Yara's group. The clock stands on Tuesday 24 November 2026, 09:00.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import portal_common.contracts.auth
import portal_common.contracts.exports
from portal_common.events import make_event
from tests.auth_helpers import demo_login_header
from tests.test_timeline_feed import consent, publish


@pytest.fixture
def timeline(services):
    return services["timeline"]


def _request(services, export_id, child_ids, *, tenant="demo", user_id="user-parent1"):
    exports = services["exports"].lib
    payload = portal_common.contracts.exports.PersonalDataRequested(
        export_id=export_id, user_id=user_id, child_ids=child_ids, language="en", bucket=exports.jobs.bucket(),
        prefix=f"personal/{tenant}/{export_id}/")
    return make_event(payload, tenant=tenant, source="exports")


def _part(services, export_id, tenant="demo"):
    """Every file of the timeline's part: path → bytes."""
    jobs = services["exports"].lib.jobs
    s3 = jobs.aws.client("s3")
    root = f"personal/{tenant}/{export_id}/timeline/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=jobs.bucket(), Prefix=root).get("Contents", [])]
    return {k.removeprefix(root): s3.get_object(Bucket=jobs.bucket(), Key=k)["Body"].read() for k in keys}


def _by_child(part, name):
    return {section["child"]: section for section in json.loads(part[f"{name}.json"])}


@pytest.fixture
def history(world, staff, parent, timeline, clock):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    photos = {"noor": publish(world, staff, timeline, ["child-noor"], day="2026-11-20")}
    clock.advance(timedelta(minutes=5))
    photos |= {"both": publish(world, staff, timeline, ["child-noor", "child-yara"]),
               "yara": publish(world, staff, timeline, ["child-yara"]), "group": publish(world, staff, timeline, [])}
    report = {"child_id": "child-noor", "date": "2026-11-24", "text": "Noor heeft buiten gespeeld.",
              "rhythm": [{"kind": "bottle", "time": "09:30", "note": "150 ml"}, {"kind": "sleep", "time": "12:15"}],
              "photo_ids": [photos["noor"], photos["both"]]}
    assert world.post("/timeline/diary", headers=staff, json=report).status_code == 201
    mark = demo_login_header(world, "parent2@demo.ouderportaal.nl")
    for who, text in ((parent, "Logeren bij oma"), (mark, "Slecht geslapen")):
        assert world.post("/timeline/diary", headers=who, json={"child_id": "child-noor", "date": "2026-11-23",
                                                                "text": text}).status_code == 201
    world.get(f"/timeline/photos/{photos['noor']}", headers=staff)
    clock.advance(timedelta(minutes=1))
    world.get(f"/timeline/photos/{photos['both']}/download",
              headers=demo_login_header(world, "parent4@demo.ouderportaal.nl"))
    return photos


def test_a_guardian_finds_their_childrens_photos_diary_and_access_log(world, timeline, services, bus, history):
    export_id = "exp-" + "3" * 26
    timeline.module.app.event_handlers["exports.personal_data.requested"](
        _request(services, export_id, ["child-noor", "child-daan", "child-nobody"]))
    part = _part(services, export_id)
    noor, both = history["noor"], history["both"]
    files = {noor: f"files/photos/noor-de-vries/2026-11-20_09-00-00_{noor}.jpg",
             both: f"files/photos/noor-de-vries/2026-11-24_09-05-00_{both}.jpg"}
    assert set(part) == {"photos.json", "diary.json", "photo_access_log.json", "children.json", *files.values()}
    # The full-size photos, copied as they are in the photos bucket.
    s3, photos_bucket = timeline.lib.uploads.processing.aws.client("s3"), timeline.lib.photos.files.photos_bucket()
    for photo_id, path in files.items():
        assert part[path] == s3.get_object(Bucket=photos_bucket, Key=f"demo/{photo_id}/full.jpg")["Body"].read()
    photos = _by_child(part, "photos")
    assert set(photos) == {"Noor de Vries", "Daan de Vries"}  # a child the timeline knows nothing of: left out
    assert photos["Daan de Vries"]["photos"] == []
    assert photos["Noor de Vries"]["photos"] == [
        {"date": "2026-11-20", "published_at": "2026-11-24T09:00:00+01:00", "group": "Rupsen",
         "published_by": "Ilse van Dam", "file": files[noor]},
        {"date": "2026-11-24", "published_at": "2026-11-24T09:05:00+01:00", "group": "Rupsen",
         "published_by": "Ilse van Dam", "file": files[both]}]
    diary = _by_child(part, "diary")["Noor de Vries"]["entries"]
    report = next(e for e in diary if e["kind"] == "report")
    assert report["text"] == "Noor heeft buiten gespeeld." and report["written_by"] == "Ilse van Dam"
    assert report["rhythm"] == [{"kind": "bottle", "time": "09:30", "note": "150 ml"},
                                {"kind": "sleep", "time": "12:15", "note": ""}]
    assert report["photos"] == [files[noor], files[both]] and report["group"] == "Rupsen"
    own = {e["written_by"]: e["text"] for e in diary if e["kind"] == "parent_entry"}
    assert own == {"Sanne de Vries": "Logeren bij oma", "Mark de Vries": "Slecht geslapen"}
    log = _by_child(part, "photo_access_log")["Noor de Vries"]["accesses"]
    assert [(e["by"], e["role"], e["action"], e["photo"]) for e in log] == [
        ("Fatima El Amrani", "parent", "download", files[both]), ("Ilse van Dam", "staff", "view", files[noor])]
    about = _by_child(part, "children")["Noor de Vries"]
    assert about["groups"] == [{"group": "Rupsen", "from": "2025-09-01", "until": None}]
    assert about["consents"]["photos"] is True and about["consents"]["photos_hidden_before"] is None
    # Nothing of another family (Yara is only named by her tag, which is left out), no ids of people, no links.
    text = b"".join(part[n] for n in part if n.endswith(".json")).decode()
    for forbidden in ("Yara", "child-yara", "user-", "http", "X-Amz", history["yara"], history["group"]):
        assert forbidden not in text, forbidden
    (delivered,) = [e.payload for e in bus.of_type("timeline.personal_data.delivered")]
    assert delivered["export_id"] == export_id and delivered["files"] == 6
    assert delivered["bytes"] == sum(len(body) for body in part.values())


def test_a_photo_whose_consent_no_longer_holds_stays_out_and_a_redelivery_writes_the_same(
        world, timeline, services, bus, history):
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara", photos=False)  # the shared photo is hidden now
    export_id = "exp-" + "4" * 26
    handle = timeline.module.app.event_handlers["exports.personal_data.requested"]
    request = _request(services, export_id, ["child-noor"])
    handle(request)
    first = _part(services, export_id)
    noor, both = history["noor"], history["both"]
    only = f"files/photos/noor-de-vries/2026-11-20_09-00-00_{noor}.jpg"
    assert [n for n in first if n.startswith("files/")] == [only]
    (report,) = [e for e in _by_child(first, "diary")["Noor de Vries"]["entries"] if e["kind"] == "report"]
    assert report["photos"] == [only]
    hidden = _by_child(first, "photo_access_log")["Noor de Vries"]["accesses"][0]
    assert hidden["photo"] is None and hidden["photo_date"] == "2026-11-24"  # the access stays, the photo not
    assert both not in b"".join(first.values()).decode(errors="ignore")
    handle(request)  # redelivered: the same files again, announced again
    assert _part(services, export_id) == first
    assert [e.payload["files"] for e in bus.of_type("timeline.personal_data.delivered")] == [5, 5]


def test_another_tenant_with_the_same_ids_gets_nothing_of_the_demos(world, timeline, services, history):
    export_id = "exp-" + "5" * 26
    timeline.module.app.event_handlers["exports.personal_data.requested"](
        _request(services, export_id, ["child-noor"], tenant="other"))
    part = _part(services, export_id, tenant="other")
    assert set(part) == {"photos.json", "diary.json", "photo_access_log.json", "children.json"}
    assert all(json.loads(body) == [] for body in part.values())


def test_names_are_kept_from_auths_user_events_newest_first(world, timeline, services, clock):
    auth_events = portal_common.contracts.auth
    handle = timeline.module.app.event_handlers["auth.user.changed"]
    store = timeline.lib.store

    def changed(name):
        return make_event(auth_events.UserChanged(user_id="user-parent1", name=name, email="s@example.nl",
                                                  language="nl", role="parent", status="active"),
                          tenant="demo", source="auth")

    older = changed("Sanne Oud")
    clock.advance(timedelta(minutes=1))
    handle(changed("Sanne de Vries-Bakker"))
    handle(older)  # late: never overwrites the newer name
    row = store.UserNameCopyItem.get("demo#USER#user-parent1", "USER")
    assert (row.name, row.role) == ("Sanne de Vries-Bakker", "parent")
    assert not hasattr(row, "email")  # only what the export shows


def test_a_photo_whose_file_is_already_gone_is_left_out_rather_than_failing_the_part(world, timeline, services,
                                                                                      history):
    s3 = timeline.lib.uploads.processing.aws.client("s3")
    s3.delete_object(Bucket=timeline.lib.photos.files.photos_bucket(), Key=f"demo/{history['both']}/full.jpg")
    export_id = "exp-" + "6" * 26
    timeline.module.app.event_handlers["exports.personal_data.requested"](
        _request(services, export_id, ["child-noor"]))
    part = _part(services, export_id)
    shown = _by_child(part, "photos")["Noor de Vries"]["photos"]
    assert [p["date"] for p in shown] == ["2026-11-20"] and len([n for n in part if n.startswith("files/")]) == 1
