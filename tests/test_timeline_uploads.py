"""Photo uploads: the presigned POST, then processing (what the S3 notification will trigger).

staff1 works in Rupsen (Noor, Yara, Zeynep, Luuk); staff2 in Vlinders. Nobody has given photo consent
in the bare demo, so a tagged photo is blocked until a parent gives it.
"""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from tests.auth_helpers import demo_login_header


@pytest.fixture
def timeline(services):
    return services["timeline"]


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (800, 600), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 5.0, 30.0), "E", (5.0, 7.0, 12.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def ask(world, headers, **overrides):
    body = {"group_id": "grp-rupsen", "child_ids": ["child-noor"], "content_type": "image/jpeg", "size": 200_000,
            **overrides}
    return world.post("/timeline/uploads", headers=headers, json=body)


def upload_and_process(world, staff, timeline, data, **overrides):
    started = ask(world, staff, **overrides)
    assert started.status_code == 201, started.json
    form = started.json
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("photo.jpg", data)}, timeout=10)
    assert sent.status_code == 204, sent.text  # S3's answer to a POST without success_action_status
    timeline.lib.uploads.processing.process_upload(timeline.module.outbox, "demo", form["upload_id"])
    state = world.get(f"/timeline/uploads/{form['upload_id']}", headers=staff)
    assert state.status_code == 200, state.json
    return state.json


def raw_uploads_left(timeline) -> list:
    s3 = timeline.lib.uploads.processing.aws.client("s3")
    return s3.list_objects_v2(Bucket=timeline.lib.uploads.processing.bucket("uploads")).get("Contents", [])


def test_a_tagged_photo_waits_for_consent_and_is_published_without_metadata(world, staff, parent, timeline, bus):
    blocked = upload_and_process(world, staff, timeline, jpeg_with_gps())
    assert (blocked["status"], blocked["reason"], blocked["blocked_children"], blocked["photo_id"]) == (
        "blocked", "no_photo_consent", ["child-noor"], None)
    assert raw_uploads_left(timeline) == []  # nothing of a blocked photo is kept
    world.put("/auth/children/child-noor/consents", headers=parent,
              json={"photos": True, "diary": True, "outings": True})
    published = upload_and_process(world, staff, timeline, jpeg_with_gps())
    assert published["status"] == "published" and published["photo_id"].startswith("pho-")
    assert [e.payload["photo_id"] for e in bus.of_type("timeline.photo.published")] == [published["photo_id"]]
    photo = timeline.lib.photos.store.PhotoItem.get(f"demo#PHOTO#{published['photo_id']}", "PHOTO")
    s3 = timeline.lib.uploads.processing.aws.client("s3")
    for name, key in photo.keys.items():
        stored = s3.get_object(Bucket=timeline.lib.uploads.processing.bucket("photos"), Key=key)
        data = stored["Body"].read()
        assert stored["ServerSideEncryption"] == "AES256"
        assert b"Exif" not in data and b"SpyCam" not in data and not Image.open(io.BytesIO(data)).getexif(), name
    assert raw_uploads_left(timeline) == []
    # A redelivered notice changes nothing.
    again = timeline.lib.uploads.processing.process_upload(timeline.module.outbox, "demo", published["upload_id"])
    assert again.status == "published" and again.photo_id == published["photo_id"]


