"""Settings from the environment, with documented defaults.

Every setting is read once per process (Lambda container) through `get_settings()`;
tests and the local stack call `reset_settings()` after changing the environment.

| variable | default | meaning |
|---|---|---|
| PORTAL_STAGE | `local` | deployment stage; prefixes every table, topic, queue and bucket name |
| AWS_REGION / AWS_DEFAULT_REGION | `eu-west-1` | region of every AWS resource |
| PORTAL_ACCOUNT_ID | `123456789012` | account id used to build ARNs (moto's default account) |
| AWS_ENDPOINT_URL | unset | points boto3 and PynamoDB at a local AWS stand-in (moto server) |
| PORTAL_PUBLIC_BASE_URL | `http://127.0.0.1:8000` | origin used in links in e-mails |
| PORTAL_MAX_BODY_BYTES | `65536` | largest JSON request body accepted (413 beyond) |
| PORTAL_JWT_ISSUER | `ouderportaal-auth` | `iss` of access tokens |
| PORTAL_JWT_AUDIENCE | `ouderportaal-api` | `aud` of access tokens |
| PORTAL_JWT_PUBLIC_KEYS | unset | JSON object `{kid: PEM}` of the Ed25519 keys that may sign access tokens |
| PORTAL_JWT_PRIVATE_KEY | unset | PEM of the signing key (auth service only) |
| PORTAL_JWT_KID | `local-1` | key id of the signing key |
| PORTAL_ACCESS_TOKEN_TTL | `900` | access-token lifetime in seconds (at most 15 minutes) |
| PORTAL_CURSOR_KEY | dev key in `local`/`test` | base64 32-byte key sealing paging cursors; required elsewhere |
| PORTAL_MAIL_SENDER | `no-reply@ouderportaal.nl` | verified SES sender of transactional e-mail |
| PORTAL_LOG_LEVEL | `INFO` | log level of the JSON logs |
| PORTAL_PUSH_APPLICATIONS | `{}` | JSON `{"apns": arn, "fcm": arn}`: SNS platform applications for push |
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache

DEV_STAGES = frozenset({"local", "test"})
SERVICES = ("auth", "timeline", "messaging", "planning", "exports")


class SettingsError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    account_id: str
    endpoint_url: str | None
    public_base_url: str
    max_body_bytes: int
    jwt_issuer: str
    jwt_audience: str
    jwt_public_keys: str | None
    jwt_private_key: str | None
    jwt_kid: str
    access_token_ttl: int
    cursor_key: bytes
    mail_sender: str
    log_level: str
    push_applications: dict[str, str]

    @property
    def is_dev(self) -> bool:
        return self.stage in DEV_STAGES

    # Resource names: one place decides them, for the apps, the local stack and the templates.
    def table_name(self, service: str, name: str = "main") -> str:
        return f"{self.stage}-{service}-{name}"

    @property
    def topic_name(self) -> str:
        return f"{self.stage}-events"

    @property
    def topic_arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account_id}:{self.topic_name}"

    def queue_name(self, service: str, name: str = "events") -> str:
        return f"{self.stage}-{service}-{name}"

    def dlq_name(self, service: str, name: str = "events") -> str:
        return f"{self.stage}-{service}-{name}-dlq"

    def bucket_name(self, service: str, name: str) -> str:
        return f"{self.stage}-ouderportaal-{service}-{name}"

    # The queue S3 notifies of objects created in one of a service's buckets (`PortalApp.consume_bucket_objects`).
    def bucket_queue_name(self, service: str, bucket: str) -> str:
        return self.queue_name(service, f"{bucket}-objects")

    def bucket_dlq_name(self, service: str, bucket: str) -> str:
        return self.dlq_name(service, f"{bucket}-objects")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc


def _json_object(name: str) -> dict[str, str]:
    raw = os.environ.get(name) or "{}"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{name} must be a JSON object") from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise SettingsError(f"{name} must be a JSON object of strings")
    return value


def _cursor_key(stage: str) -> bytes:
    raw = os.environ.get("PORTAL_CURSOR_KEY")
    if raw:
        key = base64.b64decode(raw)
        if len(key) != 32:
            raise SettingsError("PORTAL_CURSOR_KEY must be 32 bytes, base64-encoded")
        return key
    if stage in DEV_STAGES:
        # A fixed development key: cursors are still sealed and user-bound, only the key is public.
        return hashlib.sha256(b"ouderportaal-dev-cursor-key").digest()
    raise SettingsError("PORTAL_CURSOR_KEY is required outside the local and test stages")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    stage = os.environ.get("PORTAL_STAGE", "local")
    ttl = _int("PORTAL_ACCESS_TOKEN_TTL", 900)
    if not 0 < ttl <= 900:
        raise SettingsError("PORTAL_ACCESS_TOKEN_TTL must be between 1 and 900 seconds")
    return Settings(
        stage=stage,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1",
        account_id=os.environ.get("PORTAL_ACCOUNT_ID", "123456789012"),
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        public_base_url=os.environ.get("PORTAL_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        max_body_bytes=_int("PORTAL_MAX_BODY_BYTES", 65536),
        jwt_issuer=os.environ.get("PORTAL_JWT_ISSUER", "ouderportaal-auth"),
        jwt_audience=os.environ.get("PORTAL_JWT_AUDIENCE", "ouderportaal-api"),
        jwt_public_keys=os.environ.get("PORTAL_JWT_PUBLIC_KEYS") or None,
        jwt_private_key=os.environ.get("PORTAL_JWT_PRIVATE_KEY") or None,
        jwt_kid=os.environ.get("PORTAL_JWT_KID", "local-1"),
        access_token_ttl=ttl,
        cursor_key=_cursor_key(stage),
        mail_sender=os.environ.get("PORTAL_MAIL_SENDER", "no-reply@ouderportaal.nl"),
        log_level=os.environ.get("PORTAL_LOG_LEVEL", "INFO"),
        push_applications=_json_object("PORTAL_PUSH_APPLICATIONS"),
    )


def reset_settings() -> None:
    """Forget the cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()
