"""Personal-data exports in the exports service: the request, the parts counted once per service, the
packing of every part into one ZIP in resumable steps, the download, and the refusals.

The bus only records here: each test plays the other services' parts (their files in the drop box and
"auth.personal_data.delivered", "timeline.personal_data.delivered", "messaging.personal_data.delivered",
"planning.personal_data.delivered"); the exports service's own part is real
("exports.personal_data.requested", then "exports.personal_data.delivered", "exports.personal_data.continue").
What the real services put in is tested in test_retention_flows.py.
"""

from __future__ import annotations

import json

import pytest

from portal_common import aws as aws_lib
from tests.auth_helpers import callers, demo_login_header
from tests.bus_helpers import bus_where, nobody
from tests.test_exports_diary import _archive
from tests.test_exports_purge import deliver, envelope


@pytest.fixture
def exports(services):
    return services["exports"]


@pytest.fixture
def quiet(world, services):
    with bus_where(services, nobody) as recording:
        yield recording


def _request(world, headers) -> dict:
    answer = world.post("/exports/personal-data", headers=headers)
    assert answer.status_code == 202, answer.json
    return answer.json


def _part(exports, quiet, export_id: str, service: str, files: dict[str, bytes]) -> None:
    """What a service does: its files into the drop box, then `<service>.personal_data.delivered`."""
    [asked] = [e for e in quiet.of_type("exports.personal_data.requested") if e.payload["export_id"] == export_id]
    s3 = aws_lib.client("s3")
    for path, body in files.items():
        s3.put_object(Bucket=asked.payload["bucket"], Key=f"{asked.payload['prefix']}{service}/{path}", Body=body)
    deliver(exports, envelope(f"{service}.personal_data.delivered",
                              {"export_id": export_id, "files": len(files), "bytes": sum(map(len, files.values()))}))


def _own_part(exports, quiet, export_id: str) -> None:
    [asked] = [e for e in quiet.of_type("exports.personal_data.requested") if e.payload["export_id"] == export_id]
    deliver(exports, asked)  # the exports service's own handler writes its part
    [mine] = [e for e in quiet.of_type("exports.personal_data.delivered") if e.payload["export_id"] == export_id]
    deliver(exports, mine)


PHOTO = b"\xff\xd8\xff\xe0" + b"jpeg" * 2000


def _all_parts(exports, quiet, export_id: str) -> None:
    _part(exports, quiet, export_id, "auth", {"profile.json": json.dumps({"name": "Sanne de Vries"}).encode()})
    _part(exports, quiet, export_id, "timeline", {"photos.json": b"[]", "files/photos/noor-de-vries/a.jpg": PHOTO})
    _part(exports, quiet, export_id, "messaging", {"conversations.json": b"[]"})
    _own_part(exports, quiet, export_id)
    _part(exports, quiet, export_id, "planning", {"invoices.json": b"[]", "files/invoices/f-1.pdf": b"%PDF-1.4 x"})


def test_a_parent_gets_every_services_part_in_one_zip_by_mail_and_the_parts_are_cleaned_up(world, parent, quiet,
                                                                                          exports):
    requested = _request(world, parent)
    assert requested["kind"] == "personal_data" and requested["status"] == "running"
    [asked] = quiet.of_type("exports.personal_data.requested")
    assert asked.payload["user_id"] == "user-parent1"
    assert asked.payload["child_ids"] == ["child-daan", "child-noor"]  # the children her session lists
    assert asked.payload["prefix"] == f"personal/demo/{requested['id']}/"
    _part(exports, quiet, requested["id"], "auth", {"profile.json": b"{}"})
    _part(exports, quiet, requested["id"], "auth", {"profile.json": b"{}"})  # redelivered: counted once
    state = world.get(f"/exports/{requested['id']}", headers=parent).json
    assert state["status"] == "running" and state["progress"]["done"] == 1 and state["progress"]["total"] == 6
    _part(exports, quiet, requested["id"], "timeline",
          {"photos.json": b"[]", "files/photos/noor-de-vries/a.jpg": PHOTO})
    _part(exports, quiet, requested["id"], "messaging", {"conversations.json": b"[]"})
    _own_part(exports, quiet, requested["id"])
    _part(exports, quiet, requested["id"], "planning", {"invoices.json": b"[]", "files/invoices/f-1.pdf": b"%PDF-1.4"})
    ready = world.get(f"/exports/{requested['id']}", headers=parent).json
    assert ready["status"] == "ready" and ready["file_name"] == "persoonsgegevens-2026-11-24.zip"
    assert ready["counts"] == {"files": 7}
    archive = _archive(world, parent, requested["id"])
    assert sorted(archive.namelist()) == [
        "LEESMIJ.txt", "auth/profile.json", "exports/exports.json", "messaging/conversations.json",
        "planning/files/invoices/f-1.pdf", "planning/invoices.json", "timeline/files/photos/noor-de-vries/a.jpg",
        "timeline/photos.json"]
    assert archive.read("timeline/files/photos/noor-de-vries/a.jpg") == PHOTO
    assert "timeline/: foto's" in archive.read("LEESMIJ.txt").decode()
    assert archive.getinfo("timeline/photos.json").date_time[:3] == (2026, 11, 24)
    s3 = aws_lib.client("s3")
    left = s3.list_objects_v2(Bucket=asked.payload["bucket"], Prefix=asked.payload["prefix"])
    assert left.get("KeyCount", 0) == 0  # the parts went once packed
    ready_events = quiet.of_type("exports.export.ready")
    assert [(e.payload["kind"], e.payload["user_id"]) for e in ready_events] == [("personal_data", "user-parent1")]
    # Late news of a part changes nothing any more.
    _part(exports, quiet, requested["id"], "messaging", {"conversations.json": b"[]"})
    assert world.get(f"/exports/{requested['id']}", headers=parent).json["status"] == "ready"
    assert len(quiet.of_type("exports.export.ready")) == 1


