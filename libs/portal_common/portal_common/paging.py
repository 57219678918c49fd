"""Opaque, sealed paging cursors.

A cursor is the position after the last item of a page (typically DynamoDB's LastEvaluatedKey),
encrypted and authenticated with AES-GCM. The associated data binds it to the tenant, the user and
the list it came from, so a cursor minted for one user cannot be replayed by another, used on another
list, or edited to reach other data: any of those fails authentication and gives 400.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from . import clock, errors
from .settings import get_settings

T = TypeVar("T")
CURSOR_TTL_SECONDS = 24 * 3600
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _aad(scope: str, tenant: str, subject: str) -> bytes:
    return json.dumps([scope, tenant, subject]).encode()


def seal(position: dict[str, Any], *, scope: str, tenant: str, subject: str) -> str:
    """Encrypt a position into a cursor that only this subject can use on this list."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # lazy: ~10 ms of every cold start

    payload = json.dumps({"p": position, "iat": int(clock.utcnow().timestamp())}, separators=(",", ":"))
    nonce = os.urandom(12)
    sealed = AESGCM(get_settings().cursor_key).encrypt(nonce, payload.encode(), _aad(scope, tenant, subject))
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def open_cursor(cursor: str, *, scope: str, tenant: str, subject: str) -> dict[str, Any]:
    """Decrypt a cursor; anything forged, edited, replayed elsewhere or expired → 400."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    invalid = errors.BadRequest(code="invalid_cursor", detail_key="error.invalid_cursor",
                                errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor"}])
    try:
        if len(cursor) > 2048:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        # b64decode skips unknown characters, takes "+/" for "-_" and ignores spare bits, so several
        # spellings open the same cursor: accept only the one `seal` writes (an edit is always refused).
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != cursor:
            raise ValueError("not the canonical spelling")
        nonce, sealed = raw[:12], raw[12:]
        plain = AESGCM(get_settings().cursor_key).decrypt(nonce, sealed, _aad(scope, tenant, subject))
        data = json.loads(plain)
    except (ValueError, InvalidTag, json.JSONDecodeError):
        raise invalid from None
    if not isinstance(data, dict) or int(clock.utcnow().timestamp()) - int(data.get("iat", 0)) > CURSOR_TTL_SECONDS:
        raise invalid
    position = data.get("p")
    if not isinstance(position, dict):
        raise invalid
    return position


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_position: dict[str, Any] | None

    def to_body(self, *, scope: str, tenant: str, subject: str, items: list[Any] | None = None) -> dict[str, Any]:
        cursor = None
        if self.next_position is not None:
            cursor = seal(self.next_position, scope=scope, tenant=tenant, subject=subject)
        return {"items": items if items is not None else list(self.items), "next_cursor": cursor}
