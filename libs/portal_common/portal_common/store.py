"""DynamoDB conventions on top of PynamoDB.

Each service owns one main table (single-table design) with generic keys `pk`/`sk`, two generic
global secondary indexes and a TTL attribute. Every key starts with the tenant id, built with `key()`,
so no query can cross tenants by construction.
"""

from __future__ import annotations

import random
import threading
import time
from functools import lru_cache
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .settings import get_settings

SEPARATOR = "#"


def key(tenant: str, *parts: str) -> str:
    """A tenant-prefixed key: `key("t1", "CHILD", "c1")` → `t1#CHILD#c1`."""
    if not tenant or SEPARATOR in tenant:
        raise ValueError("every key starts with a valid tenant id")
    for part in parts:
        if SEPARATOR in str(part):
            raise ValueError(f"key part {part!r} contains the separator")
    return SEPARATOR.join([tenant, *map(str, parts)])


def table_meta(service: str, name: str = "main") -> type:
    """A PynamoDB `Meta` for a service's table, named and located by the settings."""
    settings = get_settings()
    attrs: dict[str, Any] = {
        "table_name": settings.table_name(service, name),
        "region": settings.region,
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": 3,
    }
    if settings.endpoint_url:
        attrs["host"] = settings.endpoint_url
    return type("Meta", (), attrs)


class Gsi1(GlobalSecondaryIndex["MainItem"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["MainItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class MainItem(Model):
    """Shape of every service's main table. Services subclass it with their own Meta and attributes.

    `expires_at` is the TTL attribute (epoch seconds). DynamoDB deletes expired items late, and moto
    never does, so readers must also filter on it (`is_live`).
    """

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    gsi1 = Gsi1()
    gsi2 = Gsi2()

    @classmethod
    def _get_connection(cls) -> Any:
        # PynamoDB gives every model class its own botocore client, and creating one costs ~100 ms
        # (it parses the DynamoDB service model). All item classes of a table share one instead.
        name = cls.Meta.table_name
        with _connections_lock:
            shared = _connections.get(name)
            if shared is None:
                cls._connection = None  # after reset_connections(): build a fresh one
                shared = _connections[name] = super()._get_connection()
            cls._connection = shared
            return shared


_connections: dict[str, Any] = {}
_connections_lock = threading.RLock()


TTL_ATTRIBUTE = "expires_at"


def modify_versioned(model: Any, pk: str, sk: str, change: Any, *, fresh: Any, attempts: int = 8) -> None:
    """Read one row (consistently), let `change(row)` edit it in place (False: nothing to do), and write it
    back on condition its `version` is still the one read, retrying when a concurrent writer came first.
    `fresh()` makes the row when there is none yet. For copies several events edit at once (one row per
    family or user, so a fan-out reads them in batches)."""
    from pynamodb.exceptions import PutError

    for attempt in range(attempts):
        try:
            found = model.get(pk, sk, consistent_read=True)
        except model.DoesNotExist:
            found = None
        row = found if found is not None else fresh()
        version = int(found.version or 0) if found is not None else 0
        if not change(row):
            return
        row.version = version + 1
        try:
            row.save(condition=model.pk.does_not_exist() if found is None else model.version == version)
            return
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            backoff(attempt)
    raise RuntimeError(f"{model.__name__} {pk}/{sk} stayed busy")  # the event is retried


def backoff(attempt: int) -> None:
    """Wait before retrying a write that lost a condition to a concurrent one: random (so the retries of
    two writers part), growing with the attempt, at most ~0.3 s."""
    time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))  # jitter, not a secret


def is_live(item: Any, now_epoch: float) -> bool:
    expires = getattr(item, "expires_at", None)
    return expires is None or expires > now_epoch


@lru_cache(maxsize=1)
def connection() -> Any:
    """The PynamoDB connection for transactions (one per process: its client is costly to create)."""
    from pynamodb.connection import Connection

    settings = get_settings()
    return Connection(region=settings.region, host=settings.endpoint_url)


def save_unless_older(item: Any) -> bool:
    """Save a copy kept from events unless a newer event already wrote it; True when saved.

    The item's `as_of` is the moment of the event it came from: an older or redelivered event never
    overwrites a newer row (consumers of other services' events are order-tolerant this way)."""
    from pynamodb.exceptions import PutError

    model = type(item)
    try:
        item.save(condition=model.pk.does_not_exist() | (model.as_of <= item.as_of))
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def transaction() -> Any:
    """`with transaction() as tx: tx.save(item, condition=...)`: all or nothing, up to 100 items."""
    from pynamodb.transactions import TransactWrite

    return TransactWrite(connection=connection())


def reset_connections() -> None:
    """Forget shared connections (the local stack and tests change the endpoint)."""
    with _connections_lock:
        _connections.clear()
    connection.cache_clear()
