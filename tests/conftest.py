"""Fixtures for service and cross-service tests.

- `aws`: moto in-process with every table, the topic, queues and buckets of all five services created
  from the apps' own resource descriptions, once per worker and emptied for each test (tests/aws_state.py);
- `clock`: a ManualClock for the whole process (every service reads it);
- `bus`: an in-process bus that hands each published event to the subscribing handlers of the other
  services, through the same idempotent consumer as SQS;
- `tokens`: mints access tokens for any principal;
- `api`: the five apps behind one WSGI gateway (the local stack's), called in-process.
"""

from __future__ import annotations

from portal_common.testing import env as _env

_env.configure()

from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from infra.local.services import Service  # noqa: E402
from portal_common import aws as _aws  # noqa: E402
from portal_common import clock as _clock  # noqa: E402
from portal_common import resources, settings  # noqa: E402
from portal_common import tokens as _tokens  # noqa: E402
from portal_common.authz import Principal, Role  # noqa: E402
from portal_common.testing.moto_patches import install as _fast_moto_transactions  # noqa: E402
from tests.aws_state import AwsState, Snapshot  # noqa: E402

_fast_moto_transactions()

# A Tuesday in term time, 09:00 in Amsterdam (CET).
DEFAULT_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=_clock.AMSTERDAM)


@pytest.fixture(scope="session")
def services() -> dict[str, Service]:
    from infra.local.services import load

    return load()


@pytest.fixture
def clock():
    manual = _clock.ManualClock(DEFAULT_NOW)
    previous = _clock.set_clock(manual)
    yield manual
    _clock.set_clock(previous)


@dataclass
class MotoWorker:
    """This worker's moto: the clients, its state, and the snapshots tests start from."""

    clients: dict[str, Any]
    state: AwsState
    empty: Snapshot
    world: Snapshot | None = None
    world_events: list[Any] = field(default_factory=list)
    extras: dict[str, tuple[Snapshot, list[Any]]] = field(default_factory=dict)


@pytest.fixture(scope="session")
def moto_worker(services) -> Iterator[MotoWorker]:
    """moto in-process for the whole worker, every resource of every service created once.

    The mock is active only while a test that asks for `aws` runs (`aws` starts it without a reset and
    stops it without removing data): the shared library's own tests start a fresh `mock_aws()` of theirs
    in between, which resets every backend, and the next restore notices and rebuilds."""
    mock = mock_aws()
    mock.start(reset=True)
    try:
        _aws.reset_clients()
        region = settings.get_settings().region
        clients = {name: boto3.client(name, region_name=region) for name in ("dynamodb", "sns", "sqs", "s3", "ses")}

        def create_resources() -> None:
            resources.create_all([resources.describe(s.app) for s in services.values()], clients)

        create_resources()
        state = AwsState(region, create_resources)
        worker = MotoWorker(clients, state, state.take())
    finally:
        mock.stop(remove_data=False)
    yield worker
    _aws.reset_clients()


@pytest.fixture
def aws(moto_worker, clock):
    """moto with every resource of every service, empty: the worker's resources, restored in milliseconds."""
    mock = mock_aws()
    mock.start(reset=False)
    _aws.reset_clients()
    try:
        moto_worker.state.restore(moto_worker.empty)
        yield moto_worker.clients
    finally:
        _aws.reset_clients()
        mock.stop(remove_data=False)


@pytest.fixture
def bus(services, aws):
    """Deliver every published event to the services that consume its type, like SNS → SQS would."""
    from tests.bus_helpers import bus_where

    with bus_where(services) as recording:
        yield recording


class TokenFactory:
    def principal(self, *, tenant: str = "demo", user_id: str = "u-1", role: Role | str = Role.PARENT,
                  children: tuple[str, ...] = (), groups: tuple[str, ...] = (), locations: tuple[str, ...] = (),
                  language: str = "nl") -> Principal:
        return Principal(tenant, user_id, Role(role), frozenset(children), frozenset(groups), frozenset(locations),
                         language, "session-1")

    def mint(self, principal: Principal | None = None, **kwargs) -> str:
        return _tokens.get_signer().sign(principal or self.principal(**kwargs))

    def header(self, principal: Principal | None = None, **kwargs) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(principal, **kwargs)}"}


@pytest.fixture
def tokens(clock) -> TokenFactory:
    return TokenFactory()


@pytest.fixture(scope="session")
def gateway(services):
    """The local stack's WSGI gateway over all five apps (API Gateway's behaviour, in-process)."""
    from infra.local.gateway import Dispatcher

    dispatcher = Dispatcher({name: svc.app for name, svc in services.items()}, access_log=False)
    yield dispatcher
    dispatcher.close()


@pytest.fixture
def api(gateway, aws, bus):
    """An HTTP client for the five services: `api.get("/planning/calendar", headers=tokens.header(...))`."""
    from werkzeug.test import Client

    return Client(gateway)


@pytest.fixture
def world(api, bus, moto_worker, services):
    """The demo organisation seeded (infra/local/demo_data.py), behind the HTTP client, events delivered.

    Seeded once per worker through the services' own flows and restored from a snapshot for every test after
    that. The test's `bus` starts with the events the seeding published, as if it had watched it."""
    if moto_worker.world is None:
        from infra.local.demo import seed_demo
        from tests.bus_helpers import bus_where

        with bus_where(services) as seeding:
            seed_demo()
        moto_worker.world = moto_worker.state.take()
        moto_worker.world_events = list(seeding.published)
    else:
        moto_worker.state.restore(moto_worker.world)
    bus.published[:0] = moto_worker.world_events
    return api


@pytest.fixture
def seeded(world, bus, moto_worker):
    """More than the demo, built once per worker and restored after that:

        @pytest.fixture
        def world(world, seeded, services):
            seeded("other organisation", lambda: seed_other_tenant(services["auth"].module.directory))
            return world

    `name` names what `build` makes on top of the demo (the same name must always build the same); the
    test's `bus` gets the events the building published, as with the demo's."""

    def use(name: str, build: Any) -> None:
        found = moto_worker.extras.get(name)
        if found is None:
            first = len(bus.published)
            build()
            moto_worker.extras[name] = (moto_worker.state.take(), list(bus.published[first:]))
        else:
            snapshot, events = found
            moto_worker.state.restore(snapshot)
            bus.published.extend(events)

    return use


@pytest.fixture
def parent(world):
    """parent1's Authorization header: Sanne, mother of Noor (Rupsen) and Daan (Vlinders)."""
    from tests.auth_helpers import demo_login_header

    return demo_login_header(world, "parent1@demo.ouderportaal.nl")


@pytest.fixture
def staff(world):
    """staff1's Authorization header: Ilse, who works in Rupsen."""
    from tests.auth_helpers import demo_login_header

    return demo_login_header(world, "staff1@demo.ouderportaal.nl")



def pytest_terminal_summary(terminalreporter):
    """Show the figures a test records with `record_property("authorization_matrix", line)` in the final
    summary, with or without `-s` and also under xdist (the property travels with the test's report)."""
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == "authorization_matrix":
                    terminalreporter.write_line(str(value))
