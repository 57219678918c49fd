"""The idempotent SQS consumer with partial batch failures, on a moto-backed inbox table."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from chalice.test import Client

from portal_common.consumer import LOCK_SECONDS, Inbox, handle_batch
from portal_common.events import Envelope
from portal_common.service import PortalApp

TYPE = "pctest.thing.happened"


@pytest.fixture
def inbox(table, clock) -> Inbox:
    box = Inbox("pctest")
    table(box.model)
    return box


class Handlers:
    """Counts calls per event id; fails for the ids in `failing`."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.failing: set[str] = set()

    def __call__(self, env: Envelope) -> None:
        self.calls[env.event_id] += 1
        if env.event_id in self.failing:
            raise RuntimeError("downstream unavailable")

    @property
    def table(self) -> dict:
        return {TYPE: self}


def env(event_id: str, kind: str = TYPE) -> Envelope:
    return Envelope(event_id=event_id, type=kind, version=1, tenant="t1", occurred_at="2026-03-03T09:00:00+01:00",
                    source="pctest", payload={})


def record(message_id: str, event: Envelope | str) -> dict[str, str]:
    return {"messageId": message_id, "body": event if isinstance(event, str) else event.to_json()}


def failed(result: dict) -> list[str]:
    return [f["itemIdentifier"] for f in result["batchItemFailures"]]


def test_each_event_is_processed_once(inbox):
    handlers = Handlers()
    result = handle_batch(inbox, [record("m1", env("e1")), record("m2", env("e2"))], handlers.table)
    assert failed(result) == []
    assert handlers.calls == {"e1": 1, "e2": 1}
    assert inbox.seen("e1") and inbox.seen("e2") and not inbox.seen("e3")


def test_duplicate_in_one_batch_is_processed_once(inbox):
    handlers = Handlers()
    result = handle_batch(inbox, [record("m1", env("e1")), record("m2", env("e1"))], handlers.table)
    assert failed(result) == []
    assert handlers.calls == {"e1": 1}


def test_redelivery_in_a_later_batch_is_acknowledged_without_running_again(inbox, clock):
    handlers = Handlers()
    handle_batch(inbox, [record("m1", env("e1"))], handlers.table)
    clock.advance(timedelta(days=3))
    result = handle_batch(inbox, [record("m1-again", env("e1"))], handlers.table)
    assert failed(result) == []
    assert handlers.calls == {"e1": 1}


def test_sns_wrapped_body_is_handled(inbox):
    handlers = Handlers()
    wrapped = json.dumps({"Type": "Notification", "Message": env("e1").to_json()})
    assert failed(handle_batch(inbox, [record("m1", wrapped)], handlers.table)) == []
    assert handlers.calls == {"e1": 1}


def test_a_failing_handler_fails_only_its_record(inbox):
    handlers = Handlers()
    handlers.failing = {"e2"}
    batch = [record("m1", env("e1")), record("m2", env("e2")), record("m3", env("e3"))]
    result = handle_batch(inbox, batch, handlers.table)
    assert failed(result) == ["m2"]
    assert handlers.calls == {"e1": 1, "e2": 1, "e3": 1}
    assert not inbox.seen("e2")


def test_a_failed_event_succeeds_when_retried(inbox):
    handlers = Handlers()
    handlers.failing = {"e2"}
    handle_batch(inbox, [record("m2", env("e2"))], handlers.table)
    handlers.failing = set()
    result = handle_batch(inbox, [record("m2", env("e2"))], handlers.table)  # SQS redelivers at once
    assert failed(result) == []
    assert handlers.calls == {"e2": 2}
    assert inbox.seen("e2")
    handle_batch(inbox, [record("m2", env("e2"))], handlers.table)
    assert handlers.calls == {"e2": 2}


@pytest.mark.parametrize("body", ["not json", "", "{}", json.dumps({"type": "x"}), "[1, 2]",
                                  json.dumps({**json.loads(env("e9").to_json()), "occurred_at": "2026-03-03T09:00"})])
def test_unreadable_body_is_reported_failed(inbox, body):
    handlers = Handlers()
    result = handle_batch(inbox, [record("bad", body), record("m1", env("e1"))], handlers.table)
    assert failed(result) == ["bad"]
    assert handlers.calls == {"e1": 1}


def test_unknown_type_is_acknowledged(inbox):
    handlers = Handlers()
    result = handle_batch(inbox, [record("m1", env("e1", kind="pctest.nobody.cares"))], handlers.table)
    assert failed(result) == []
    assert handlers.calls == {}


def test_busy_claim_is_reported_failed_and_a_stale_lock_is_reclaimed(inbox, clock):
    assert inbox.begin("e1") == "claimed"  # another worker took it and is still working
    handlers = Handlers()
    assert failed(handle_batch(inbox, [record("m1", env("e1"))], handlers.table)) == ["m1"]
    clock.advance(timedelta(seconds=LOCK_SECONDS))
    assert failed(handle_batch(inbox, [record("m1", env("e1"))], handlers.table)) == ["m1"]
    assert handlers.calls == {}
    clock.advance(timedelta(seconds=1))  # that worker died: its lock has expired
    assert failed(handle_batch(inbox, [record("m1", env("e1"))], handlers.table)) == []
    assert handlers.calls == {"e1": 1}
    assert inbox.seen("e1")


def test_begin_reports_done_after_completion(inbox):
    assert inbox.begin("e1") == "claimed"
    assert inbox.begin("e1") == "busy"
    inbox.complete("e1")
    assert inbox.begin("e1") == "done"


def test_release_allows_a_new_claim(inbox):
    assert inbox.begin("e1") == "claimed"
    inbox.release("e1")
    assert inbox.begin("e1") == "claimed"


def test_processed_rows_are_remembered_longer_than_sqs_keeps_messages(inbox, clock):
    inbox.begin("e1")
    inbox.complete("e1")
    row = inbox.model.get("_INBOX#e1", "_")
    assert row.expires_at - clock.now().timestamp() > 14 * 24 * 3600


def test_consume_wires_the_handlers_into_a_lambda(table, clock):
    app = PortalApp("pctest")
    handlers = Handlers()
    app.consume(handlers.table)
    table(app.inbox.model)
    assert app.consumed_event_types == {TYPE}
    with Client(app) as client:
        event = client.events.generate_sqs_event(message_bodies=[env("e1").to_json()], queue_name="test-pctest-events")
        result = client.lambda_.invoke("on_events", event).payload
    assert result == {"batchItemFailures": []}
    assert handlers.calls == {"e1": 1}
