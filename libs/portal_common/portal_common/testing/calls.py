"""Count the AWS API calls a piece of code makes (`DynamoDB calls per request`, in tests and benches)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient

_active: list[Counter[str]] = []
_original = BaseClient._make_api_call


def _counting(self: BaseClient, operation_name: str, api_params: Any) -> Any:
    service = self.meta.service_model.service_name
    for counter in _active:
        counter[f"{service}.{operation_name}"] += 1
    return _original(self, operation_name, api_params)


@contextmanager
def count_calls() -> Iterator[Counter[str]]:
    """`with count_calls() as calls: ...` then `calls["dynamodb.Query"]`, `total(calls, "dynamodb")`."""
    counter: Counter[str] = Counter()
    if not _active:
        BaseClient._make_api_call = _counting  # type: ignore[method-assign]
    _active.append(counter)
    try:
        yield counter
    finally:
        _active.remove(counter)
        if not _active:
            BaseClient._make_api_call = _original  # type: ignore[method-assign]


def total(calls: Counter[str], service: str) -> int:
    return sum(n for name, n in calls.items() if name.startswith(service + "."))
