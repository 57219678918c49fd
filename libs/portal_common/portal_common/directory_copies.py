"""Children's names, placements and groups, as several services keep them from auth's events (never read
from auth).

`auth.child.placed` carries the name and a placement, `auth.child.updated` a corrected name, and
`auth.placement.changed` new dates (with `previous_start` when the start itself moved: placements are
known by their start; the moved one's row stays, as a placement of no days, so a late older event cannot
bring it back). Each service keeps the rows in its own table with its own item classes (the
name row `<t>#CHILD#<child>`/`CHILD`, placement rows `.../PLACEMENT#<start>`), and may index placements
further (`index`: extra attributes, e.g. GSI keys for "the children of a group"); with a group model,
groups too (`auth.group.changed`: name and location, `<t>#GRP#<group>`/`GROUP`). Newest event wins
(`store.save_unless_older`): handlers are idempotent and order-tolerant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from . import events, store
from .contracts.auth import ChildPlaced, ChildUpdated, GroupChanged, PlacementChanged
from .events import Envelope

MOVED_KEPT_SECONDS = 15 * 24 * 3600  # longer than SQS keeps a message (14 days)


@dataclass(frozen=True)
class CopyItems:
    child: type[Any]
    placement: type[Any]
    group: type[Any]


def copy_items(base: type[Any]) -> CopyItems:
    """The item classes of the copies, declared once, on a service's own table (`base`: its main item):

        ChildCopyItem, PlacementCopyItem, GroupCopyItem = astuple(copy_items(TimelineItem))

    A service that keeps more of a copy subclasses one (planning's group copy adds the capacity)."""
    module = base.__module__

    def item(class_name: str, doc: str, attributes: dict[str, Any]) -> type[Any]:
        return type(class_name, (base,), {"__doc__": doc, "__module__": module, **attributes,
                                          "as_of": UnicodeAttribute()})  # the moment of the event it came from

    return CopyItems(
        child=item("ChildCopyItem", "A child's name, kept from auth's child events.",
                   {"child_id": UnicodeAttribute(), "name": UnicodeAttribute()}),
        placement=item("PlacementCopyItem", "A child's placement in a group over time, kept from auth's events.",
                       {"child_id": UnicodeAttribute(), "group_id": UnicodeAttribute(),
                        "location_id": UnicodeAttribute(), "start": UnicodeAttribute(),
                        "end": UnicodeAttribute(null=True)}),
        group=item("GroupCopyItem", "A group's name and location, kept from `auth.group.changed`.",
                   {"group_id": UnicodeAttribute(), "location_id": UnicodeAttribute(), "name": UnicodeAttribute()}),
    )


class DirectoryCopies:
    def __init__(self, child_model: Any, placement_model: Any, *, group_model: Any = None,
                 index: Callable[[str, Any], dict[str, Any]] | None = None) -> None:
        self.child_model = child_model
        self.placement_model = placement_model
        self.group_model = group_model
        self.index = index or (lambda tenant, placement: {})

    @staticmethod
    def child_pk(tenant: str, child_id: str) -> str:
        return store.key(tenant, "CHILD", child_id)

    # -- events ------------------------------------------------------------------------------------
    def on_child_updated(self, env: Envelope, child: ChildUpdated | ChildPlaced) -> None:
        store.save_unless_older(self.child_model(self.child_pk(env.tenant, child.child_id), "CHILD",
                                                 child_id=child.child_id, name=child.child_name,
                                                 as_of=env.occurred_at.isoformat()))

    def on_child_placed(self, env: Envelope, placed: ChildPlaced) -> None:
        self.on_child_updated(env, placed)  # both carry the child's name
        self._save_placement(env, placed)

    def on_placement_changed(self, env: Envelope, changed: PlacementChanged) -> None:
        if changed.previous_start and changed.previous_start != changed.start:
            self._save_moved(env, changed, changed.previous_start)
        self._save_placement(env, changed)

    def _save_moved(self, env: Envelope, changed: PlacementChanged, start: str) -> None:
        """The placement that started on `start` moved: not deleted but kept as a row of no days (its end
        the day before its start), as of this event, so an older event about it that SQS delivers late
        cannot bring it back (`save_unless_older` refuses it). It goes once SQS cannot deliver one."""
        day_before = (date.fromisoformat(start) - timedelta(days=1)).isoformat()
        store.save_unless_older(self.placement_model(
            self.child_pk(env.tenant, changed.child_id), f"PLACEMENT#{start}", child_id=changed.child_id,
            group_id=changed.group_id, location_id=changed.location_id, start=start, end=day_before,
            as_of=env.occurred_at.isoformat(), expires_at=int(env.occurred_at.timestamp()) + MOVED_KEPT_SECONDS))

    @staticmethod
    def moved(placement: Any) -> bool:
        return placement.end is not None and placement.end < placement.start

    def _save_placement(self, env: Envelope, placement: ChildPlaced | PlacementChanged) -> None:
        t = env.tenant
        store.save_unless_older(self.placement_model(
            self.child_pk(t, placement.child_id), f"PLACEMENT#{placement.start}", child_id=placement.child_id,
            group_id=placement.group_id, location_id=placement.location_id, start=placement.start,
            end=placement.end, as_of=env.occurred_at.isoformat(), **self.index(t, placement)))

    def on_group_changed(self, env: Envelope, group: GroupChanged) -> None:
        store.save_unless_older(self.group_model(store.key(env.tenant, "GRP", group.group_id), "GROUP",
                                                 group_id=group.group_id, location_id=group.location_id,
                                                 name=group.name, as_of=env.occurred_at.isoformat()))

    @property
    def handlers(self) -> dict[str, Callable[[Envelope], None]]:
        pairs: list[tuple[type[Any], Callable[[Envelope, Any], None]]] = [
            (ChildPlaced, self.on_child_placed), (ChildUpdated, self.on_child_updated),
            (PlacementChanged, self.on_placement_changed)]
        if self.group_model is not None:
            pairs.append((GroupChanged, self.on_group_changed))
        return events.handlers(*pairs)

    # -- reads -------------------------------------------------------------------------------------
    def forget(self, tenant: str, child_id: str) -> int:
        """Delete the child's name and placement rows (a retention purge); how many there were."""
        rows = [*self.placement_model.query(self.child_pk(tenant, child_id),
                                            self.placement_model.sk.startswith("PLACEMENT#"), consistent_read=True)]
        found = self.child(tenant, child_id)
        rows += [found] if found is not None else []
        for row in rows:
            row.delete()
        return len(rows)

    def child(self, tenant: str, child_id: str) -> Any | None:
        try:
            return self.child_model.get(self.child_pk(tenant, child_id), "CHILD")
        except self.child_model.DoesNotExist:
            return None

    def group(self, tenant: str, group_id: str) -> Any | None:
        try:
            return self.group_model.get(store.key(tenant, "GRP", group_id), "GROUP")
        except self.group_model.DoesNotExist:
            return None

    def child_name(self, tenant: str, child_id: str) -> str | None:
        found = self.child(tenant, child_id)
        return str(found.name) if found else None

    def placements(self, tenant: str, child_id: str, *, consistent: bool = False) -> list[Any]:
        """The child's placements (not the rows left of moved ones)."""
        return [p for p in self.placement_model.query(self.child_pk(tenant, child_id),
                                                      self.placement_model.sk.startswith("PLACEMENT#"),
                                                      consistent_read=consistent) if not self.moved(p)]

    @staticmethod
    def covers(placement: Any, day: date) -> bool:
        iso = day.isoformat()
        return bool(placement.start <= iso and (placement.end is None or iso <= placement.end))

    def groups_on(self, tenant: str, child_id: str, day: date, *, consistent: bool = False) -> set[str]:
        """The groups the child was placed in on `day` (usually one; two on the day of a move)."""
        return {p.group_id for p in self.placements(tenant, child_id, consistent=consistent) if self.covers(p, day)}
