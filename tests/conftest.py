"""Fixtures for service and cross-service tests.

- `aws`: moto in-process with every table, the topic, queues and buckets of all five services created
  from the apps' own resource descriptions;
- `clock`: a ManualClock for the whole process (every service reads it);
- `bus`: an in-process bus that hands each published event to the subscribing handlers of the other
  services, through the same idempotent consumer as SQS;
- `tokens`: mints access tokens for any principal;
- `api`: the five apps behind one WSGI gateway (the local stack's), called in-process.
"""

from __future__ import annotations

from portal_common.testing import env as _env

_env.configure()

from datetime import datetime  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from portal_common import aws as _aws  # noqa: E402
from portal_common import clock as _clock  # noqa: E402
from portal_common import resources, settings  # noqa: E402
from portal_common import tokens as _tokens  # noqa: E402
from portal_common.authz import Principal, Role  # noqa: E402
from portal_common.testing.loader import LoadedService, load_all  # noqa: E402
from portal_common.testing.moto_patches import install as _fast_moto_transactions  # noqa: E402

_fast_moto_transactions()

# A Tuesday in term time, 09:00 in Amsterdam (CET).
DEFAULT_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=_clock.AMSTERDAM)


@pytest.fixture(scope="session")
def services() -> dict[str, LoadedService]:
    return load_all()


@pytest.fixture
def clock():
    manual = _clock.ManualClock(DEFAULT_NOW)
    previous = _clock.set_clock(manual)
    yield manual
    _clock.set_clock(previous)


@pytest.fixture
def aws(services, clock):
    """moto in-process, with every resource of every service created."""
    with mock_aws():
        _aws.reset_clients()
        region = settings.get_settings().region
        clients = {name: boto3.client(name, region_name=region) for name in ("dynamodb", "sns", "sqs", "s3", "ses")}
        resources.create_all([resources.describe(s.app) for s in services.values()], clients)
        yield clients
        _aws.reset_clients()


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
def world(api, bus):
    """The demo organisation seeded (infra/local/demo_data.py), behind the HTTP client, events delivered."""
    from infra.local.demo import seed_demo

    seed_demo()
    return api


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
