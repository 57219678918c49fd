"""Identifiers. Time-sortable ids (ULIDs) sort feeds by creation without a separate index."""

from __future__ import annotations

import secrets

from ulid import ULID

from . import clock


def new_id() -> str:
    """A time-sortable id (ULID, 26 chars) stamped with the business clock."""
    return str(ULID.from_datetime(clock.utcnow()))


def random_token(nbytes: int = 32) -> str:
    """An unguessable URL-safe token (activation links, feed secrets): `nbytes` * 8 bits."""
    return secrets.token_urlsafe(nbytes)
