"""Buses for tests: every published event recorded, and handed to the consuming services a test chooses.

`tests/conftest.py`'s `bus` fixture reaches every consumer, as SNS → SQS would; a test about one service's
part of a flow (a purge, a personal-data part) lets the requests reach that service only, or nobody, and
plays the rest itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from portal_common import consumer, events

Reaches = Callable[[str, events.Envelope], bool]


def everyone(service: str, envelope: events.Envelope) -> bool:
    return True


def only(*names: str) -> Reaches:
    return lambda service, envelope: service in names


def nobody(service: str, envelope: events.Envelope) -> bool:
    return False


@contextmanager
def bus_where(services: dict[str, Any], reaches: Reaches = everyone) -> Iterator[events.RecordingBus]:
    """Record every event; hand it to each consuming service that `reaches(service, event)` allows."""
    recording = events.RecordingBus()

    def deliver(envelope: events.Envelope) -> None:
        for svc in services.values():
            if envelope.type in svc.app.consumed_event_types and reaches(svc.name, envelope):
                assert consumer.handle_one(svc.app.inbox, envelope, svc.app.event_handlers), (
                    f"{svc.name} failed to handle {envelope.type}")

    recording.subscribe(deliver)
    previous = events.set_bus(recording)
    try:
        yield recording
    finally:
        events.set_bus(previous)
