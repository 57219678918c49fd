"""The event envelope, payload registration, and the SNS → SQS bus (moto)."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from pydantic import ValidationError

from portal_common import events, settings
from portal_common.events import Envelope, EventPayload, envelope_from_sqs_body, event_type, make_event

TYPE = "pctest.thing.happened"
OTHER_TYPE = "pctest.other.happened"


@pytest.fixture(autouse=True)
def registry():
    """Registrations made by a test are forgotten afterwards (the guard tests read the registry)."""
    owners, schemas = dict(events.OWNERS), dict(events.SCHEMAS)
    yield
    events.OWNERS.clear()
    events.OWNERS.update(owners)
    events.SCHEMAS.clear()
    events.SCHEMAS.update(schemas)


def register_thing() -> type[EventPayload]:
    @event_type(TYPE, owner="pctest")
    class ThingHappened(EventPayload):
        thing_id: str
        day: date

    return ThingHappened


def envelope(**overrides: object) -> dict[str, object]:
    base = {"event_id": "01J0000000000000000000000A", "type": TYPE, "version": 1, "tenant": "t1",
            "occurred_at": "2026-03-03T09:00:00+01:00", "source": "pctest", "payload": {"a": 1}}
    base.update(overrides)
    return base


# -- the envelope ----------------------------------------------------------------------------------

def test_valid_envelope():
    env = Envelope.model_validate(envelope())
    assert env.type == TYPE and env.occurred_at.utcoffset() is not None
    assert Envelope.model_validate_json(env.to_json()) == env


@pytest.mark.parametrize("bad_type", ["Thing", "thing", "pctest.Thing.happened", "pctest..x", "pctest.thing-x",
                                      "1pc.thing", ".thing", "pctest.thing.", "a." + "b" * 130])
def test_bad_type_is_refused(bad_type):
    with pytest.raises(ValidationError):
        Envelope.model_validate(envelope(type=bad_type))


@pytest.mark.parametrize("occurred", ["2026-03-03T09:00:00", datetime(2026, 3, 3, 9, 0)])
def test_naive_datetime_is_refused(occurred):
    with pytest.raises(ValidationError):
        Envelope.model_validate(envelope(occurred_at=occurred))


@pytest.mark.parametrize("override", [{"version": 0}, {"tenant": ""}, {"event_id": ""}, {"event_id": "x" * 65},
                                      {"source": ""}, {"extra": 1}, {"payload": [1]}])
def test_other_invalid_envelopes(override):
    with pytest.raises(ValidationError):
        Envelope.model_validate(envelope(**override))


def test_missing_fields_are_refused():
    data = envelope()
    del data["tenant"]
    with pytest.raises(ValidationError):
        Envelope.model_validate(data)


# -- registration ----------------------------------------------------------------------------------

def test_make_event_fills_the_envelope(clock):
    thing = register_thing()
    env = make_event(thing(thing_id="x1", day=date(2026, 3, 4)), tenant="t1", source="pctest", correlation_id="r1")
    assert (env.type, env.version, env.tenant, env.source, env.correlation_id) == (TYPE, 1, "t1", "pctest", "r1")
    assert env.occurred_at == clock.now()
    assert env.payload == {"thing_id": "x1", "day": "2026-03-04"}  # JSON-ready
    assert len(env.event_id) == 26
    assert events.SCHEMAS[(TYPE, 1)] is thing and events.OWNERS[TYPE] == "pctest"
    assert events.parse_payload(env, thing) == thing(thing_id="x1", day=date(2026, 3, 4))


def test_each_event_gets_its_own_id(clock):
    thing = register_thing()
    ids = {make_event(thing(thing_id="x", day=date(2026, 3, 4)), tenant="t1", source="s").event_id for _ in range(50)}
    assert len(ids) == 50


def test_unregistered_payload_is_refused():
    class Loose(EventPayload):
        x: int

    with pytest.raises(TypeError):
        make_event(Loose(x=1), tenant="t1", source="pctest")


def test_one_type_cannot_have_two_owners():
    register_thing()
    with pytest.raises(ValueError, match="owned by pctest"):
        @event_type(TYPE, owner="intruder")
        class Stolen(EventPayload):
            pass
    assert events.OWNERS[TYPE] == "pctest"


def test_a_new_version_by_the_same_owner_is_fine():
    register_thing()

    @event_type(TYPE, version=2, owner="pctest")
    class ThingHappenedV2(EventPayload):
        thing_id: str

    assert events.SCHEMAS[(TYPE, 2)] is ThingHappenedV2


def test_payloads_tolerate_extra_fields():
    thing = register_thing()
    assert thing.model_validate({"thing_id": "x", "day": "2026-03-04", "new_field": 1}).thing_id == "x"


# -- SQS bodies ------------------------------------------------------------------------------------

def test_raw_and_sns_wrapped_bodies():
    env = Envelope.model_validate(envelope())
    assert envelope_from_sqs_body(env.to_json()) == env
    wrapped = json.dumps({"Type": "Notification", "MessageId": "m1", "TopicArn": "arn:x", "Message": env.to_json()})
    assert envelope_from_sqs_body(wrapped) == env


@pytest.mark.parametrize("body", ["", "not json", "[]", "{}", json.dumps({"Type": "Notification", "Message": "{"}),
                                  json.dumps(envelope(type="BAD"))])
def test_unreadable_bodies_raise(body):
    with pytest.raises(ValueError):  # json and pydantic errors are both ValueErrors
        envelope_from_sqs_body(body)


# -- SNS bus through moto --------------------------------------------------------------------------

@pytest.fixture
def subscribed_queue(aws):
    """The topic, and one queue subscribed with raw delivery and a filter on `type` (as create_all does)."""
    sns, sqs = aws("sns"), aws("sqs")
    topic_arn = sns.create_topic(Name=settings.get_settings().topic_name)["TopicArn"]
    assert topic_arn == settings.get_settings().topic_arn
    url = sqs.create_queue(QueueName="test-pctest-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"type": [TYPE]})})
    return url


def receive_all(sqs, url: str) -> list[dict]:
    messages: list[dict] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                    WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            return messages
        messages += batch
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])


def test_sns_bus_delivers_subscribed_types_with_attributes(aws, subscribed_queue, clock):
    wanted = Envelope.model_validate(envelope(event_id="e-wanted"))
    unwanted = Envelope.model_validate(envelope(event_id="e-other", type=OTHER_TYPE))
    events.SnsBus().publish([wanted, unwanted])
    messages = receive_all(aws("sqs"), subscribed_queue)
    assert len(messages) == 1
    assert envelope_from_sqs_body(messages[0]["Body"]) == wanted
    attributes = messages[0]["MessageAttributes"]
    assert attributes["type"]["StringValue"] == TYPE
    assert attributes["tenant"]["StringValue"] == "t1"


def test_sns_bus_publishes_more_than_one_batch(aws, subscribed_queue):
    sent = [Envelope.model_validate(envelope(event_id=f"e-{i:02d}")) for i in range(23)]
    events.SnsBus().publish(sent)
    received = [envelope_from_sqs_body(m["Body"]) for m in receive_all(aws("sqs"), subscribed_queue)]
    assert sorted(e.event_id for e in received) == [e.event_id for e in sent]


def test_publishing_to_a_missing_topic_fails_loudly(aws):
    with pytest.raises(Exception, match=r"(?i)topic|not ?found"):
        events.SnsBus().publish([Envelope.model_validate(envelope())])


def test_default_bus_is_sns_and_can_be_replaced():
    assert isinstance(events.get_bus(), events.SnsBus)
    recording = events.RecordingBus()
    events.set_bus(recording)
    assert events.get_bus() is recording
    got: list[Envelope] = []
    recording.subscribe(got.append)
    env = Envelope.model_validate(envelope())
    recording.publish([env])
    assert got == [env] and recording.of_type(TYPE) == [env] and recording.of_type(OTHER_TYPE) == []
