"""Gate: every consumed event type, delivered twice and out of order; a poison message goes to its DLQ alone.

SQS delivers at least once and in no particular order. For every event type a service consumes (its
`consumed_event_types`), with a realistic event of the demo organisation's life (tests/event_samples.py),
each consuming service's tables (bookkeeping rows left out) must end the same:
- delivered twice: as after one delivery; also when the handler itself runs again (the inbox row lost,
  or a handler of a combined map failing after the others ran: the whole event is retried);
- a newer event about the same object, then an older one: as after the two in order.
A consumed type without a sample fails the gate, naming what to add.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

import portal_common.contracts.auth
from portal_common import consumer, events, ids
from tests import table_state
from tests.bus_helpers import bus_where, nobody
from tests.event_samples import NEWER, record_samples, samples_by_type

pytestmark = pytest.mark.slow


def _deliver(svc, env: events.Envelope) -> str | None:
    """Through the service's own consumer; the handler's exception when it fails."""
    if consumer.handle_one(svc.app.inbox, env, svc.app.event_handlers):
        return None
    try:
        svc.app.event_handlers[env.type](env)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "failed once, then passed when run again"


def _at(sample: events.Envelope, moment: datetime, payload: dict[str, Any]) -> events.Envelope:
    stamp = sample.occurred_at.isoformat()
    payload = {k: moment.isoformat() if v == stamp else v for k, v in payload.items()}
    return sample.model_copy(update={"event_id": ids.new_id(), "occurred_at": moment, "payload": payload})


# Types that ask for something new each time they are handled, so that handling one again after its inbox
# row is gone does it again, by design; the inbox remembers an event for 15 days, longer than SQS keeps it.
REQUESTS = {
    "auth.account_mail.requested": "each handling mails a fresh one-time link (the user asked for a link)",
}


class Gate:
    def __init__(self, services, clock) -> None:
        self.services, self.clock = services, clock
        self.problems: list[str] = []
        self.pairs = 0

    def check(self, svc, sample: events.Envelope) -> None:
        """One event type at one consumer; the service's tables are as they were afterwards."""
        names = table_state.table_names(svc.app)
        base = table_state.snapshot(names)
        known = table_state.ids_in(table_state.raw_items(base), sample.model_dump_json())
        where = f"{sample.type} at {svc.name}"
        self.pairs += 1
        try:
            # (a) the same envelope twice; then its handler once more (the inbox forgot it).
            again = sample.model_copy(update={"event_id": ids.new_id()})
            once = self._run(svc, where, [again], names, known)
            twice = self._run(svc, where, [again], names, known)
            svc.app.inbox.release(again.event_id)
            rerun = self._run(svc, where, [again], names, known)
            self._same(where, "delivered twice", once, twice)
            if sample.type not in REQUESTS:
                self._same(where, "handled again (the inbox forgot it)", once, rerun)
            # (b) two events about the same object: older then newer, and newer then older.
            older, newer = self._pair(sample)
            table_state.restore(base)
            in_order = self._run(svc, where, [older, newer], names, known)
            table_state.restore(base)
            reversed_ = self._run(svc, where, [newer, older], names, known)
            self._same(where, "a newer event, then an older one", in_order, reversed_)
        finally:
            table_state.restore(base)

    def _pair(self, sample: events.Envelope) -> tuple[events.Envelope, events.Envelope]:
        """Two events about the sample's object. An edited object: the newer one says what `NEWER` changes,
        both later than anything stored (the copies keep the moment of the event they came from), and the
        payload's own stamps of that moment (`changed_at`...) move along. A fact: told twice, as it was."""
        if sample.type not in NEWER:
            return (sample.model_copy(update={"event_id": ids.new_id()}),
                    sample.model_copy(update={"event_id": ids.new_id()}))
        now = self.clock.now()
        older = _at(sample, now - timedelta(minutes=2), json.loads(json.dumps(sample.payload)))
        newer = _at(sample, now - timedelta(minutes=1), NEWER[sample.type](json.loads(json.dumps(sample.payload))))
        return older, newer

    def _run(self, svc, where: str, envelopes: list[events.Envelope], names, known) -> list[str] | None:
        for env in envelopes:
            failure = _deliver(svc, env)
            if failure:
                self.problems.append(f"{where}: the handler failed: {failure}")
                return None
        return table_state.state(names, known)

    def _same(self, where: str, what: str, expected: list[str] | None, actual: list[str] | None) -> None:
        if expected is not None and actual is not None and expected != actual:
            self.problems.append(f"{where}: {what} leaves another state than once in order:\n"
                                 f"{table_state.difference(expected, actual)}")


