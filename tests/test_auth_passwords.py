"""Password hashing: argon2id at or above OWASP's minimum in production; the cheap profile is test-only."""

from __future__ import annotations

import pytest
from argon2 import Type, extract_parameters


def test_production_parameters_are_argon2id_at_or_above_owasp_minimum(services):
    passwords = services["auth"].lib.passwords
    production = passwords.PRODUCTION
    # OWASP: argon2id with m=19 MiB, t=2, p=1 as the minimum (or an equivalent trade-off).
    assert production["memory_cost"] >= 19 * 1024 and production["time_cost"] >= 2
    stored = extract_parameters(passwords.DUMMY_HASH)  # the dummy hash mirrors production's cost
    assert stored.type is Type.ID
    assert (stored.time_cost, stored.memory_cost, stored.parallelism) == (
        production["time_cost"], production["memory_cost"], production["parallelism"])


def test_hashes_are_argon2id_salted_and_verify_only_the_right_password(services):
    passwords = services["auth"].lib.passwords
    first, second = passwords.hash_password("lange-zin-met-woorden"), passwords.hash_password("lange-zin-met-woorden")
    assert first != second and first.startswith("$argon2id$")
    assert passwords.verify_password(first, "lange-zin-met-woorden")
    assert not passwords.verify_password(first, "Lange-zin-met-woorden")
    assert not passwords.verify_password("not-a-hash", "lange-zin-met-woorden")


def test_the_fast_test_profile_is_refused_in_deployed_stages(services, monkeypatch):
    from portal_common import settings
    from portal_common.settings import SettingsError

    passwords = services["auth"].lib.passwords
    monkeypatch.setenv("PORTAL_STAGE", "prod")
    monkeypatch.setenv("PORTAL_CURSOR_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    settings.reset_settings()
    try:
        with pytest.raises(SettingsError):
            passwords._parameters()
        monkeypatch.delenv("PORTAL_PASSWORD_HASHING")
        assert passwords._parameters() == passwords.PRODUCTION
    finally:
        monkeypatch.undo()
        settings.reset_settings()
