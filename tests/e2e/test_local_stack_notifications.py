"""Notifications on the real local stack (`python -m infra.local`): events travel SNS → SQS, the minute
schedule fires when the dev clock moves.

Sanne (parent1) registers her phone and asks the Vlinders staff something about Daan; they answer; a
little later Sanne finds the notification in the dev mailbox (`/dev/mail.json`) and on her phone
(`/dev/push.json`), without the answer's text. A manager's news item for the location reaches
the location's parents (push: news has no e-mail by default), not the staff.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import requests

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
    stack.wait_for_demo()
    sanne, vlinders = _headers(base, "parent1@demo.ouderportaal.nl"), _headers(base, "staff2@demo.ouderportaal.nl")
    device = requests.post(f"{base}/auth/me/devices", headers=sanne, json={"platform": "fcm", "token": "e2e-phone-1"},
                           timeout=10)
    assert device.status_code == 201, device.text
    deadline = time.monotonic() + 60
    while True:  # the demo's directory reaches messaging's copies through the queues after start-up
        started = requests.post(f"{base}/messaging/conversations", headers=sanne, timeout=10,
                                json={"child_id": "child-daan", "text": "Mag Daan morgen later komen?"})
        if started.status_code not in (404, 422) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert started.status_code == 201, started.text  # (Noor's conversation is the demo's, with its own notices)
    answered = requests.post(f"{base}/messaging/conversations/{started.json()['id']}/messages", headers=vlinders,
                             json={"text": "Ja hoor, tot morgen!"}, timeout=10)
    assert answered.status_code == 201, answered.text

    def mail():
        return [m for m in requests.get(f"{base}/dev/mail.json", timeout=5).json()
                if "parent1@demo.ouderportaal.nl" in m["to"] and "Vlinders" in m["subject"]]

    found = _eventually(base, mail)
    assert found, stack.output()[-3000:]
    assert found[0]["subject"] == "Nieuw bericht van de Vlinders over Daan de Vries"
    assert "tot morgen" not in (found[0]["text"] or "")  # the answer itself stays in the portal
    assert "Nieuw bericht van de Vlinders over Daan" in _pushes(base, "user-parent1")


def test_a_managers_news_reaches_the_locations_parents_not_the_staff(stack):
    base = stack.base_url
    stack.wait_for_demo()
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
