"""Identifiers: time-sortable ids (ULIDs), unguessable tokens, and the one id type of the API.

Every id a client sends (a path segment, a query parameter, a body field) is an `Id`: 1 to 128
characters of `A-Z a-z 0-9 _ . : -`. Anything else is refused at the edge (400 in a query or body,
404 in a path) before any key is built, so an id can never smuggle the key separator `#` (or anything
odd) into a DynamoDB key or an S3 key. Composite ids (a diary entry `<child>.<day>.<suffix>`, a
request `<child>.<ulid>`) fit the same alphabet.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from pydantic import StringConstraints

from . import clock

ID_MAX_LENGTH = 128
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
_ID = re.compile(rf"[A-Za-z0-9_.:-]{{1,{ID_MAX_LENGTH}}}")
Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]


def is_id(value: object) -> bool:
    """Whether `value` is a well-formed id (also one read from an event before it becomes a key part)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def new_id() -> str:
    """A time-sortable id (ULID, 26 chars) stamped with the business clock."""
    from ulid import ULID

    return str(ULID.from_datetime(clock.utcnow()))


def random_token(nbytes: int = 32) -> str:
    """An unguessable URL-safe token (activation links, feed secrets): `nbytes` * 8 bits."""
    return secrets.token_urlsafe(nbytes)
