"""The timeline's side of a diary archive (`exports.diary.requested`, `timeline.archive.continue`): what goes
in is decided by consent at the moment of the export, a redelivered request or step does nothing twice,
and the child's purge takes an archive's temporary state too."""

from __future__ import annotations

import io
import zipfile

import pytest

import portal_common.contracts.exports
import portal_common.contracts.timeline
from portal_common import events
from tests.test_exports_diary import PERIOD, _history
from tests.test_timeline_feed import consent


@pytest.fixture
def timeline(services):
    return services["timeline"]


def _request(export_id: str, exports) -> events.Envelope:
    jobs = exports.lib.jobs
    payload = portal_common.contracts.exports.DiaryExportRequested(
        export_id=export_id, child_id="child-noor", start=PERIOD["from"], end=PERIOD["to"],
        requested_by="user-parent1", language="en", bucket=jobs.bucket(), key=f"diary/demo/{export_id}/a.zip",
        file_name="a.zip")
    return events.make_event(payload, tenant="demo", source="exports")


def _names(exports, export_id: str) -> list[str]:
    s3 = exports.lib.jobs.aws.client("s3")
    body = s3.get_object(Bucket=exports.lib.jobs.bucket(), Key=f"diary/demo/{export_id}/a.zip")["Body"].read()
    return zipfile.ZipFile(io.BytesIO(body)).namelist()


def test_consent_at_the_moment_of_the_export_decides_what_goes_in(world, staff, parent, timeline, services, bus):
    exports = services["exports"]
    photos, _report, _own = _history(world, staff, parent, timeline)
    consent(world, "parent4@demo.ouderportaal.nl", "child-yara", photos=False)  # the shared photo goes
    handle = timeline.module.app.event_handlers["exports.diary.requested"]
    export_id = "exp-" + "0" * 26
    envelope = _request(export_id, exports)
    handle(envelope)
    names = _names(exports, export_id)
    jpegs = [n for n in names if n.endswith(".jpg")]
    assert len(jpegs) == 2 and not [n for n in jpegs if photos["both"][-8:] in n]
    assert "index.html" in names and any(n.endswith("_dagverslag.html") for n in names)
    index = zipfile.ZipFile(io.BytesIO(exports.lib.jobs.aws.client("s3").get_object(
        Bucket=exports.lib.jobs.bucket(), Key=f"diary/demo/{export_id}/a.zip")["Body"].read())).read("index.html")
    assert b"Diary of Noor de Vries" in index  # the language of the request
    # The same request again (a redelivery): no second job, no second upload.
    handle(envelope)
    job = timeline.lib.archive.store.job_state("demo", export_id)
    assert job.status == "done" and job.step == 1
    # A stale continuation of a finished job does nothing.
    step = timeline.module.app.event_handlers["timeline.archive.continue"]
    step(events.make_event(portal_common.contracts.timeline.ArchiveContinue(export_id=export_id, step=0), tenant="demo",
                           source="timeline"))
    assert timeline.lib.archive.store.job_state("demo", export_id).step == 1


def test_without_diary_consent_only_photos_go_in_and_the_purge_takes_the_archive_state(
        world, staff, parent, timeline, services, monkeypatch):
    exports = services["exports"]
    _history(world, staff, parent, timeline)
    mark = {"photos": True, "diary": False, "outings": True}
    from tests.auth_helpers import demo_login_header
    assert world.put("/auth/children/child-noor/consents", headers=demo_login_header(
        world, "parent2@demo.ouderportaal.nl"), json=mark).status_code == 200
    export_id = "exp-" + "1" * 26
    monkeypatch.setattr(timeline.lib.archive.steps, "STEP_SECONDS", 0.0)
    monkeypatch.setattr(timeline.lib.archive.steps, "run_step", lambda *a, **k: False)  # stop after the start
    timeline.module.app.event_handlers["exports.diary.requested"](_request(export_id, exports))
    purge = timeline.lib.retention.purge
    assert [x for x in purge.verify("demo", "child-noor", []) if "archives" in x]  # state waits in tmp/
    monkeypatch.undo()
    timeline.lib.archive.steps.run_step(timeline.module.outbox, "demo", export_id, 0)
    names = _names(exports, export_id)
    assert not [n for n in names if n.startswith("dagboek/")] and len([n for n in names if n.endswith(".jpg")]) == 3
    purge.purge_child("demo", "child-noor")
    assert purge.verify("demo", "child-noor", []) == []