def test_every_consumed_event_type_is_idempotent_and_order_tolerant(world, services, clock, bus, report_line):
    record_samples(world, services, clock)
    consumed = {kind: [svc for svc in services.values() if kind in svc.app.consumed_event_types]
                for kind in sorted(set().union(*(svc.app.consumed_event_types for svc in services.values())))}
    samples, missing = samples_by_type(bus.published, set(consumed))
    assert not missing, (
        f"no sample of the consumed event types {sorted(missing)}: make tests/event_samples.py's record_samples "
        f"publish them (a step of the demo's life through the real services), or derive one in DERIVED; and say "
        f"in NEWER how a newer event about the same object differs")
    clock.advance(timedelta(minutes=10))  # the pairs' events are later than every stored one
    gate = Gate(services, clock)
    with bus_where(services, nobody):  # what the handlers publish is recorded, not delivered further
        for kind, consumers in consumed.items():
            for svc in consumers:
                gate.check(svc, samples[kind])
    report_line(f"event redelivery: {len(samples)} of {len(consumed)} consumed event types covered, "
                f"{gate.pairs} (type, consumer) pairs, each delivered twice, handled again and out of order; "
                f"{len(gate.problems)} problems")
    assert not gate.problems, "\n\n".join(gate.problems)


def test_a_consumed_type_without_a_sample_is_named_not_skipped():
    placed = events.Envelope(event_id="e-1", type="auth.child.placed", version=1, tenant="demo",
                             occurred_at=datetime(2026, 11, 24, 9, 0).astimezone(), source="auth", payload={})
    found, missing = samples_by_type([placed], {"auth.child.placed", "auth.child.renamed_twice"})
    assert set(found) == {"auth.child.placed"} and missing == {"auth.child.renamed_twice"}


# -- a poison message ------------------------------------------------------------------------------------
def _users_changed(services, count: int) -> list[events.Envelope]:
    auth_events = portal_common.contracts.auth
    return [events.make_event(auth_events.UserChanged(
        user_id=f"user-poison-{n}", name=f"Ouder {n}", email=f"ouder{n}@example.nl", language="nl", role="parent",
        status="active"), tenant="demo", source="auth") for n in range(count)]


def _poisoned(services) -> tuple[list[events.Envelope], events.Envelope, str]:
    """Valid events, one whose handler raises (a payload without the fields it needs), an unreadable body."""
    good = _users_changed(services, 3)
    raising = good[0].model_copy(update={"event_id": ids.new_id(), "payload": {"user_id": "user-poison-x"}})
    return good, raising, '{"event_id": "not an envelope'


def test_a_poison_message_fails_alone_and_the_rest_of_its_batch_completes(services, bus):
    messaging = services["messaging"]
    good, raising, unreadable = _poisoned(services)
    bodies = [e.to_json() for e in good[:2]] + [unreadable, raising.to_json(), good[2].to_json()]
    records = [{"messageId": f"m-{n}", "body": body} for n, body in enumerate(bodies)]
    answer = consumer.handle_batch(messaging.app.inbox, records, messaging.app.event_handlers)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-3"}]}
    assert [messaging.app.inbox.seen(e.event_id) for e in [*good, raising]] == [True, True, True, False]
    recipients = messaging.lib.notifications.recipients
    profiles = recipients.profiles("demo", [f"user-poison-{n}" for n in range(3)] + ["user-poison-x"])
    assert sorted(p.name for p in profiles.values()) == ["Ouder 0", "Ouder 1", "Ouder 2"]  # applied, and only those


def test_with_real_sqs_the_poison_messages_end_in_the_dlq_after_the_redrive_count(services, aws, bus):
    """SNS → the service's queue (created with its DLQ by portal_common.resources) → the local stack's poller,
    which deletes what succeeded and makes a reported failure visible again (at once here): after
    MAX_RECEIVE_COUNT deliveries SQS moves a failing message to the DLQ; nothing else goes there."""
    from infra.local.sqs import QueuePoller
    from portal_common import resources, settings

    messaging, sqs, config = services["messaging"], aws["sqs"], settings.get_settings()
    good, raising, unreadable = _poisoned(services)
    events.SnsBus().publish([*good[:2], raising, good[2]])  # the real subscription, with its filter policy
    queue_url = sqs.get_queue_url(QueueName=config.queue_name("messaging"))["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName=config.dlq_name("messaging"))["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=unreadable)
    on_events = messaging.app.lambda_handlers()["on_events"]
    poller = QueuePoller("messaging-on_events", on_events, sqs, queue_url, region=config.region,
                         wait_seconds=0, backoff=lambda receive_count: 0)
    polls = 0
    while poller.poll_once() and polls < 2 * resources.MAX_RECEIVE_COUNT:
        polls += 1
    assert polls == resources.MAX_RECEIVE_COUNT  # five deliveries of the two failing ones; the sixth finds none
    left = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in dead) == sorted([unreadable, raising.to_json()])
    # delivered MAX_RECEIVE_COUNT times to the consumer, then read here once more
    assert [int(m["Attributes"]["ApproximateReceiveCount"]) for m in dead] == [resources.MAX_RECEIVE_COUNT + 1] * 2
    assert all(messaging.app.inbox.seen(e.event_id) for e in good) and not messaging.app.inbox.seen(raising.event_id)
