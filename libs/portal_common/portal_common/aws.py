"""Lazily created, cached boto3 clients.

`import boto3` costs ~200 ms of a cold start, so it happens on the first call that needs AWS, not at
import. `AWS_ENDPOINT_URL` (the local stack, tests) is honoured by boto3 itself.
"""

from __future__ import annotations

import threading
from typing import Any

from .settings import get_settings

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(name: str) -> Any:
    with _lock:
        found = _clients.get(name)
        if found is None:
            import boto3  # deliberately lazy: see module docstring

            settings = get_settings()
            extra: dict[str, Any] = {}
            if name == "s3":  # presigned links: SigV4 (X-Amz-Expires), the only kind every region accepts
                from botocore.config import Config

                extra["config"] = Config(signature_version="s3v4")
            found = boto3.client(name, region_name=settings.region, endpoint_url=settings.endpoint_url, **extra)
            _clients[name] = found
        return found


def reset_clients() -> None:
    """Forget cached clients (tests switch between moto backends)."""
    with _lock:
        _clients.clear()
