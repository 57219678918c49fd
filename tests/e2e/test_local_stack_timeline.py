"""The timeline's "done when" on the real local stack (`python -m infra.local`).

staff1 (Rupsen) uploads a photo of a child and a group photo and writes the child's report of the day with
the photo; the child's mother (a family of the test's own: the stack is shared) sees both photos and the
report in her timeline with working thumbnails and downloads; Emma, a parent in another group (Bijen),
sees none of it; when the mother withdraws the photo consent, the child's photo disappears from her
timeline (the group photo stays).
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.e2e.helpers import Client, consent, new_family
from tests.e2e.test_local_stack_uploads import _headers, _settled, _upload

pytestmark = pytest.mark.e2e


def _upload_published(base: str, staff: dict[str, str], child_ids: list[str]) -> str:
    upload_id = _upload(base, staff, child_ids)
    state = _settled(base, staff, upload_id)
    assert state["status"] == "published", state
    return str(state["photo_id"])


def _feed(base: str, headers: dict[str, str]) -> dict[str, dict]:
    answer = requests.get(f"{base}/timeline/feed?limit=50", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return {item["id"]: item for item in answer.json()["items"]}


def test_staff_publish_the_right_parents_see_it_and_a_withdrawn_consent_hides_it(stack):
    base = stack.base_url
    with Client(base) as client:
        family = new_family(client, client.bearer("admin@demo.ouderportaal.nl"))
        sanne = client.bearer(family["email"])
        consent(client, sanne, family["child_id"])
    child = family["child_id"]
    staff = _headers(base, "staff1@demo.ouderportaal.nl")
    deadline = time.monotonic() + 60
    while True:  # the consent reaches the timeline through the queue
        state = _settled(base, staff, _upload(base, staff, [child]))
        if state["status"] == "published" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert state["status"] == "published", state
    noor_photo = str(state["photo_id"])
    group_photo = _upload_published(base, staff, [])
    today = requests.get(f"{base}/dev/clock", timeout=10).json()["now"][:10]
    written = requests.post(f"{base}/timeline/diary", headers=staff, timeout=10, json={
        "child_id": child, "date": today, "text": "Noor heeft vandaag met klei gewerkt.",
        "rhythm": [{"kind": "sleep", "time": "12:30", "note": "1,5 uur"}], "photo_ids": [noor_photo]})
    assert written.status_code == 201, written.text  # the day's first report of this child
    report_id = written.json()["id"]

    feed = _feed(base, sanne)
    assert {noor_photo, group_photo, report_id} <= set(feed)
    report = feed[report_id]
    assert report["kind"] == "diary" and report["text"] == "Noor heeft vandaag met klei gewerkt."
    assert [p["id"] for p in report["photos"]] == [noor_photo]
    thumb = requests.get(feed[noor_photo]["photos"][0]["thumb_url"], timeout=10)
    assert thumb.status_code == 200 and thumb.content.startswith(b"\xff\xd8")
    link = requests.get(f"{base}/timeline/photos/{noor_photo}/download", headers=sanne, timeout=10)
    assert link.status_code == 200, link.text
    full = requests.get(link.json()["url"], timeout=10)
    assert full.status_code == 200 and full.content.startswith(b"\xff\xd8")
    slug = family["name"].lower().replace(" ", "-")  # "Kind 1a2b3c4d" → kind-1a2b3c4d
    assert full.headers["Content-Disposition"] == f'attachment; filename="{slug}-{today}.jpg"'
    page_link = requests.get(f"{base}/timeline/diary/{report_id}/download", headers=sanne, timeout=10)
    assert page_link.status_code == 200, page_link.text
    page = requests.get(page_link.json()["url"], timeout=10).text
    assert "Noor heeft vandaag met klei gewerkt." in page and "data:image/jpeg;base64," in page
    access = requests.get(f"{base}/timeline/children/{child}/photo-access", headers=sanne, timeout=10).json()
    assert {(e["photo_id"], e["action"]) for e in access["items"]} >= {(noor_photo, "download")}

    emma = _headers(base, "parent3@demo.ouderportaal.nl")  # Liam's mother, Bijen
    assert not {noor_photo, group_photo, report_id} & set(_feed(base, emma))
    assert requests.get(f"{base}/timeline/photos/{noor_photo}", headers=emma, timeout=10).status_code == 404
    assert requests.get(f"{base}/timeline/diary/{report_id}", headers=emma, timeout=10).status_code == 404

    withdrawn = requests.put(f"{base}/auth/children/{child}/consents", headers=sanne, timeout=10,
                             json={"photos": False, "diary": True, "outings": True})
    assert withdrawn.status_code == 200, withdrawn.text
    deadline = time.monotonic() + 15
    while noor_photo in _feed(base, sanne) and time.monotonic() < deadline:
        time.sleep(0.3)  # the withdrawal reaches the timeline through the event queue
    feed = _feed(base, sanne)
    assert noor_photo not in feed and group_photo in feed
    assert feed[report_id]["photos"] == []  # the report stays (diary consent), without the photo
    assert requests.get(f"{base}/timeline/photos/{noor_photo}", headers=sanne, timeout=10).status_code == 404
