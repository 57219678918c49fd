"""Password hashing with argon2id (argon2-cffi).

Parameters: t=3, m=64 MiB, p=4 (RFC 9106's second recommended profile), above OWASP's minimum
(m=19 MiB, t=2, p=1). Hashes carry their parameters, so raising them later rehashes on next sign-in.
The test suite sets PORTAL_PASSWORD_HASHING=fast (still argon2id, at a test-only cost), the way
Django's test runs use a cheap hasher; it is refused outside the test and local stages.
"""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from portal_common.settings import SettingsError, get_settings

PRODUCTION = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
FAST_FOR_TESTS = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}


def _parameters() -> dict[str, int]:
    if os.environ.get("PORTAL_PASSWORD_HASHING") == "fast":
        if not get_settings().is_dev:
            raise SettingsError("PORTAL_PASSWORD_HASHING=fast is for the test and local stages only")
        return FAST_FOR_TESTS
    return PRODUCTION


HASHER = PasswordHasher(**_parameters())


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


def is_common(password: str) -> bool:
    """True for a password in zxcvbn's list of the ~30,000 most common ones (case-insensitive).

    zxcvbn's frequency list is large: it is imported on the first password being set, never on the
    sign-in path.
    """
    return password.lower() in _common_passwords()


_COMMON: frozenset[str] | None = None


def _common_passwords() -> frozenset[str]:
    global _COMMON
    if _COMMON is None:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS

        _COMMON = frozenset(FREQUENCY_LISTS["passwords"])
    return _COMMON


# A real argon2id hash of a random string: verifying against it for unknown accounts makes a
# sign-in for an unknown e-mail address take as long as one for a known address.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$iUOq7mWtXBTTCfgwy1pQQw$2y4C43tnaVm0JmqCGuQIuZJ+BezbadLaW/9cKDE4FlE"
