"""The diary download on the real local stack (`python -m infra.local`): Sanne asks for Noor's last weeks,
the timeline builds the ZIP into the exports bucket through the queues, the e-mail with the link reaches the
dev mailbox, and the link (with her session) redirects to a ZIP that browses offline with full-size photos.
"""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime, timedelta

import pytest
import requests

from tests.e2e.test_local_stack_notifications import _eventually
from tests.e2e.test_local_stack_uploads import _headers

pytestmark = pytest.mark.e2e


def test_a_parent_downloads_the_diary_from_the_link_in_the_email(stack):
    base = stack.base_url
    sanne = _headers(base, "parent1@demo.ouderportaal.nl")
    today = date.fromisoformat(requests.get(f"{base}/dev/clock", timeout=10).json()["now"][:10])
    asked = requests.post(f"{base}/exports/diary", headers=sanne, timeout=10, json={
        "child_id": "child-noor", "from": (today - timedelta(days=21)).isoformat(), "to": today.isoformat()})
    assert asked.status_code == 202, asked.text
    export_id = asked.json()["id"]
    deadline = time.monotonic() + 60
    while (state := requests.get(f"{base}/exports/{export_id}", headers=sanne, timeout=10).json())["status"] != "ready":
        assert time.monotonic() < deadline and state["status"] in ("queued", "running"), state
        time.sleep(0.3)
    assert state["counts"]["photos"] > 5 and state["counts"]["diary_pages"] > 5

    def mail():
        return [m for m in requests.get(f"{base}/dev/mail.json", timeout=5).json()
                if "parent1@demo.ouderportaal.nl" in m["to"] and "dagboek" in m["subject"]]

    found = _eventually(base, mail)
    assert found, stack.output()[-3000:]
    link = f"{base}/exports/{export_id}/download"
    assert link in found[0]["text"]
    assert requests.get(link, timeout=10, allow_redirects=False).status_code == 401  # no session, no archive
    redirect = requests.get(link, headers=sanne, timeout=10, allow_redirects=False)
    assert redirect.status_code == 302, redirect.text
    archive = zipfile.ZipFile(io.BytesIO(requests.get(redirect.headers["Location"], timeout=30).content))
    assert archive.testzip() is None and "index.html" in archive.namelist()
    photo = next(n for n in archive.namelist() if n.startswith("fotos/"))
    assert archive.read(photo)[:2] == b"\xff\xd8" and archive.getinfo(photo).file_size > 20_000  # full size
    assert datetime(*archive.getinfo(photo).date_time).date() <= today