@pytest.mark.parametrize("data, reason", [
    (b"hello, I am not a photo", "not_an_image"),
    (jpeg_with_gps()[: len(jpeg_with_gps()) // 2], "truncated"),
])
def test_a_file_that_is_no_good_photo_is_rejected_with_its_reason(world, staff, timeline, data, reason):
    state = upload_and_process(world, staff, timeline, data, child_ids=[])
    assert (state["status"], state["reason"], state["photo_id"]) == ("rejected", reason, None)
    assert raw_uploads_left(timeline) == []


def test_a_file_larger_than_declared_is_rejected(world, staff, timeline):
    state = upload_and_process(world, staff, timeline, jpeg_with_gps(), child_ids=[], size=1000)
    assert (state["status"], state["reason"]) == ("rejected", "too_large")


@pytest.mark.parametrize("overrides, status, code", [
    ({"child_ids": ["child-daan"]}, 422, "child_not_in_group"),            # Daan is in Vlinders
    ({"child_ids": ["child-noor", "child-noor"]}, 422, "validation_error"),  # tagged twice
    ({"content_type": "image/gif"}, 400, "validation_error"),             # not one of the types: wrong type
    ({"content_type": "text/plain"}, 400, "validation_error"),
    ({"size": 26 * 1024 * 1024}, 422, "validation_error"),                # over 25 MiB
    ({"size": 0}, 422, "validation_error"),
    ({"date": "2026-11-25"}, 422, "date_out_of_range"),                   # tomorrow
    ({"date": "2026-11-10"}, 422, "date_out_of_range"),
    ({"group_id": "grp-nowhere"}, 404, "not_found"),
    ({"child_ids": ["a#b"]}, 422, "validation_error"),                    # not an id
    ({"owner": "me"}, 400, "validation_error"),                           # an unknown field
])
def test_upload_requests_the_rules_refuse(world, staff, overrides, status, code):
    answer = ask(world, staff, **overrides)
    assert answer.status_code == status and answer.json["code"] == code, answer.json


def test_upload_routes_refuse_other_groups_parents_and_other_tenants(world, staff, parent, tokens, timeline):
    staff2 = demo_login_header(world, "staff2@demo.ouderportaal.nl")
    assert ask(world, staff2).status_code == 404              # not their group: it looks absent
    assert ask(world, parent).status_code == 403              # parents do not upload
    other = tokens.header(tenant="other", user_id="user-staff1", role="staff", groups=("grp-rupsen",))
    assert ask(world, other).status_code == 404               # no such group there
    mine = ask(world, staff).json["upload_id"]
    assert world.get(f"/timeline/uploads/{mine}", headers=staff).json["status"] == "processing"
    for caller in (staff2, other):
        assert world.get(f"/timeline/uploads/{mine}", headers=caller).status_code == 404
    assert world.get(f"/timeline/uploads/{mine}", headers=parent).status_code == 403
    assert world.get("/timeline/uploads/upl-nothing", headers=staff).status_code == 404


def test_the_s3_notice_names_the_tenant_and_upload(timeline):
    notice = {"Records": [{"s3": {"object": {"key": "demo/upl-01abc"}}},
                          {"s3": {"object": {"key": "demo/pho-1/thumb.jpg"}}},
                          {"s3": {"object": {"key": "no-slash"}}}]}
    assert timeline.lib.uploads.processing.keys_from_s3_event(notice) == [("demo", "upl-01abc")]
    assert timeline.lib.uploads.processing.keys_from_s3_event({"Event": "s3:TestEvent"}) == []


def test_two_workers_processing_one_upload_publish_one_photo(world, staff, parent, timeline, monkeypatch):
    """A redelivered S3 notice can reach a second worker while the first still works: one photo results,
    and the loser's derivatives are removed."""
    import threading

    from tests.test_planning_ledger import serialize_moto

    serialize_moto(monkeypatch)
    world.put("/auth/children/child-noor/consents", headers=parent,
              json={"photos": True, "diary": True, "outings": True})
    form = ask(world, staff).json
    requests.post(form["url"], data=form["fields"], files={"file": ("p.jpg", jpeg_with_gps())}, timeout=10)
    uploads = timeline.lib.uploads.processing
    real_process = uploads.images.process
    both_read = threading.Barrier(2, timeout=10)

    def process_after_both_read(data, **kwargs):
        both_read.wait()  # both workers hold the file before either publishes
        return real_process(data, **kwargs)

    monkeypatch.setattr(uploads.images, "process", process_after_both_read)
    workers = [threading.Thread(target=uploads.process_upload, args=(timeline.module.outbox, "demo",
                                                                      form["upload_id"])) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    state = world.get(f"/timeline/uploads/{form['upload_id']}", headers=staff).json
    assert state["status"] == "published"
    stored = uploads.aws.client("s3").list_objects_v2(Bucket=uploads.bucket("photos")).get("Contents", [])
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in stored) == ["full.jpg", "medium.jpg", "thumb.jpg"]
    assert all(o["Key"].startswith(f"demo/{state['photo_id']}/") for o in stored)
    assert [i["id"] for i in world.get("/timeline/feed", headers=parent).json["items"]] == [state["photo_id"]]


def _published_anywhere(world, timeline, bus) -> list:
    """Everything a published photo would leave: feed items of the children's families and their group's staff,
    derivatives in the photos bucket, announcements."""
    s3 = timeline.lib.uploads.processing.aws.client("s3")
    found = s3.list_objects_v2(Bucket=timeline.lib.uploads.processing.bucket("photos")).get("Contents", [])
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    for login, query in (("parent1", ""), ("parent4", ""), ("staff1", "?child_id=child-noor"),
                         ("staff1", "?child_id=child-yara")):
        headers = staff if login == "staff1" else demo_login_header(world, f"{login}@demo.ouderportaal.nl")
        found += world.get(f"/timeline/feed{query}", headers=headers).json["items"]
    return found + bus.of_type("timeline.photo.published")


def test_a_photo_finished_after_its_childs_consent_was_withdrawn_is_blocked(world, staff, parent, timeline, bus):
    consent = {"photos": True, "diary": True, "outings": True}
    assert world.put("/auth/children/child-noor/consents", headers=parent, json=consent).status_code == 200
    form = ask(world, staff).json  # Noor tagged while her photo consent holds
    requests.post(form["url"], data=form["fields"], files={"file": ("p.jpg", jpeg_with_gps())}, timeout=10)
    mark = demo_login_header(world, "parent2@demo.ouderportaal.nl")  # her father withdraws it meanwhile
    assert world.put("/auth/children/child-noor/consents", headers=mark,
                     json={**consent, "photos": False}).status_code == 200
    timeline.lib.uploads.processing.process_upload(timeline.module.outbox, "demo", form["upload_id"])
    state = world.get(f"/timeline/uploads/{form['upload_id']}", headers=staff).json
    assert (state["status"], state["reason"], state["blocked_children"], state["photo_id"]) == (
        "blocked", "no_photo_consent", ["child-noor"], None)
    assert _published_anywhere(world, timeline, bus) == [] and raw_uploads_left(timeline) == []


@pytest.mark.parametrize("tagged", [["child-noor", "child-yara"], ["child-yara", "child-noor"]])
def test_a_photo_of_two_children_is_blocked_when_one_of_them_has_no_photo_consent(world, staff, parent, timeline,
                                                                                  bus, tagged):
    """Only Noor's mother agreed; Yara's did not: whichever child is tagged first, nothing is published."""
    assert world.put("/auth/children/child-noor/consents", headers=parent,
                     json={"photos": True, "diary": True, "outings": True}).status_code == 200
    state = upload_and_process(world, staff, timeline, jpeg_with_gps(), child_ids=tagged)
    assert (state["status"], state["reason"], state["blocked_children"], state["photo_id"]) == (
        "blocked", "no_photo_consent", ["child-yara"], None)
    assert _published_anywhere(world, timeline, bus) == [] and raw_uploads_left(timeline) == []


def test_a_purge_takes_the_childs_raw_uploads_still_waiting_and_leaves_other_childrens(world, staff, timeline):
    """Raw files whose processing never ran (a lost notice, a worker killed) hold the photo with its EXIF."""
    def waiting(**overrides) -> dict:
        form = ask(world, staff, **overrides).json
        requests.post(form["url"], data=form["fields"], files={"file": ("p.jpg", jpeg_with_gps())}, timeout=10)
        return form

    noor, yara, orphan = waiting(), waiting(child_ids=["child-yara"]), waiting(child_ids=[])
    uploads, purge = timeline.lib.uploads.processing, timeline.lib.retention.purge
    uploads.get("demo", orphan["upload_id"]).delete()  # its row expired (30 days): nobody's, never processable
    left = [what for what in purge.verify("demo", "child-noor") if "upl-" in what]  # (besides her rows)
    assert sorted(left) == sorted(
        f"{what} {upload}" for what, upload in (("object", f"demo/{noor['upload_id']}"),
                                                ("object", f"demo/{orphan['upload_id']}"),
                                                ("upload", noor["upload_id"])))
    result = purge.purge_child("demo", "child-noor")
    assert result.left == [] and result.deleted["raw_uploads"] == 2 and result.deleted["uploads"] == 1
    assert [o["Key"] for o in raw_uploads_left(timeline)] == [f"demo/{yara['upload_id']}"]
    assert uploads.get("demo", noor["upload_id"]) is None and uploads.get("demo", yara["upload_id"]) is not None
