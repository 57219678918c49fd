"""Transactional outbox: state change and event are written together, published at least once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from portal_common import events, store
from portal_common.events import Envelope, RecordingBus
from portal_common.outbox import Outbox
from portal_common.store import MainItem, table_meta

TYPE = "pctest.thing.happened"


class FailingBus:
    def __init__(self) -> None:
        self.attempts = 0

    def publish(self, envelopes: list[Envelope]) -> None:
        self.attempts += 1
        raise ConnectionError("SNS unreachable")


@pytest.fixture
def thing_model(table, clock):
    class Thing(MainItem):
        Meta = table_meta("pctest")
        value = UnicodeAttribute()

    table(Thing)
    return Thing


@pytest.fixture
def outbox(thing_model) -> Outbox:
    return Outbox("pctest")


def env(event_id: str) -> Envelope:
    return Envelope(event_id=event_id, type=TYPE, version=1, tenant="t1", occurred_at="2026-03-03T09:00:00+01:00",
                    source="pctest", payload={"n": event_id})


def ids(envelopes: list[Envelope]) -> list[str]:
    return sorted(e.event_id for e in envelopes)


def test_stage_in_a_transaction_writes_both(outbox, thing_model):
    with store.transaction() as tx:
        tx.save(thing_model(store.key("t1", "THING", "x"), "A", value="one"),
                condition=thing_model.pk.does_not_exist())
        outbox.stage(tx, [env("e1"), env("e2")])
    assert thing_model.get("t1#THING#x", "A").value == "one"
    assert ids(outbox.pending()) == ["e1", "e2"]


def test_a_failed_condition_writes_neither(outbox, thing_model):
    thing_model(store.key("t1", "THING", "x"), "A", value="first").save()
    with pytest.raises(TransactWriteError), store.transaction() as tx:
        tx.save(thing_model(store.key("t1", "THING", "x"), "A", value="second"),
                condition=thing_model.pk.does_not_exist())
        outbox.stage(tx, [env("e1")])
    assert thing_model.get("t1#THING#x", "A").value == "first"
    assert outbox.pending() == []


def test_flush_publishes_and_deletes_rows(outbox):
    staged = [env("e1"), env("e2")]
    outbox.add(staged)
    bus = RecordingBus()
    outbox.flush(staged, bus)
    assert bus.published == staged
    assert outbox.pending() == []


def test_flush_uses_the_process_bus_by_default(outbox):
    bus = RecordingBus()
    events.set_bus(bus)
    outbox.add([env("e1")])
    outbox.flush([env("e1")])
    assert ids(bus.published) == ["e1"] and outbox.pending() == []


def test_flush_of_nothing_publishes_nothing(outbox):
    bus = RecordingBus()
    outbox.flush([], bus)
    assert bus.published == []


def test_failed_flush_leaves_rows_and_the_relay_publishes_them_once(outbox, clock):
    staged = [env("e1"), env("e2"), env("e3")]
    outbox.add(staged)
    failing = FailingBus()
    outbox.flush(staged, failing)  # does not raise: the caller's state change stands
    assert failing.attempts == 1
    assert ids(outbox.pending()) == ["e1", "e2", "e3"]

    bus = RecordingBus()
    assert outbox.relay(older_than_seconds=30, bus=bus) == 0  # too fresh: a flush may still be running
    clock.advance(timedelta(seconds=31))
    assert outbox.relay(older_than_seconds=30, bus=bus) == 3
    assert outbox.relay(older_than_seconds=30, bus=bus) == 0
    assert ids(bus.published) == ["e1", "e2", "e3"]
    assert outbox.pending() == []


def test_relay_with_a_failing_bus_keeps_everything(outbox, clock):
    outbox.add([env("e1")])
    clock.advance(timedelta(minutes=5))
    outbox.relay(bus=FailingBus())
    assert ids(outbox.pending()) == ["e1"]


def test_pending_respects_older_than_seconds(outbox, clock):
    outbox.add([env("old")])
    clock.advance(timedelta(seconds=10))
    outbox.add([env("new")])
    assert ids(outbox.pending()) == ["new", "old"]
    assert ids(outbox.pending(older_than_seconds=5)) == ["old"]
    assert outbox.pending(older_than_seconds=11) == []


def test_pending_reads_every_shard(outbox):
    staged = [env(f"e{i:02d}") for i in range(25)]
    outbox.add(staged)
    assert ids(outbox.pending()) == ids(staged)
    assert len({row.pk for row in outbox.model.scan()}) > 1  # spread over shards


def test_outbox_rows_are_not_tenant_data(outbox):
    outbox.add([env("e1")])
    (row,) = list(outbox.model.scan())
    assert row.pk.startswith("_OUTBOX#")
    with pytest.raises(ValueError):
        store.key(row.pk)
