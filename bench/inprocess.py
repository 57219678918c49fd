"""The five services in-process over moto, with the demo organisation: the setting of the request benches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from portal_common.testing import env

env.configure(fast_password_hashing=False)  # sign-in figures at the production argon2 cost

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from infra.local.services import load  # noqa: E402
from portal_common import aws, resources, settings  # noqa: E402
from portal_common.testing.moto_patches import install  # noqa: E402

install()  # moto's transactions without whole-table copies (see the module)


def _delivering_bus(services: dict[str, Any]) -> Any:
    """Hand every published event to the consuming services at once, as the tests' `bus` fixture does."""
    from portal_common import consumer, events

    bus = events.RecordingBus()

    def deliver(envelope: Any) -> None:
        for svc in services.values():
            if envelope.type in svc.app.consumed_event_types:
                consumer.handle_one(svc.app.inbox, envelope, svc.app.event_handlers)

    bus.subscribe(deliver)
    return events.set_bus(bus)


@contextmanager
def demo_system(*, deliver_events: bool = False) -> Iterator[Any]:
    """Yield a werkzeug client over the local gateway, with every resource created and the demo seeded;
    with `deliver_events`, events reach the consuming services in-process (their copies of the directory)."""
    from werkzeug.test import Client

    from infra.local.demo import seed_demo
    from infra.local.gateway import Dispatcher
    from portal_common import events

    services = load()
    previous = _delivering_bus(services) if deliver_events else None
    with mock_aws():
        aws.reset_clients()
        region = settings.get_settings().region
        clients = {n: boto3.client(n, region_name=region) for n in ("dynamodb", "sns", "sqs", "s3", "ses")}
        resources.create_all([resources.describe(s.app) for s in services.values()], clients)
        seed_demo()
        dispatcher = Dispatcher({n: s.app for n, s in services.items()}, access_log=False)
        try:
            yield Client(dispatcher)
        finally:
            dispatcher.close()
            aws.reset_clients()
            if previous is not None:
                events.set_bus(previous)
