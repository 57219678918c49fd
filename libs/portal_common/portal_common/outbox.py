"""Transactional outbox: a state change and the events it implies are written in one transaction.

    outbox = Outbox("planning")
    with store.transaction() as tx:
        tx.save(request_item, condition=...)
        outbox.stage(tx, [event])
    outbox.flush([event])        # publish at once; on failure the rows stay behind

`relay()` (a scheduled handler in each publishing service) publishes whatever a crashed `flush` left
behind. Consumers are idempotent on `event_id`, so publishing twice is harmless; losing one is not
possible, because the row is deleted only after SNS accepted the event.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from . import clock
from .events import Bus, Envelope, get_bus, make_event
from .store import MainItem, table_meta, transaction

SHARDS = 4
log = logging.getLogger("portal.outbox")


class OutboxRow(MainItem):
    envelope = UnicodeAttribute()
    staged_at = NumberAttribute()


def _shard(event_id: str) -> str:
    # System rows start with "_" (never a tenant id): the outbox is not tenant data.
    return f"_OUTBOX#{int(hashlib.sha256(event_id.encode()).hexdigest(), 16) % SHARDS}"


class Outbox:
    def __init__(self, service: str) -> None:
        self.service = service
        self.model: type[OutboxRow] = type(f"{service.title()}OutboxRow", (OutboxRow,), {"Meta": table_meta(service)})

    def _row(self, env: Envelope) -> OutboxRow:
        return self.model(_shard(env.event_id), env.event_id, envelope=env.to_json(),
                          staged_at=int(clock.utcnow().timestamp()))

    def stage(self, tx: Any, envelopes: list[Envelope]) -> None:
        for env in envelopes:
            tx.save(self._row(env))

    def add(self, envelopes: list[Envelope]) -> None:
        """Stage outside a transaction (when the state change was itself a single conditional write)."""
        with self.model.batch_write() as batch:
            for env in envelopes:
                batch.save(self._row(env))

    def flush(self, envelopes: list[Envelope], bus: Bus | None = None) -> None:
        if not envelopes:
            return
        try:
            (bus or get_bus()).publish(envelopes)
        except Exception:  # the relay will retry; the caller's state change already stands
            log.exception("publishing failed; left in the outbox", extra={"count": len(envelopes)})
            return
        with self.model.batch_write() as batch:
            for env in envelopes:
                batch.delete(self.model(_shard(env.event_id), env.event_id))

    def pending(self, older_than_seconds: int = 0) -> list[Envelope]:
        cutoff = int(clock.utcnow().timestamp()) - older_than_seconds
        found = []
        for shard in range(SHARDS):
            for row in self.model.query(f"_OUTBOX#{shard}", consistent_read=True):
                if row.staged_at <= cutoff:
                    found.append(Envelope.model_validate_json(row.envelope))
        return found

    def relay(self, older_than_seconds: int = 30, bus: Bus | None = None) -> int:
        """Publish rows left behind by a failed `flush`; returns how many were sent."""
        left = self.pending(older_than_seconds)
        self.flush(left, bus)
        return len(left)


@dataclass
class Changes:
    """Items, deletes, updates and events of one change of a service's state, committed together.

        ch = Changes(outbox, tenant, source="planning")
        ch.save(item, condition)
        ch.update(item, actions=[Item.status.set("approved")], condition=Item.version == 3)
        ch.emit(SomethingHappened(...))
        ch.commit()          # one DynamoDB transaction (≤ 100 items), then publish

    A failed condition raises pynamodb's `TransactWriteError` and nothing is written or published.
    """

    outbox: Outbox
    tenant: str
    source: str
    items: list[tuple[Any, Any]] = field(default_factory=list)
    updates: list[tuple[Any, list[Any], Any]] = field(default_factory=list)
    deletes: list[tuple[Any, Any]] = field(default_factory=list)
    checks: list[tuple[Any, Any]] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)

    def save(self, item: Any, condition: Any = None) -> None:
        self.items.append((item, condition))

    def update(self, item: Any, actions: list[Any], condition: Any = None) -> None:
        self.updates.append((item, actions, condition))

    def delete(self, item: Any, condition: Any = None) -> None:
        self.deletes.append((item, condition))

    def check(self, item: Any, condition: Any) -> None:
        self.checks.append((item, condition))

    def emit(self, payload: Any) -> Envelope:
        envelope = make_event(payload, tenant=self.tenant, source=self.source)
        self.events.append(envelope)
        return envelope

    def commit(self) -> None:
        with transaction() as tx:
            for item, condition in self.items:
                tx.save(item, condition=condition)
            for item, actions, condition in self.updates:
                tx.update(item, actions=actions, condition=condition)
            for item, condition in self.deletes:
                tx.delete(item, condition=condition)
            for item, condition in self.checks:
                tx.condition_check(type(item), item.pk, item.sk, condition=condition)
            self.outbox.stage(tx, self.events)
        self.outbox.flush(self.events)
