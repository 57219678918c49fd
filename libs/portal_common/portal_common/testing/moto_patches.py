"""A faster rollback for moto's DynamoDB transactions (tests, benches and the local stack only).

moto 5.2 makes a transaction undoable by deep-copying the *whole table* once per item of the
transaction, so a 6-item transaction on a table of 20,000 items copies 120,000 items: writing a month's
invoices for 1,000 families took minutes, all of it in moto. This keeps moto's own transaction code
(its conditions, its errors, its order) and only changes how it undoes: each touched item is copied
before the transaction, and on failure exactly those items are put back (or removed when they did
not exist). Items of one transaction are distinct (DynamoDB and moto refuse two operations on one
item), so restoring them restores the table.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_installed = False
_lock = threading.Lock()


class _NoTableCopies:
    """Stands in for the `copy` module inside moto's DynamoDB backend: tables are not copied."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> tuple[Any, Any, Any] | None:
    table = backend.tables.get(op.get("TableName"))
    if table is None:
        return None
    if op_type == "Put":
        attrs = op.get("Item", {})
        key = {table.hash_key_attr: attrs.get(table.hash_key_attr)}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs.get(table.range_key_attr)
    else:
        key = op.get("Key", {})
    try:
        hash_key, range_key = backend.get_keys_value(table, key)
    except Exception:  # noqa: BLE001 - a malformed key: moto's own code reports it
        return None
    return table, hash_key, range_key


def install() -> None:
    """Patch moto's DynamoDB backend once per process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        import moto.dynamodb.models as models

        original = models.DynamoDBBackend.transact_write_items
        models.copy = _NoTableCopies()  # type: ignore[assignment]

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            touched = []
            for entry in transact_items:
                if len(entry) != 1:
                    continue  # moto refuses it before writing anything
                op_type, op = next(iter(entry.items()))
                found = _key_of(self, op_type, op)
                if found is not None:
                    table, hash_key, range_key = found
                    try:
                        before = table.get_item(hash_key, range_key)
                    except Exception:  # noqa: BLE001, S112 - a key moto refuses: it writes nothing for it
                        continue
                    touched.append((table, hash_key, range_key, copy.deepcopy(before)))
            try:
                original(self, transact_items)
            except Exception:
                for table, hash_key, range_key, before in reversed(touched):
                    if before is None:
                        table.delete_item(hash_key, range_key)
                    elif range_key is not None:
                        table.items[hash_key][range_key] = before
                    else:
                        table.items[hash_key] = before
                raise

        models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _installed = True
