"""The event envelope and the bus.

One versioned envelope for every event between services. A service publishes to one SNS topic; each
consuming service has its own SQS queue (with a DLQ) subscribed with a filter on the `type` message
attribute. Payload schemas are pydantic models registered with `event_type`, so the guard tests can
check that every published type has a schema and every consumed type a handler and a test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from . import aws, clock, ids
from .settings import get_settings

EVENT_TYPE_PATTERN = r"^[a-z]+(\.[a-z_]+)+$"


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    event_id: str = Field(min_length=1, max_length=64)
    type: str = Field(pattern=EVENT_TYPE_PATTERN, max_length=128)
    version: int = Field(ge=1)
    tenant: str = Field(min_length=1, max_length=64)
    occurred_at: AwareDatetime
    source: str = Field(min_length=1, max_length=32)
    correlation_id: str | None = None
    payload: dict[str, Any]

    def to_json(self) -> str:
        return self.model_dump_json()


class EventPayload(BaseModel):
    """Base of payload schemas: extra fields are allowed so that producers can add fields (tolerant reader)."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)  # built on first use: cold starts


P = TypeVar("P", bound=EventPayload)

# (type, version) → payload schema, filled by each service's `chalicelib/events.py`.
SCHEMAS: dict[tuple[str, int], type[EventPayload]] = {}
# type → the service that publishes it (one owner per type).
OWNERS: dict[str, str] = {}


def event_type(name: str, *, version: int = 1, owner: str) -> Callable[[type[EventPayload]], type[EventPayload]]:
    """Register a payload schema: `@event_type("auth.child.placed", owner="auth")`."""

    def register(model: type[EventPayload]) -> type[EventPayload]:
        known = OWNERS.get(name)
        if known and known != owner:
            raise ValueError(f"event type {name} already owned by {known}")
        OWNERS[name] = owner
        SCHEMAS[(name, version)] = model
        model.__event_type__ = name  # type: ignore[attr-defined]
        model.__event_version__ = version  # type: ignore[attr-defined]
        return model

    return register


def make_event(payload: EventPayload, *, tenant: str, source: str, correlation_id: str | None = None) -> Envelope:
    kind = getattr(payload, "__event_type__", None)
    if kind is None:
        raise TypeError(f"{type(payload).__name__} is not a registered event payload")
    return Envelope(
        event_id=ids.new_id(),
        type=kind,
        version=payload.__event_version__,  # type: ignore[attr-defined]
        tenant=tenant,
        occurred_at=clock.now(),
        source=source,
        correlation_id=correlation_id,
        payload=payload.model_dump(mode="json"),
    )


def parse_payload(envelope: Envelope, model: type[P]) -> P:
    return model.model_validate(envelope.payload)


Handler = Callable[[Envelope], None]


def typed(model: type[P], handle: Callable[[Envelope, P], None]) -> Handler:
    """A consumer's handler of `model`'s event type: it gets the envelope and the payload parsed into the
    producer's contract (a payload that does not fit raises: the event is retried, then left in the DLQ)."""

    def run(env: Envelope) -> None:
        handle(env, model.model_validate(env.payload))

    run.__name__ = run.__qualname__ = getattr(handle, "__name__", "handler")
    run.contract = model  # type: ignore[attr-defined]  # the guards check every consumer has one
    return run


def handlers(*pairs: tuple[type[Any], Callable[[Envelope, Any], None]]) -> dict[str, Handler]:
    """`{event type: handler}` for `consume()`, each handler typed by its contract:

        HANDLERS = events.handlers((auth.ChildPlaced, on_child_placed), (auth.ChildUpdated, on_child_updated))
    """
    found: dict[str, Handler] = {}
    for model, handle in pairs:
        kind = getattr(model, "__event_type__", None)
        if kind is None:
            raise TypeError(f"{model.__name__} is not a registered event contract")
        if kind in found:
            raise ValueError(f"two handlers of {kind}")
        found[kind] = typed(model, handle)
    return found


class Bus(Protocol):
    def publish(self, envelopes: list[Envelope]) -> None: ...


class SnsBus:
    """Publishes to the one SNS topic, 10 per call, with `type` and `tenant` as message attributes."""

    def publish(self, envelopes: list[Envelope]) -> None:
        sns = aws.client("sns")
        topic = get_settings().topic_arn
        for start in range(0, len(envelopes), 10):
            chunk = envelopes[start:start + 10]
            result = sns.publish_batch(
                TopicArn=topic,
                PublishBatchRequestEntries=[
                    {
                        "Id": str(i),
                        "Message": env.to_json(),
                        "MessageAttributes": {
                            "type": {"DataType": "String", "StringValue": env.type},
                            "tenant": {"DataType": "String", "StringValue": env.tenant},
                        },
                    }
                    for i, env in enumerate(chunk)
                ],
            )
            if result.get("Failed"):
                raise RuntimeError(f"SNS refused {len(result['Failed'])} events")


class RecordingBus:
    """Keeps what was published, and hands it to subscribers in-process (tests)."""

    def __init__(self) -> None:
        self.published: list[Envelope] = []
        self._subscribers: list[Callable[[Envelope], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, deliver: Callable[[Envelope], None]) -> None:
        self._subscribers.append(deliver)

    def publish(self, envelopes: list[Envelope]) -> None:
        with self._lock:
            self.published.extend(envelopes)
        for env in envelopes:
            for deliver in self._subscribers:
                deliver(env)

    def of_type(self, kind: str) -> list[Envelope]:
        return [e for e in self.published if e.type == kind]


_bus: Bus | None = None


def get_bus() -> Bus:
    global _bus
    if _bus is None:
        _bus = SnsBus()
    return _bus


def set_bus(bus: Bus | None) -> Bus | None:
    global _bus
    previous, _bus = _bus, bus
    return previous


def envelope_from_sqs_body(body: str) -> Envelope:
    """An SQS body holds the envelope itself (raw delivery) or SNS's JSON wrapper around it."""
    data = json.loads(body)
    if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
        data = json.loads(data["Message"])
    return Envelope.model_validate(data)


def occurred(env: Envelope) -> datetime:
    return clock.local(env.occurred_at)
