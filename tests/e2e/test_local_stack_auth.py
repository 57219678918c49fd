"""The auth flows a new parent goes through, on the real local stack over HTTP: invitation, the e-mail in
the dev mailbox, activation, sign-in, me; and a password reset."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
import requests

pytestmark = pytest.mark.e2e
DOMAIN = "demo.ouderportaal.nl"
PASSWORD = "Demo-Ouderportaal-2026"


def _login(base: str, email: str, password: str = PASSWORD) -> requests.Response:
    return requests.post(f"{base}/auth/login", json={"organisation": DOMAIN, "email": email, "password": password},
                         timeout=10)


def _mail_to(base: str, address: str, subject: str = "") -> dict:
    """The newest mail to `address` (with `subject` in its subject), waiting for it: account mails go out
    from auth's own queue consumer, a moment after the request that asked for them."""
    deadline = time.monotonic() + 60
    while True:
        mails = [m for m in requests.get(f"{base}/dev/mail.json", timeout=5).json()
                 if address in m["to"] and subject in m["subject"]]
        if mails:
            return mails[0]
        assert time.monotonic() < deadline, f"no mail to {address}"
        time.sleep(0.2)


def test_an_invited_parent_goes_from_the_activation_e_mail_to_signing_in(stack):
    base = stack.base_url
    admin = {"Authorization": f"Bearer {_login(base, 'admin@demo.ouderportaal.nl').json()['access_token']}"}
    invited = requests.post(f"{base}/auth/admin/guardians", headers=admin, timeout=10, json={
        "name": "Lisa de Wit", "email": "lisa.dewit@example.nl", "language": "en", "child_ids": ["child-sem"]})
    assert invited.status_code == 201, invited.text
    # Sem's contract started long ago: the mail is due now; moving the dev clock fires the schedule.
    now = datetime.fromisoformat(requests.get(f"{base}/dev/clock", timeout=5).json()["now"])
    moved = requests.post(f"{base}/dev/clock", json={"now": (now + timedelta(minutes=6)).isoformat()}, timeout=30)
    assert "send_due_activations" in str(moved.json()["fired"])
    mail = _mail_to(base, "lisa.dewit@example.nl")
    assert "Activate your account" in mail["subject"]
    token = re.search(r"/activate\.html#token=([\w-]+)", mail["text"]).group(1)
    assert f'href="{base}/activate.html#token={token}"' in mail["html"]
    page = requests.get(f"{base}/activate.html", timeout=5)
    assert page.status_code == 200 and "/auth/activate" in requests.get(f"{base}/assets/password.js", timeout=5).text
    activated = requests.post(f"{base}/auth/activate", json={"token": token, "password": "sem-heeft-een-broertje"},
                              timeout=10)
    assert activated.status_code == 200, activated.text
    signed_in = _login(base, "lisa.dewit@example.nl", "sem-heeft-een-broertje")
    assert signed_in.status_code == 200
    me = requests.get(f"{base}/auth/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"},
                      timeout=10).json()
    assert [c["name"] for c in me["children"]] == ["Sem Bakker"] and me["language"] == "en"


def test_a_parent_resets_a_forgotten_password_through_the_mailbox(stack):
    """On a parent of the test's own (the stack is shared: the demo's parents keep their password)."""
    from tests.e2e.helpers import Client, new_family

    with Client(stack.base_url) as client:
        email = new_family(client, client.bearer("admin@demo.ouderportaal.nl"))["email"]
    base = stack.base_url
    answer = requests.post(f"{base}/auth/password/forgot", timeout=10, json={"organisation": DOMAIN, "email": email})
    assert answer.status_code == 202
    mail = _mail_to(base, email, "Nieuw wachtwoord")
    token = re.search(r"/reset\.html#token=([\w-]+)", mail["text"]).group(1)
    assert requests.post(f"{base}/auth/password/reset", json={"token": token, "password": "luuk-is-jarig-vandaag"},
                         timeout=10).status_code == 204
    assert _login(base, email).status_code == 401
    assert _login(base, email, "luuk-is-jarig-vandaag").status_code == 200
