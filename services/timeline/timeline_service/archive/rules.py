"""What a diary archive holds and how its entries are named, as pure functions.

What goes in is what the child's guardian sees of the period *now*, by the timeline's one rule
(`visibility`): the photos the child is tagged in and the group's photos of the days it was placed there,
whose consent holds now, and, with diary consent, every staff report and parent's entry. The archive's bytes
are a function of the manifest alone (entry times come from the data, never from the clock), so a step that
runs twice writes identical parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from portal_common.authz import Principal
from timeline_service import visibility

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the business time zone (as portal_common.clock's), for names and times
ZipTime = tuple[int, int, int, int, int, int]


def placed_days(placement: Any, start: str, end: str) -> tuple[str, str] | None:
    """The days of the period (`start` to `end`, both included) the child was placed in the placement's group;
    None for none."""
    first, last = max(start, placement.start), min(end, placement.end or end)
    return (first, last) if first <= last else None


def selected(viewer: Principal, photos: Iterable[Any], rows: Iterable[Any], consents: Mapping[str, Any],
             placements: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """The photo feed entries and diary rows of the period that `viewer` (the child's guardian) sees now."""
    stays = list(placements)
    shown = [e for e in photos if visibility.may_see(viewer, visibility.of_entry(e, e.location_id), consents, stays)]
    return shown, [r for r in rows if visibility.may_see(viewer, visibility.of_diary(r, r.location_id), consents)]


def local(at: str) -> datetime:
    """An instant (ISO text, with its offset) in Amsterdam time."""
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        raise ValueError("aware datetime required")
    return moment.astimezone(AMSTERDAM)


def zip_time(at: str, day: str | None = None) -> ZipTime:
    """A ZIP entry's time: the moment `at` (Amsterdam), on `day` when given (a photo of an earlier day
    published later keeps the day it shows; only the time of day comes from its publication)."""
    moment = local(at)
    on = date.fromisoformat(day) if day else moment.date()
    return (on.year, on.month, on.day, moment.hour, moment.minute, moment.second)


def manifest(photos: Iterable[Any], rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Everything the archive holds, in date order (a day's diary pages before its photos), each with its path
    in the ZIP: `fotos/<month>/<day>_<time>_<id>.jpg`, `dagboek/<month>/<day>_dagverslag.html` (or
    `..._eigen-bericht-<n>.html` for a parent's entry)."""
    entries: list[dict[str, Any]] = []
    for photo in sorted(photos, key=lambda p: (p.date, p.published_at, p.item_id)):
        moment = local(photo.published_at)
        name = f"{photo.date}_{moment:%H-%M-%S}_{photo.item_id.removeprefix('pho-')[-8:]}.jpg"
        entries.append({"kind": "photo", "id": photo.item_id, "date": photo.date, "at": photo.published_at,
                        "path": f"fotos/{photo.date[:7]}/{name}"})
    for n, row in enumerate(rows):
        label = "dagverslag" if row.kind == "report" else f"eigen-bericht-{n + 1}"
        entries.append({"kind": "diary", "id": row.diary_id, "date": row.date, "at": row.updated_at,
                        "diary_kind": row.kind, "path": f"dagboek/{row.date[:7]}/{row.date}_{label}.html"})
    entries.sort(key=lambda x: (x["date"], x["kind"] != "diary", x["path"]))
    return entries
