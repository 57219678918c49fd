"""The process environment of tests and benchmarks: moto's dummy account, a fresh signing key.

Call `configure()` before any service module is imported: settings are read at import.
"""

from __future__ import annotations

import json
import os


def configure(stage: str = "test", *, fast_password_hashing: bool = True) -> None:
    os.environ.update({
        "PORTAL_STAGE": stage,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PORTAL_LOG_LEVEL": "WARNING",
    })
    os.environ.pop("AWS_ENDPOINT_URL", None)
    if fast_password_hashing:
        os.environ["PORTAL_PASSWORD_HASHING"] = "fast"  # noqa: S105 - a profile name, not a password
    else:
        os.environ.pop("PORTAL_PASSWORD_HASHING", None)
    os.environ.pop("AWS_PROFILE", None)

    from portal_common import settings, tokens

    private, public = tokens.generate_keypair()
    os.environ["PORTAL_JWT_PRIVATE_KEY"] = private
    os.environ["PORTAL_JWT_PUBLIC_KEYS"] = json.dumps({"test-1": public})
    os.environ["PORTAL_JWT_KID"] = "test-1"
    settings.reset_settings()
    tokens.reset_keys()
