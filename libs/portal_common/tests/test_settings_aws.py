"""Settings from the environment and the lazily created AWS clients."""

from __future__ import annotations

import pytest

from portal_common import aws as pc_aws
from portal_common import settings


def fresh() -> settings.Settings:
    settings.reset_settings()
    return settings.get_settings()


def test_defaults_and_resource_names():
    s = fresh()
    assert (s.stage, s.region, s.is_dev, s.endpoint_url) == ("test", "eu-west-1", True, None)
    assert s.max_body_bytes == 65536 and s.access_token_ttl == 900
    assert s.table_name("planning") == "test-planning-main"
    assert s.topic_arn == "arn:aws:sns:eu-west-1:123456789012:test-events"
    assert (s.queue_name("messaging"), s.dlq_name("messaging")) == ("test-messaging-events",
                                                                    "test-messaging-events-dlq")
    assert s.bucket_name("timeline", "photos") == "test-ouderportaal-timeline-photos"


def test_settings_are_cached_until_reset(monkeypatch):
    before = fresh()
    monkeypatch.setenv("PORTAL_STAGE", "acc")
    monkeypatch.setenv("PORTAL_CURSOR_KEY", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=")
    assert settings.get_settings() is before
    after = fresh()
    assert after.stage == "acc" and not after.is_dev and after.table_name("auth") == "acc-auth-main"


def test_overrides(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("PORTAL_MAX_BODY_BYTES", "1024")
    monkeypatch.setenv("PORTAL_PUBLIC_BASE_URL", "https://demo.ouderportaal.nl/")
    s = fresh()
    assert s.region == "eu-central-1" and s.max_body_bytes == 1024
    assert s.public_base_url == "https://demo.ouderportaal.nl"


@pytest.mark.parametrize("name,value", [("PORTAL_MAX_BODY_BYTES", "64k"), ("PORTAL_ACCESS_TOKEN_TTL", "15m")])
def test_malformed_numbers_are_refused_with_the_variable_named(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(settings.SettingsError, match=name):
        fresh()


def test_clients_are_cached_and_reset():
    first = pc_aws.client("sqs")
    assert pc_aws.client("sqs") is first
    assert first.meta.region_name == "eu-west-1"
    pc_aws.reset_clients()
    assert pc_aws.client("sqs") is not first


def test_clients_follow_the_endpoint_setting(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    settings.reset_settings()
    pc_aws.reset_clients()
    assert pc_aws.client("sns").meta.endpoint_url == "http://127.0.0.1:5999"