def test_packing_runs_in_steps_and_a_repeated_step_changes_nothing(world, parent, quiet, exports, monkeypatch):
    import moto.s3.models

    lib = exports.lib
    monkeypatch.setattr(lib.personal_data.packing, "STEP_SECONDS", 0.0)  # one entry a step
    monkeypatch.setattr(lib.personal_data.packing.zipstream, "PART_SIZE", 4 * 1024)
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1)
    export_id = _request(world, parent)["id"]
    _all_parts(exports, quiet, export_id)
    steps = quiet.of_type("exports.personal_data.continue")
    assert [e.payload["step"] for e in steps] == [1]  # step 0 ran when the last part came, and handed over
    while True:
        last = quiet.of_type("exports.personal_data.continue")[-1]
        deliver(exports, last)
        deliver(exports, last)  # redelivered: the job has moved on, nothing written twice
        if lib.jobs.get("demo", export_id).status == "ready":
            break
        assert world.get(f"/exports/{export_id}", headers=parent).json["progress"]["percent"] < 100
    assert len(quiet.of_type("exports.personal_data.continue")) == 7  # one step per entry: 8 entries
    archive = _archive(world, parent, export_id)
    assert archive.testzip() is None and len(archive.namelist()) == 8
    state = aws_lib.client("s3").list_objects_v2(Bucket=lib.jobs.bucket(), Prefix=f"tmp/personal/demo/{export_id}/")
    assert state.get("KeyCount", 0) == 0


def test_refusals_one_at_a_time_unknown_fields_and_other_users(world, parent, quiet, exports, tokens):
    first = _request(world, parent)
    again = world.post("/exports/personal-data", headers=parent)
    assert again.status_code == 409 and again.json["code"] == "export_running"
    assert world.post("/exports/personal-data", headers=parent, json={"child_id": "child-liam"}).status_code == 400
    too_large = world.post("/exports/personal-data", headers=parent, data="x" * 5000, content_type="application/json")
    assert too_large.status_code == 413, too_large.json  # far more than an empty request needs (1 KB)
    people = callers(tokens)
    mark = demo_login_header(world, "parent2@demo.ouderportaal.nl")  # Noor's father: not his export
    twin = tokens.header(tenant="other", user_id="user-parent1", children=("child-noor",))
    for caller in (mark, people["staff"], people["admin"], twin):
        assert world.get(f"/exports/{first['id']}", headers=caller).status_code == 404
        assert world.get(f"/exports/{first['id']}/download", headers=caller).status_code == 404
    # Staff have personal data too (their account, their messages): no children in the request.
    ilse = _request(world, people["staff"])
    [asked] = [e for e in quiet.of_type("exports.personal_data.requested") if e.payload["export_id"] == ilse["id"]]
    assert asked.payload["child_ids"] == [] and asked.payload["user_id"] == "user-staff1"
    assert world.post("/exports/personal-data").status_code == 401


def test_a_childs_purge_deletes_the_personal_data_exports_that_hold_its_data(world, parent, quiet, exports):
    export_id = _request(world, parent)["id"]
    _all_parts(exports, quiet, export_id)
    key = exports.lib.jobs.get("demo", export_id).s3_key
    deliver(exports, envelope("auth.child.retention_due", {"child_id": "child-daan", "access_until": "2027-01-22",
                                                           "guardian_ids": []}))
    assert exports.lib.jobs.get("demo", export_id) is None
    s3 = aws_lib.client("s3")
    assert s3.list_objects_v2(Bucket=exports.lib.jobs.bucket(), Prefix=key).get("KeyCount", 0) == 0
    [confirmed] = quiet.of_type("exports.child.purged")
    assert confirmed.payload["left"] == 0 and confirmed.payload["deleted"]["exports"] == 1
    assert world.get(f"/exports/{export_id}", headers=parent).status_code == 404

