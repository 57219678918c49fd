"""A staff member's inbox and unread count with 100 and with 10,000 messages of history: DynamoDB calls
(flat) and time.

In-process over moto with the demo organisation. Four Rupsen families message staff1 through the real
API until there are 100 messages; then 9,900 older messages are written straight into the same
conversations (through the API that would take minutes of moto transactions, and only the history's
length matters here). moto sorts a whole partition per Query, so its time may grow where DynamoDB's
would not; the call count is what carries over, and it must not grow.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from portal_common.testing.calls import count_calls, total

FAMILIES = (("parent1", "child-noor"), ("parent4", "child-yara"), ("parent7", "child-zeynep"),
            ("parent10", "child-luuk"))


def _login(client: Any, who: str) -> dict[str, str]:
    answer = client.post("/auth/login", json={"organisation": "demo.ouderportaal.nl",
                                              "email": f"{who}@demo.ouderportaal.nl",
                                              "password": "Demo-Ouderportaal-2026"})
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def _measure(client: Any, staff: dict[str, str], conversation_id: str) -> dict[str, tuple[int, float, str]]:
    routes = {"inbox page": "/messaging/conversations?group_id=grp-rupsen&limit=20",
              "unread inbox": "/messaging/conversations?group_id=grp-rupsen&unread=true",
              "unread count": "/messaging/unread",
              "messages page": f"/messaging/conversations/{conversation_id}/messages?limit=20"}
    found = {}
    for name, path in routes.items():
        with count_calls() as calls:
            answer = client.get(path, headers=staff)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            client.get(path, headers=staff)
            times.append(time.perf_counter() - started)
        kinds = {k.removeprefix("dynamodb."): v for k, v in calls.items() if k.startswith("dynamodb.")}
        found[name] = (total(calls, "dynamodb"), statistics.median(times) * 1000, str(kinds))
    return found


def _history(lib: Any, conversation_ids: list[str], messages: int) -> None:
    """`messages` older messages, spread over the conversations, older than anything sent through the API."""
    from ulid import ULID

    from portal_common import store

    s = lib.conversations.store
    start = 1_700_000_000_000  # November 2023, in milliseconds
    with s.MessageItem.batch_write() as batch:
        for n in range(messages):
            conv = conversation_ids[n % len(conversation_ids)]
            ulid = str(ULID.from_timestamp((start + n * 60_000) / 1000)).lower()
            batch.save(s.MessageItem(store.key("demo", "CONV", conv), f"MSG#{ulid}",
                                     message_id=s.message_id(ulid), conversation_id=conv,
                                     sender_id="user-parent1", sender_name="Sanne", sender_role="parent",
                                     text=f"Bericht {n} uit de geschiedenis.", sent_at="2023-11-14T23:13:20+01:00"))


def main() -> None:
    from bench.inprocess import demo_system
    from infra.local.services import load

    print("== messaging inbox (in-process over moto, staff1's group Rupsen) ==")
    lib = load()["messaging"].lib
    with demo_system(deliver_events=True) as client:
        staff = _login(client, "staff1")
        conversation_ids = []
        for who, child in FAMILIES:
            parent = _login(client, who)
            started = client.post("/messaging/conversations", headers=parent, json={"child_id": child, "text": "Hoi!"})
            assert started.status_code in (200, 201), started.get_data(as_text=True)
            conversation_ids.append(started.json["id"])
        sent = len(FAMILIES)
        while sent < 100:
            conv = conversation_ids[sent % len(conversation_ids)]
            headers = staff if sent % 3 == 0 else _login(client, FAMILIES[sent % len(FAMILIES)][0])
            answer = client.post(f"/messaging/conversations/{conv}/messages", headers=headers,
                                 json={"text": f"Bericht {sent}"})
            assert answer.status_code == 201, answer.get_data(as_text=True)
            sent += 1
        short = _measure(client, staff, conversation_ids[0])
        _history(lib, conversation_ids, 9_900)
        long = _measure(client, staff, conversation_ids[0])
        for name in short:
            (c1, t1, k1), (c2, t2, _k2) = short[name], long[name]
            print(f"  {name:<14}    100 messages: {c1:2d} calls {t1:6.1f} ms   10,000 messages: {c2:2d} calls "
                  f"{t2:6.1f} ms   {k1}")


if __name__ == "__main__":
    main()
