"""Notifications on the real local stack (`python -m infra.local`): events travel SNS → SQS, the minute
schedule fires when the dev clock moves.

A parent (a family of the test's own, in the Vlinders) registers her phone and asks the Vlinders staff
something about her child; they answer; a little later she finds the notification in the dev mailbox
(`/dev/mail.json`) and on her phone (`/dev/push.json`), without the answer's text. A manager's news item for
the location reaches the location's parents (push: news has no e-mail by default), not the staff.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import requests

from tests.e2e.helpers import Client, eventually, new_family
from tests.e2e.test_local_stack_uploads import _headers

pytestmark = pytest.mark.e2e


def _move_clock(base: str, minutes: int) -> None:
    now = datetime.fromisoformat(requests.get(f"{base}/dev/clock", timeout=5).json()["now"])
    moved = requests.post(f"{base}/dev/clock", json={"now": (now + timedelta(minutes=minutes)).isoformat()},
                          timeout=60)
    assert moved.status_code == 200, moved.text


def _eventually(base: str, found, seconds: float = 60.0):
    """Move the clock a few minutes at a time until `found()` answers (events reach the queues meanwhile)."""
    deadline = time.monotonic() + seconds
    while True:
        _move_clock(base, 2)
        answer = found()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def _pushes(base: str, user_id: str) -> list[str]:
    devices = requests.get(f"{base}/dev/push.json", timeout=5).json()
    return [text for d in devices if d["user_id"] == user_id for text in d["pushes"]]


def test_a_parent_finds_the_staffs_answer_in_the_dev_mailbox_and_on_her_phone(stack):
    base = stack.base_url
    with Client(base) as client:  # a family of the test's own in the Vlinders: the stack is shared
        family = new_family(client, client.bearer("admin@demo.ouderportaal.nl"), "grp-vlinders")
        sanne = client.bearer(family["email"])
    vlinders = _headers(base, "staff2@demo.ouderportaal.nl")
    device = requests.post(f"{base}/auth/me/devices", headers=sanne, timeout=10,
                           json={"platform": "fcm", "token": f"e2e-phone-{family['user_id']}"})
    assert device.status_code == 201, device.text

    def start():  # messaging learns of the new family through the queues
        answer = requests.post(f"{base}/messaging/conversations", headers=sanne, timeout=10,
                               json={"child_id": family["child_id"], "text": "Mag hij morgen later komen?"})
        return answer if answer.status_code not in (404, 422) else None
    started = eventually(start, "messaging knowing the new family")
    assert started.status_code == 201, started.text
    answered = requests.post(f"{base}/messaging/conversations/{started.json()['id']}/messages", headers=vlinders,
                             json={"text": "Ja hoor, tot morgen!"}, timeout=10)
    assert answered.status_code == 201, answered.text

    def mail():
        return [m for m in requests.get(f"{base}/dev/mail.json", timeout=5).json()
                if family["email"] in m["to"] and "Vlinders" in m["subject"]]

    found = _eventually(base, mail)
    assert found, stack.output()[-3000:]
    notice = f"Nieuw bericht van de Vlinders over {family['name']}"
    assert found[0]["subject"] == notice
    assert "tot morgen" not in (found[0]["text"] or "")  # the answer itself stays in the portal
    first_name = family["name"].split()[0]  # a push shows the child's first name only
    assert f"Nieuw bericht van de Vlinders over {first_name}" in _pushes(base, family["user_id"])


def test_a_managers_news_reaches_the_locations_parents_not_the_staff(stack):
    base = stack.base_url
    emma, ilse = _headers(base, "parent3@demo.ouderportaal.nl"), _headers(base, "staff1@demo.ouderportaal.nl")
    for who, token in ((emma, "e2e-phone-emma"), (ilse, "e2e-phone-ilse")):
        assert requests.post(f"{base}/auth/me/devices", headers=who, json={"platform": "apns", "token": token},
                             timeout=10).status_code == 201
    manager = _headers(base, "manager@demo.ouderportaal.nl")
    posted = requests.post(f"{base}/messaging/news", headers=manager, timeout=10, json={
        "title": "Open dag", "body": "Zaterdag is iedereen welkom.", "location_id": "loc-zonnebloem"})
    assert posted.status_code == 201, posted.text
    found = _eventually(base, lambda: [p for p in _pushes(base, "user-parent3") if "Open dag" in p])
    assert found == ["News from Kindcentrum De Zonnebloem: Open dag"], stack.output()[-3000:]
    assert not [p for p in _pushes(base, "user-staff1") if "Open dag" in p]
