"""SQS batch consumer: idempotent on `event_id`, reporting partial batch failures.

    @app.on_sqs_message(queue=settings.queue_name("messaging"), batch_size=10)
    def on_events(event):
        return consumer.handle_batch(INBOX, event, HANDLERS)

- Each record is parsed as an envelope; a record that cannot be parsed is reported failed, so SQS
  retries it and finally moves it to the DLQ where an operator can look at it.
- An `event_id` already processed is acknowledged without running the handler again.
- An `event_id` being processed right now by another worker is reported failed (retried later).
- A handler that raises is reported failed; the other records of the batch are not affected.

`handle_object_notices` does the same for S3 event notifications (no inbox: S3 gives no stable id).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from . import clock
from .events import Envelope, envelope_from_sqs_body
from .store import MainItem, table_meta

log = logging.getLogger("portal.consumer")
objects_log = logging.getLogger("portal.objects")
LOCK_SECONDS = 300
REMEMBER_SECONDS = 15 * 24 * 3600  # longer than SQS can keep a message (14 days)

Handler = Callable[[Envelope], None]


class InboxRow(MainItem):
    status = UnicodeAttribute()
    locked_until = NumberAttribute()


class Inbox:
    """Which events this service has processed (rows `_INBOX#<event_id>` in its main table)."""

    def __init__(self, service: str) -> None:
        self.model: type[InboxRow] = type(f"{service.title()}InboxRow", (InboxRow,), {"Meta": table_meta(service)})

    @staticmethod
    def _key(event_id: str) -> tuple[str, str]:
        return f"_INBOX#{event_id}", "_"

    def begin(self, event_id: str) -> str:
        """Claim an event: returns `claimed`, `done` (seen before) or `busy` (another worker has it)."""
        now = int(clock.utcnow().timestamp())
        pk, sk = self._key(event_id)
        row = self.model(pk, sk, status="in_progress", locked_until=now + LOCK_SECONDS,
                         expires_at=now + REMEMBER_SECONDS)
        m = self.model
        try:
            row.save(condition=m.pk.does_not_exist() | ((m.status == "in_progress") & (m.locked_until < now)))
            return "claimed"
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
        existing = self.model.get(pk, sk, consistent_read=True)
        return "done" if existing.status == "done" else "busy"

    def complete(self, event_id: str) -> None:
        pk, sk = self._key(event_id)
        self.model(pk, sk).update(actions=[self.model.status.set("done")])

    def release(self, event_id: str) -> None:
        pk, sk = self._key(event_id)
        self.model(pk, sk).delete()

    def seen(self, event_id: str) -> bool:
        pk, sk = self._key(event_id)
        try:
            return self.model.get(pk, sk, consistent_read=True).status == "done"
        except self.model.DoesNotExist:
            return False


def _message_id(record: Any) -> str:
    if isinstance(record, dict):
        return str(record.get("messageId"))
    return str(record.to_dict().get("messageId"))


def _body(record: Any) -> str:
    return str(record["body"] if isinstance(record, dict) else record.body)


def combine(*maps: dict[str, Handler]) -> dict[str, Handler]:
    """One handler map from several modules' maps; an event type several modules handle runs each of
    their handlers in turn (each must be idempotent: a failure retries the event, so all run again)."""
    combined: dict[str, list[Handler]] = {}
    for handlers in maps:
        for event_type, handler in handlers.items():
            combined.setdefault(event_type, []).append(handler)

    def chain(handlers: list[Handler]) -> Handler:
        if len(handlers) == 1:
            return handlers[0]

        def run_all(env: Envelope) -> None:
            for handler in handlers:
                handler(env)
        # Each handler's contract (events.typed), for the guards: a chain is typed when all its links are.
        run_all.contracts = [getattr(h, "contract", None) for h in handlers]  # type: ignore[attr-defined]
        return run_all

    return {event_type: chain(handlers) for event_type, handlers in combined.items()}


def handle_one(inbox: Inbox, env: Envelope, handlers: dict[str, Handler]) -> bool:
    """Process one envelope; True when it is done (now or before), False to retry later."""
    handler = handlers.get(env.type)
    if handler is None:
        log.warning("no handler for event type", extra={"event_type": env.type})
        return True
    state = inbox.begin(env.event_id)
    if state == "done":
        return True
    if state == "busy":
        return False
    try:
        handler(env)
    except Exception:
        log.exception("event handler failed", extra={"event_type": env.type, "event_id": env.event_id})
        inbox.release(env.event_id)
        return False
    inbox.complete(env.event_id)
    return True


def handle_batch(inbox: Inbox, records: Iterable[Any], handlers: dict[str, Handler]) -> dict[str, Any]:
    failures = []
    for record in records:
        message_id = _message_id(record)
        try:
            env = envelope_from_sqs_body(_body(record))
        except Exception:  # noqa: BLE001 - unreadable in any way: leave it for the DLQ
            log.error("unreadable event; left for the DLQ", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
            continue
        if not handle_one(inbox, env, handlers):
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def handle_object_notices(records: Any, handler: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Feed the S3 event notifications in an SQS batch to `handler`, reporting partial batch failures.

    A body that is not an S3 notification is reported failed (it ends in the DLQ); the `s3:TestEvent`
    S3 sends when the notification is configured is acknowledged without calling the handler; a
    handler that raises fails its record only.
    """
    failures = []
    for record in records:
        message_id = _message_id(record)
        try:
            notice = json.loads(_body(record))
            if not isinstance(notice, dict):
                raise ValueError("not a JSON object")
            if notice.get("Event") == "s3:TestEvent":
                continue
            if not isinstance(notice.get("Records"), list):
                raise ValueError("no Records")
        except Exception:  # noqa: BLE001 - unreadable in any way: leave it for the DLQ
            objects_log.error("unreadable S3 notification; left for the DLQ", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            handler(notice)
        except Exception:  # noqa: BLE001 - this record only; SQS retries it, then the DLQ keeps it
            objects_log.exception("S3 notification handler failed", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
