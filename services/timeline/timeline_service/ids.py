"""What an id in a path or a query may look like, checked before it reaches a key (pure).

An id that cannot be one (`a#b`, too long, an upload id of another shape) answers 404 on an item route,
as an id that names nothing does: existence is never revealed, and no such string reaches DynamoDB.
"""

from __future__ import annotations

import re

ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")  # a child, group or diary id
PHOTO_ID = re.compile(r"^pho-[a-z0-9]{26}$")


def is_id(value: str) -> bool:
    return ID.fullmatch(value) is not None


def is_upload_id(value: str) -> bool:
    """`upl-<ulid>` as `uploads` makes them (letters, digits, `-` and `_` after the prefix)."""
    return value.startswith("upl-") and all(c.isalnum() or c in "-_" for c in value)
