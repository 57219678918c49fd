"""The diary download: a guardian asks for a child's period, the timeline builds the ZIP into the exports
bucket in resumable steps (constant memory), the guardian follows it and downloads it through our API
(a redirect after the session check), for 7 days.

Sanne (parent1) is Noor's mother; Mark (parent2) her father; Emma (parent3) Liam's mother. The clock stands
on Tuesday 24 November 2026; Noor is placed in Rupsen since 1 September 2025.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from PIL import Image

import portal_common.contracts.timeline
from portal_common import events
from tests.auth_helpers import demo_login_header, run_schedule, sent_mail
from tests.test_timeline_diary import REPORT
from tests.test_timeline_feed import consent, publish

PERIOD = {"child_id": "child-noor", "from": "2026-11-01", "to": "2026-11-24"}


@pytest.fixture
def timeline(services):
    return services["timeline"]


@pytest.fixture
def exports(services):
    return services["exports"]


def _history(world, staff, parent, timeline):
    consent(world, "parent1@demo.ouderportaal.nl", "child-noor")
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara")
    photos = {"noor": publish(world, staff, timeline, ["child-noor"], day="2026-11-20"),
              "both": publish(world, staff, timeline, ["child-noor", "child-yara"]),
              "group": publish(world, staff, timeline, []),
              "yara": publish(world, staff, timeline, ["child-yara"])}
    report = world.post("/timeline/diary", headers=staff, json={**REPORT, "photo_ids": [photos["both"]]}).json
    own = world.post("/timeline/diary", headers=parent, json={"child_id": "child-noor", "date": "2026-11-21",
                                                              "text": "Logeren bij oma <3"}).json
    return photos, report, own


def _archive(world, headers, export_id) -> zipfile.ZipFile:
    answer = world.get(f"/exports/{export_id}/download", headers=headers)
    assert answer.status_code == 302, answer.json
    location = answer.headers["Location"]
    assert parse_qs(urlparse(location).query)["X-Amz-Expires"] == ["300"]
    fetched = requests.get(location, timeout=10)
    assert fetched.status_code == 200
    return zipfile.ZipFile(io.BytesIO(fetched.content))


def test_a_guardian_downloads_the_diary_as_a_zip_that_browses_offline(world, staff, parent, timeline, bus):
    photos, _report, _own = _history(world, staff, parent, timeline)
    asked = world.post("/exports/diary", headers=parent, json=PERIOD)
    assert asked.status_code == 202, asked.json
    export_id = asked.json["id"]
    state = world.get(f"/exports/{export_id}", headers=parent).json
    assert state["status"] == "ready" and state["progress"]["percent"] == 100
    assert state["download_url"].endswith(f"/exports/{export_id}/download")
    assert state["counts"] == {"photos": 3, "diary_pages": 2}
    assert state["file_name"] == "dagboek-noor-de-vries-2026-11-01-2026-11-24.zip"
    archive = _archive(world, parent, export_id)
    assert archive.testzip() is None
    names = archive.namelist()
    jpegs = sorted(n for n in names if n.endswith(".jpg"))
    # Noor's photos and the group's, never one of Yara alone; the day in the name and the entry's time.
    assert len(jpegs) == 3 and all(n.startswith("fotos/2026-11/2026-11-") for n in jpegs)
    assert not [n for n in jpegs if photos["yara"].removeprefix("pho-")[-8:] in n]
    first = archive.getinfo(next(n for n in jpegs if n.startswith("fotos/2026-11/2026-11-20")))
    assert first.date_time[:3] == (2026, 11, 20) and first.compress_type == zipfile.ZIP_STORED
    for name in jpegs:  # full resolution and metadata-free
        image = Image.open(io.BytesIO(archive.read(name)))
        assert image.size == (800, 600) and not image.getexif()
    pages = sorted(n for n in names if n.startswith("dagboek/"))
    assert pages == ["dagboek/2026-11/2026-11-21_eigen-bericht-1.html", "dagboek/2026-11/2026-11-24_dagverslag.html"]
    page = archive.read(pages[1]).decode()
    assert REPORT["text"] in page
    (src,) = re.findall(r'<img src="([^"]+)"', page)
    assert src.startswith("../../fotos/2026-11/") and src.removeprefix("../../") in names  # works offline
    assert "Logeren bij oma &lt;3" in archive.read(pages[0]).decode()
    index = archive.read("index.html").decode()
    assert "Dagboek van Noor de Vries" in index and 'href="#m2026-11"' in index
    assert all(f'href="{p}"' in index for p in pages) and all(f'src="{j}"' in index for j in jpegs)
    assert [e.payload["user_id"] for e in bus.of_type("exports.export.ready")] == ["user-parent1"]


def test_the_guardian_gets_an_email_with_a_link_to_our_api(world, staff, parent, timeline, services, bus):
    _history(world, staff, parent, timeline)
    export_id = world.post("/exports/diary", headers=parent, json=PERIOD).json["id"]
    assert run_schedule(services["messaging"].module.deliver_notifications) >= 1
    (mail,) = [m for m in sent_mail() if m.destinations["ToAddresses"] == ["parent1@demo.ouderportaal.nl"]
               and "dagboek" in m.subject]
    assert mail.subject == "Het dagboek van Noor de Vries staat klaar om te downloaden"
    assert f"/exports/{export_id}/download" in mail.body and "1 december 2026" in mail.body
    assert "X-Amz" not in mail.body  # never a presigned URL that could die with a function's credentials


def test_a_large_archive_is_built_in_resumable_steps_and_parts(world, staff, parent, timeline, exports,
                                                               monkeypatch):
    import moto.s3.models

    _history(world, staff, parent, timeline)
    lib = timeline.lib
    monkeypatch.setattr(lib.archive.steps, "STEP_SECONDS", 0.0)  # every step writes one entry, then hands over
    monkeypatch.setattr(lib.archive.steps.zipstream, "PART_SIZE", 4 * 1024)
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1)
    steps = []
    real = lib.archive.steps.run_step
    monkeypatch.setattr(lib.archive.steps, "run_step", lambda *a, **k: steps.append(a[3]) or real(*a, **k))
    export_id = world.post("/exports/diary", headers=parent, json=PERIOD).json["id"]
    assert steps == list(range(5))  # 3 photos and 2 pages, one a step; the index closes the last
    archive = _archive(world, parent, export_id)
    assert archive.testzip() is None and len(archive.namelist()) == 6
    s3, jobs = lib.archive.steps.aws.client("s3"), exports.lib.jobs
    etag = s3.head_object(Bucket=jobs.bucket(), Key=jobs.get("demo", export_id).s3_key)["ETag"]
    assert int(etag.strip('"').split("-")[1]) > 1  # uploaded as several parts, carried across steps
    job = lib.archive.store.job_state("demo", export_id)
    assert job.status == "done"
    # A redelivered step changes nothing: the job has moved on.
    assert lib.archive.steps.run_step(timeline.module.outbox, "demo", export_id, 2) is False


def test_exports_refuse_other_families_bad_periods_and_other_users(world, staff, parent, tokens, timeline):
    _history(world, staff, parent, timeline)
    emma = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    for body, status, code in (
        ({**PERIOD, "from": "2026-11-24", "to": "2026-11-01"}, 422, "period_reversed"),
        ({**PERIOD, "to": "2026-11-30"}, 422, "period_in_future"),
        ({**PERIOD, "from": "2025-08-01"}, 422, "outside_placement"),
        ({**PERIOD, "from": "gisteren"}, 400, "validation_error"),
        ({**PERIOD, "format": "rar"}, 400, "validation_error"),
        ({"child_id": "child-liam", "from": "2026-11-01", "to": "2026-11-24"}, 404, "not_found"),
    ):
        answer = world.post("/exports/diary", headers=parent, json=body)
        assert (answer.status_code, answer.json["code"]) == (status, code), body
    assert world.post("/exports/diary", headers=emma, json=PERIOD).status_code == 404
    assert world.post("/exports/diary", headers=staff, json=PERIOD).status_code == 403
    twin = tokens.header(tenant="other", user_id="user-parent1", children=("child-noor",))
    assert world.post("/exports/diary", headers=twin, json=PERIOD).status_code == 404  # no such child there
    export_id = world.post("/exports/diary", headers=parent, json=PERIOD).json["id"]
    mark = demo_login_header(world, "parent2@demo.ouderportaal.nl")  # Noor's father: not his export
    for caller in (mark, emma, twin, staff):
        assert world.get(f"/exports/{export_id}", headers=caller).status_code == 404
        assert world.get(f"/exports/{export_id}/download", headers=caller).status_code == 404
    assert world.get("/exports/exp-nonsense", headers=parent).status_code == 404
    assert [i["id"] for i in world.get("/exports", headers=parent).json["items"]] == [export_id]
    assert world.get("/exports", headers=mark).json["items"] == []


def test_one_export_of_a_child_at_a_time_and_archives_expire_after_7_days(world, staff, parent, timeline,
                                                                         exports, clock, monkeypatch):
    _history(world, staff, parent, timeline)
    monkeypatch.setattr(timeline.lib.archive.steps, "start", lambda outbox, env, request: None)  # the timeline is busy
    waiting = world.post("/exports/diary", headers=parent, json=PERIOD)
    assert waiting.status_code == 202 and waiting.json["status"] == "queued"
    again = world.post("/exports/diary", headers=parent, json=PERIOD)
    assert again.status_code == 409 and again.json["code"] == "export_running"
    assert world.get(f"/exports/{waiting.json['id']}/download", headers=parent).json["code"] == "export_not_ready"
    monkeypatch.undo()
    jobs = exports.lib.jobs
    # Its messages lost, the job never finishes: after 6 hours it counts as failed and may be asked again.
    clock.advance(timedelta(hours=6, minutes=1))
    sanne = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert world.get(f"/exports/{waiting.json['id']}", headers=sanne).json["status"] == "failed"
    export_id = world.post("/exports/diary", headers=sanne, json=PERIOD).json["id"]
    assert jobs.get("demo", export_id).status == "ready"
    key = jobs.get("demo", export_id).s3_key
    clock.advance(timedelta(days=7, minutes=1))
    sanne = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert world.get(f"/exports/{export_id}", headers=sanne).json["status"] == "expired"
    gone = world.get(f"/exports/{export_id}/download", headers=sanne)
    assert gone.status_code == 410 and gone.json["code"] == "export_expired"
    expire = exports.module.expire_archives
    assert run_schedule(expire) == 1 and run_schedule(expire) == 0
    listed = exports.lib.jobs.aws.client("s3").list_objects_v2(Bucket=jobs.bucket(), Prefix=key)
    assert listed.get("KeyCount", 0) == 0


def test_late_or_repeated_news_from_the_timeline_never_moves_an_export_backwards(world, staff, parent, timeline,
                                                                                  exports, bus):
    _history(world, staff, parent, timeline)
    export_id = world.post("/exports/diary", headers=parent, json=PERIOD).json["id"]
    before = world.get(f"/exports/{export_id}", headers=parent).json
    handlers = exports.module.app.event_handlers
    tl = portal_common.contracts.timeline
    handlers["timeline.archive.progress"](events.make_event(
        tl.ArchiveProgress(export_id=export_id, done=1, total=6), tenant="demo", source="timeline"))
    handlers["timeline.archive.completed"](events.make_event(
        tl.ArchiveCompleted(export_id=export_id, child_id="child-noor", size=1, photos=0, diary_pages=0),
        tenant="demo", source="timeline"))
    after = world.get(f"/exports/{export_id}", headers=parent).json
    assert after == before and len(bus.of_type("exports.export.ready")) == 1


def test_the_periods_follow_auths_placements(world, parent, exports):
    """`auth.child.placed`, `auth.child.updated` and `auth.placement.changed` keep the exports' copy."""
    handlers = exports.module.app.event_handlers
    copy = exports.lib.directory_copy
    assert [p.start for p in copy.placements("demo", "child-noor")] == ["2025-09-01"]  # from "auth.child.placed"
    moved = events.make_event(exports_payload("auth.placement.changed", child_id="child-noor", group_id="grp-rupsen",
                                              location_id="loc-zonnebloem", start="2026-11-10", end=None,
                                              previous_start="2025-09-01"), tenant="demo", source="auth")
    handlers["auth.placement.changed"](moved)
    early = world.post("/exports/diary", headers=parent, json=PERIOD)
    assert early.status_code == 422 and early.json["code"] == "outside_placement"
    assert world.post("/exports/diary", headers=parent, json={**PERIOD, "from": "2026-11-10"}).status_code == 202
    renamed = events.make_event(exports_payload("auth.child.updated", child_id="child-noor", child_name="Noor Bakker",
                                                birth_date="2024-03-14"), tenant="demo", source="auth")
    handlers["auth.child.updated"](renamed)
    assert exports.lib.directory_copy.child_name("demo", "child-noor") == "Noor Bakker"
    assert [p.start for p in exports.lib.directory_copy.placements("demo", "child-noor")] == ["2026-11-10"]


def exports_payload(kind: str, **values):
    return events.SCHEMAS[(kind, 1)](**values)
