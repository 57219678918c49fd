"""A photo upload on the real local stack: staff1 asks for an upload, posts a JPEG straight to the presigned
URL (the stack's moto server), S3 notifies the timeline's uploads queue and the stack's poller runs
`process_uploads`: blocked while the child has no photo consent, published once its parent has given it."""

from __future__ import annotations

import io
import time

import pytest
import requests
from PIL import Image

pytestmark = pytest.mark.e2e
DOMAIN = "demo.ouderportaal.nl"
PASSWORD = "Demo-Ouderportaal-2026"
NOOR = "child-noor"  # Rupsen, where staff1 works (infra/local/demo_data.py)


def _headers(base: str, email: str) -> dict[str, str]:
    answer = requests.post(f"{base}/auth/login", json={"organisation": DOMAIN, "email": email, "password": PASSWORD},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def _upload(base: str, staff: dict[str, str], child_ids: list[str] | None = None) -> str:
    data = _jpeg()
    deadline = time.monotonic() + 60
    while True:  # the timeline learns a new child's placement from auth's events, a moment later
        started = requests.post(f"{base}/timeline/uploads", headers=staff, timeout=10, json={
            "group_id": "grp-rupsen", "child_ids": [NOOR] if child_ids is None else child_ids,
            "content_type": "image/jpeg", "size": len(data)})
        if started.status_code != 422 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert started.status_code == 201, started.text
    form = started.json()
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("photo.jpg", data)}, timeout=10)
    assert sent.status_code in (200, 204), sent.text
    return str(form["upload_id"])


def _settled(base: str, staff: dict[str, str], upload_id: str, seconds: float = 15.0) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        answer = requests.get(f"{base}/timeline/uploads/{upload_id}", headers=staff, timeout=10)
        assert answer.status_code == 200, answer.text
        state = answer.json()
        if state["status"] != "processing" or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def test_an_upload_is_processed_from_the_bucket_notification_blocked_then_published(stack):
    """A child of the test's own, in the Rupsen, whose parent has given no photo consent yet."""
    from tests.e2e.helpers import Client, consent, new_family

    base = stack.base_url
    with Client(base) as client:
        family = new_family(client, client.bearer("admin@demo.ouderportaal.nl"))
        child = family["child_id"]
        staff = _headers(base, "staff1@demo.ouderportaal.nl")
        blocked = _settled(base, staff, _upload(base, staff, [child]))
        assert (blocked["status"], blocked["reason"], blocked["blocked_children"]) == (
            "blocked", "no_photo_consent", [child]), blocked

        consent(client, client.bearer(family["email"]), child)
        # The consent reaches the timeline's copy through the event queue: wait for it, then upload again.
        deadline = time.monotonic() + 60
        while True:
            published = _settled(base, staff, _upload(base, staff, [child]))
            if published["status"] == "published" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert published["status"] == "published" and published["photo_id"].startswith("pho-"), published
