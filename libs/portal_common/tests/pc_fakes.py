"""Small stand-ins shared by the tests (imported as a plain module: this directory is on sys.path)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeRequest:
    """What parsing needs from a Chalice request: raw body, lower-cased headers, query parameters."""

    raw_body: bytes | str | None = b""
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    query_params: dict[str, str] | None = None

    @classmethod
    def json(cls, value: Any, content_type: str = "application/json") -> FakeRequest:
        return cls(json.dumps(value).encode(), {"content-type": content_type})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())
