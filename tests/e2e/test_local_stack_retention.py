"""Issue 8's retention and right of access on the real local stack (`python -m infra.local`), through the
queues and the dev clock:

- Emma (parent3, mother of Liam in the Bijen) asks for her personal data: every service delivers its part,
  the ZIP is packed, the e-mail with our API's link reaches the dev mailbox, and the link with her session
  downloads it;
- the administrator ends Liam's contract today; the dev clock moves past the end plus 8 weeks; auth's hourly
  job publishes the retention request, every service purges and confirms, the exports service verifies with
  a second round and keeps an audit; then a scan of every table and every bucket of the stack's moto
  server finds nothing of Liam or Emma but the invoices the law keeps, each with the day it goes.
"""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime, timedelta

import boto3
import pytest
import requests

from tests.e2e.test_local_stack_notifications import _eventually
from tests.e2e.test_local_stack_uploads import _headers
from tests.retention_scan import scan_everything
from tests.test_retention_flows import LIAM, kept_by_law, left_behind

pytestmark = pytest.mark.e2e


def _clients(base: str) -> dict:
    where = requests.get(f"{base}/dev/aws", timeout=10).json()
    return {name: boto3.client(name, endpoint_url=where["endpoint_url"], region_name=where["region"],
                               aws_access_key_id="testing", aws_secret_access_key="testing")
            for name in ("dynamodb", "s3")}


def _wait(what, seconds: float = 120.0, *, stack):
    deadline = time.monotonic() + seconds
    while not (found := what()):
        assert time.monotonic() < deadline, stack.output()[-3000:]
        time.sleep(0.5)
    return found


@pytest.mark.moves_clock_far(1)  # 8 weeks and a day: after the others, before the move to 2031
def test_a_parent_gets_her_personal_data_and_the_childs_purge_leaves_nothing_behind(stack):
    base = stack.base_url
    emma = _headers(base, "parent3@demo.ouderportaal.nl")
    asked = requests.post(f"{base}/exports/personal-data", headers=emma, timeout=10)
    assert asked.status_code == 202, asked.text
    export_id = asked.json()["id"]

    def ready():
        state = requests.get(f"{base}/exports/{export_id}", headers=emma, timeout=10).json()
        assert state["status"] in ("running", "ready"), state
        return state["status"] == "ready"

    _wait(ready, stack=stack)

    def mail():
        return [m for m in requests.get(f"{base}/dev/mail.json", timeout=5).json()
                if "parent3@demo.ouderportaal.nl" in m["to"] and f"/exports/{export_id}/download" in (m["text"] or "")]

    assert _eventually(base, mail), stack.output()[-3000:]
    redirect = requests.get(f"{base}/exports/{export_id}/download", headers=emma, timeout=10, allow_redirects=False)
    assert redirect.status_code == 302, redirect.text
    archive = zipfile.ZipFile(io.BytesIO(requests.get(redirect.headers["Location"], timeout=30).content))
    assert archive.testzip() is None and "README.txt" in archive.namelist()  # Emma reads English
    for part in ("auth/", "timeline/", "messaging/", "planning/", "exports/"):
        assert any(n.startswith(part) for n in archive.namelist()), (part, archive.namelist())
    assert "Emma Jansen" in archive.read("auth/profile.json").decode()

    clients = _clients(base)
    before = {h.where for h in scan_everything(clients, LIAM)}
    assert len(before) >= 5, before  # Liam and Emma are in every service's table and in buckets: the scan sees

    admin = _headers(base, "admin@demo.ouderportaal.nl")
    today = date.fromisoformat(requests.get(f"{base}/dev/clock", timeout=10).json()["now"][:10])
    ended = requests.put(f"{base}/auth/admin/children/child-liam/placements/2025-09-01", headers=admin,
                         json={"end": today.isoformat()}, timeout=10)
    assert ended.status_code == 200, ended.text
    now = datetime.fromisoformat(requests.get(f"{base}/dev/clock", timeout=10).json()["now"])
    later = datetime.combine(today + timedelta(weeks=8, days=1), now.timetz()) + timedelta(hours=1)
    moved = requests.post(f"{base}/dev/clock", json={"now": later.isoformat()}, timeout=300)
    assert moved.status_code == 200, moved.text

    def audited():
        admin_now = _headers(base, "admin@demo.ouderportaal.nl")
        return requests.get(f"{base}/exports/purges", headers=admin_now, timeout=10).json()["items"]

    [audit] = _wait(audited, stack=stack)
    assert audit["rounds"] >= 2 and audit["guardians_removed"] == 1
    assert set(audit["services"]) == {"auth", "timeline", "messaging", "planning", "exports"}
    after = scan_everything(clients, LIAM)
    assert left_behind(after) == []
    assert kept_by_law(after)  # the demo's invoices and annual statements of Liam, each with the day it goes
    assert requests.post(f"{base}/auth/login", timeout=10, json={
        "organisation": "demo.ouderportaal.nl", "email": "parent3@demo.ouderportaal.nl",
        "password": "Demo-Ouderportaal-2026"}).status_code == 401
