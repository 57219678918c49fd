"""What the end-to-end tests share: a client of the local stack, waiting for what travels through the queues,
the dev mailbox, and families of a test's own.

All end-to-end tests share one stack (tests/e2e/conftest.py). So a test that changes something others could
see works on data of its own: `new_family` makes a child and an activated guardian (with a contract when
asked), and `Client` sends from its own loopback address, because the stack throttles per address.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter

DOMAIN = "demo.ouderportaal.nl"
PASSWORD = "Demo-Ouderportaal-2026"
WAIT = 90.0  # generous: events travel SNS → SQS → the stack's pollers, on a busy machine too
WHOLE_DAY = {"start": "07:30", "end": "18:30"}


def eventually(probe: Callable[[], Any], what: str, seconds: float = WAIT) -> Any:
    """`probe()`'s first truthy answer, asked again until it comes (or fail, naming `what`)."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)


class Client(requests.Session):
    """A session from its own loopback address (127.x.y.z): the stack's throttles count per source address,
    so one test's attempts never hold back another's."""

    def __init__(self, base: str, address: str | None = None) -> None:
        super().__init__()
        self.base = base
        self.address = address or f"127.0.{uuid.uuid4().int % 250 + 2}.{uuid.uuid4().int % 250 + 2}"
        adapter = HTTPAdapter()
        adapter.init_poolmanager(10, 10, source_address=(self.address, 0))
        self.mount("http://", adapter)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.request(method, self.base + path, timeout=30, **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> requests.Response:
        return self.call("POST", "/auth/login", json={"organisation": DOMAIN, "email": email, "password": password})

    def bearer(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        answer = self.login(email, password)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def today(self) -> str:
        return str(self.call("GET", "/dev/clock").json()["now"][:10])


def mails_to(client: Client, address: str) -> list[dict[str, Any]]:
    """Every mail to `address` in the dev mailbox, newest first."""
    return [m for m in client.call("GET", "/dev/mail.json").json() if address in m["to"]]


def new_mail(client: Client, address: str, seen: int, subject: str) -> dict[str, Any]:
    """The first mail to `address` after the `seen` earlier ones whose subject contains `subject`."""
    def probe() -> dict[str, Any] | None:
        mails = mails_to(client, address)  # newest first
        return next((m for m in reversed(mails[: max(0, len(mails) - seen)]) if subject in m["subject"]), None)
    return eventually(probe, f"a mail '{subject}' to {address}")


def link_token(mail: dict[str, Any], page: str) -> str:
    found = re.search(rf"/{page}\.html#token=([\w-]+)", mail["text"])
    assert found, mail["text"]
    return found.group(1)


def new_family(client: Client, admin: dict[str, str], group_id: str = "grp-rupsen", *,
               days: dict[str, dict[str, str]] | None = None, language: str = "nl") -> dict[str, str]:
    """A child of its own in `group_id` since 2025-09-01 and a guardian who has activated their account
    (password PASSWORD); with `days` (ISO weekday → times), a regular contract for those days too."""
    tag = uuid.uuid4().hex[:8]
    child = client.call("POST", "/auth/admin/children", headers=admin, json={
        "name": f"Kind {tag}", "birth_date": "2024-02-02", "group_id": group_id, "start": "2025-09-01"})
    assert child.status_code == 201, child.text
    child_id = child.json()["id"]
    email = f"ouder-{tag}@example.nl"
    guardian = client.call("POST", "/auth/admin/guardians", headers=admin, json={
        "name": f"Ouder {tag}", "email": email, "language": language, "child_ids": [child_id]})
    assert guardian.status_code == 201, guardian.text
    user_id = guardian.json()["id"]
    assert client.call("POST", f"/auth/admin/users/{user_id}/activation", headers=admin).status_code == 202
    mail = new_mail(client, email, 0, "ctiveer" if language == "nl" else "ctivate")
    activated = client.call("POST", "/auth/activate", json={"token": link_token(mail, "activate"),
                                                            "password": PASSWORD})
    assert activated.status_code == 200, activated.text
    if days is not None:
        def contract() -> requests.Response | None:  # planning learns of the child through the queues
            made = client.call("POST", f"/planning/admin/children/{child_id}/contracts", headers=admin, json={
                "product": "regular", "group_id": group_id, "start": "2025-09-01", "hourly_rate_cents": 1052,
                "days": days})
            return made if made.status_code == 201 else None
        eventually(contract, f"a contract for {child_id}")
    return {"child_id": child_id, "email": email, "user_id": user_id, "today": client.today(),
            "name": f"Kind {tag}"}


def consent(client: Client, headers: dict[str, str], child_id: str, *, photos: bool = True) -> None:
    answer = client.call("PUT", f"/auth/children/{child_id}/consents", headers=headers,
                         json={"photos": photos, "diary": True, "outings": True})
    assert answer.status_code == 200, answer.text
