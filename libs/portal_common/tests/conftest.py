"""Fixtures for the shared library's unit tests.

- `env` (autouse): a clean test environment (stage `test`, moto's dummy credentials, no
  `AWS_ENDPOINT_URL`, a fresh signing key) with every settings/client/key cache reset before and after;
- `clock`: a ManualClock installed for the test, the previous clock restored afterwards;
- `aws`: moto in-process (`mock_aws`), with boto3 clients for the tests themselves;
- `table`: creates a PynamoDB model's table in moto from `TableSpec.from_model`.

This directory has no `__init__.py` on purpose: the repository's own `tests/` package is also called
`tests`, and both suites run in one pytest session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from portal_common import aws as pc_aws
from portal_common import clock as pc_clock
from portal_common import events, settings, store, tokens
from portal_common.resources import TableSpec

# A Tuesday 09:00 in Amsterdam (CET), deliberately not "now": nothing may depend on the wall clock.
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=pc_clock.AMSTERDAM)
REGION = "eu-west-1"

_CLEARED = (
    "AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "PORTAL_CURSOR_KEY",
    "PORTAL_JWT_ISSUER", "PORTAL_JWT_AUDIENCE", "PORTAL_MAX_BODY_BYTES", "PORTAL_ACCESS_TOKEN_TTL",
    "PORTAL_MAIL_SENDER", "PORTAL_ACCOUNT_ID",
)


def _reset_caches() -> None:
    settings.reset_settings()
    pc_aws.reset_clients()
    tokens.reset_keys()
    store.reset_connections()


@pytest.fixture(scope="session")
def keypair() -> tuple[str, str]:
    return tokens.generate_keypair()


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, keypair: tuple[str, str]) -> Iterator[None]:
    private_pem, public_pem = keypair
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_STAGE", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("PORTAL_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("PORTAL_JWT_PRIVATE_KEY", private_pem)
    monkeypatch.setenv("PORTAL_JWT_PUBLIC_KEYS", json.dumps({"k1": public_pem}))
    monkeypatch.setenv("PORTAL_JWT_KID", "k1")
    _reset_caches()
    previous_bus = events.set_bus(None)
    yield
    events.set_bus(previous_bus)
    # Forget everything derived from this test's environment; monkeypatch restores the variables.
    _reset_caches()


@pytest.fixture
def clock() -> Iterator[pc_clock.ManualClock]:
    manual = pc_clock.ManualClock(NOW)
    previous = pc_clock.set_clock(manual)
    yield manual
    pc_clock.set_clock(previous)


@pytest.fixture
def aws() -> Iterator[Callable[[str], Any]]:
    """moto in-process; returns a factory of boto3 clients in the test region."""
    with mock_aws():
        _reset_caches()
        made: dict[str, Any] = {}

        def client(name: str) -> Any:
            if name not in made:
                made[name] = boto3.client(name, region_name=REGION)
            return made[name]

        yield client
        _reset_caches()


@pytest.fixture
def table(aws: Callable[[str], Any]) -> Callable[[type], str]:
    """Create the DynamoDB table of a PynamoDB model (idempotent per table name)."""
    created: set[str] = set()

    def create(model: type) -> str:
        spec = TableSpec.from_model(model)
        if spec.name not in created:
            aws("dynamodb").create_table(**spec.create_kwargs())
            created.add(spec.name)
        return spec.name

    return create
