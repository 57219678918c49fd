"""A service's tables as a value to compare, and put back as they were (moto in-process).

`snapshot` copies the items moto holds (a table's items are all moto keeps: its indexes are read from
them), `restore` puts such a copy back, and `state` is what the redelivery gate compares: every item
but the inbox and outbox rows (`_INBOX#...`, `_OUTBOX#...`, the consumer's and the publisher's
bookkeeping) and their optimistic-lock counters, with ids made during the comparison (ULIDs not seen
before) replaced by a placeholder, since two runs that do the same thing make different ones.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
BOOKKEEPING = ("_INBOX#", "_OUTBOX#")
# The optimistic lock of rows several events edit (`store.modify_versioned`): how many writes, not what.
COUNTERS = {"version"}
# A ULID (`ids.new_id`), alone or inside a composite id, in either case.
_ULID = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}(?![0-9A-Za-z])")
# The SHA-256 of a random secret a handler made (a one-time link's row is keyed by it): random like a new id.
_SECRET_HASH = re.compile(r"(?<=ONETIME#)[0-9a-f]{64}")


def _tables(names: list[str]) -> dict[str, Any]:
    from moto.dynamodb.models import dynamodb_backends

    from portal_common import settings

    backend = dynamodb_backends[ACCOUNT][settings.get_settings().region]
    return {name: backend.tables[name] for name in names}


def table_names(app: Any) -> list[str]:
    from portal_common import resources

    return [t.name for t in resources.describe(app).tables]


Snapshot = dict[str, Any]


def snapshot(names: list[str]) -> Snapshot:
    return {name: copy.deepcopy(table.items) for name, table in _tables(names).items()}


def restore(saved: Snapshot) -> None:
    for name, table in _tables(list(saved)).items():
        table.items = copy.deepcopy(saved[name])


def _items(table: Any) -> list[dict[str, Any]]:
    found = []
    for value in table.items.values():
        for item in value.values() if isinstance(value, dict) else [value]:
            found.append(item.to_json()["Attributes"])
    return found


def raw_items(saved_or_names: Snapshot | list[str]) -> list[str]:
    """Every item (bookkeeping rows and counters left out) as canonical JSON."""
    if isinstance(saved_or_names, dict):
        tables = {name: type("T", (), {"items": items})() for name, items in saved_or_names.items()}
    else:
        tables = _tables(saved_or_names)
    rows = []
    for name, table in sorted(tables.items()):
        for attrs in _items(table):
            pk = str(next(iter(attrs.get("pk", {}).values()), ""))
            if pk.startswith(BOOKKEEPING):
                continue
            kept = {n: v for n, v in attrs.items() if n not in COUNTERS}
            rows.append(json.dumps({"table": name, **kept}, sort_keys=True))
    return rows


def ids_in(rows: list[str], *more: str) -> set[str]:
    return {m.group(0) for text in [*rows, *more] for m in _ULID.finditer(text)}


def state(names: list[str], known_ids: set[str]) -> list[str]:
    """The tables' items, sorted, ids not in `known_ids` (made since) replaced by `<new id>`."""

    def placeholder(match: re.Match[str]) -> str:
        return match.group(0) if match.group(0) in known_ids else "<new id>"

    return sorted(_SECRET_HASH.sub("<new secret>", _ULID.sub(placeholder, row)) for row in raw_items(names))


def difference(expected: list[str], actual: list[str], limit: int = 4) -> str:
    """What differs, item by item (by key), attribute by attribute: a short, readable account."""

    def keyed(rows: list[str]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
        found: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for row in rows:
            item = json.loads(row)
            key = (item["table"], json.dumps(item.get("pk")), json.dumps(item.get("sk")))
            found.setdefault(key, []).append(item)
        return found

    want, got = keyed(expected), keyed(actual)
    lines = []
    for key in sorted(set(want) | set(got)):
        a, b = want.get(key, []), got.get(key, [])
        if a == b:
            continue
        where = f"{key[0]} {json.loads(key[1])} {json.loads(key[2])}"
        if len(a) == len(b) == 1:
            names = sorted(n for n in set(a[0]) | set(b[0]) if a[0].get(n) != b[0].get(n))
            changes = "; ".join(f"{n}: {json.dumps(a[0].get(n))[:160]} != {json.dumps(b[0].get(n))[:160]}"
                                for n in names)
            lines.append(f"  {where}: {changes}")
        else:
            lines.append(f"  {where}: {len(a)} item(s) expected, {len(b)} found")
        if len(lines) >= limit:
            break
    return "\n".join(lines)
