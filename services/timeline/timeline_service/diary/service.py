"""What the diary routes (and the demo) do: write an entry after its rules, and read the entries a reader is
shown, in as few calls as they can (`rules.shown` decides, with `visibility`).

Reading a list: one Query (a child's page, a group's day), then one BatchGetItem of its photos, one of the
consents, and for a manager reading rows written before rows carried their location, one of the groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from portal_common import aws, ids
from portal_common.authz import Principal
from portal_common.domain import Missing
from portal_common.files import SSE
from portal_common.outbox import Outbox
from timeline_service import directory_copy
from timeline_service import ids as timeline_ids
from timeline_service.diary import html, rules, store
from timeline_service.diary.store import DiaryItem
from timeline_service.photos import files
from timeline_service.photos import store as photo_store
from timeline_service.photos.store import PhotoItem
from timeline_service.store import GroupCopyItem, PlacementCopyItem

Shown = tuple[DiaryItem, list[PhotoItem]]  # an entry and those of its photos the reader may see


@dataclass(frozen=True)
class Download:
    url: str
    file_name: str
    expires_at: datetime


def placed_on(tenant: str, child_id: str, day: date, placements: list[PlacementCopyItem] | None = None,
              ) -> tuple[set[str], GroupCopyItem | None]:
    """The child's groups on `day` (who may touch its diary of that day) and the group its entry of that day is
    written in, None when it was in none (`placements`: the child's, when the caller has read them already)."""
    if placements is None:
        placements = directory_copy.placements(tenant, child_id)
    groups, first = rules.group_of_day(placements, day.isoformat())
    return groups, directory_copy.group(tenant, first) if first else None


def write(outbox: Outbox, tenant: str, *, child_id: str, day: date, author_id: str, author_role: str,
          group_id: str, location_id: str, text: str, rhythm: list[dict[str, Any]], photos: list[PhotoItem],
          at: datetime) -> tuple[DiaryItem, bool]:
    """Staff: the day's report, created or replaced (True when created). Parents: a new entry. Only with the
    child's diary consent; `at`: when it is written."""
    rules.require_diary_consent(directory_copy.consents(tenant, child_id))
    now, day_s = at.isoformat(), day.isoformat()
    suffix = rules.suffix_for(author_role, ids.new_id)
    existing = store.get(tenant, rules.diary_id(child_id, day_s, suffix)) if suffix == rules.STAFF else None
    item = store.new_row(tenant, child_id=child_id, day=day_s, suffix=suffix, group_id=group_id,
                         location_id=location_id, author_id=author_id, author_role=author_role, text=text,
                         rhythm=rhythm, photos=photos, created_at=existing.created_at if existing else now,
                         updated_at=now)
    store.save(outbox, tenant, item, suffix, photos, existing)
    return item, existing is None


def write_for(outbox: Outbox, writer: Principal, group: GroupCopyItem, *, child_id: str, day: date, text: str,
              rhythm: list[dict[str, Any]], photo_ids: list[str], today: date, now: datetime,
              ) -> tuple[DiaryItem, bool]:
    """`POST /timeline/diary`: the day (`rules.check_day`), the photos (`rules.chosen_photos`), then `write`."""
    tenant, role = writer.tenant, rules.author_role(writer)
    rules.check_day(role, day, today)
    found = photo_store.get_photos(tenant, [p for p in photo_ids if timeline_ids.PHOTO_ID.fullmatch(p)])
    consents = directory_copy.consents_of(tenant, {c for p in found.values() for c in p.child_ids})
    photos = rules.chosen_photos(writer, child_id, photo_ids, found, consents)
    return write(outbox, tenant, child_id=child_id, day=day, author_id=writer.user_id, author_role=role,
                 group_id=group.group_id, location_id=group.location_id, text=text, rhythm=rhythm, photos=photos,
                 at=now)


def visible(reader: Principal, rows: list[DiaryItem], locations: dict[str, str] | None = None) -> list[Shown]:
    """The rows the reader may see, each with those of its photos the reader may see (`locations`: the groups'
    locations the caller knows already)."""
    tenant = reader.tenant
    photos = photo_store.get_photos(tenant, [p for row in rows for p in row.photo_ids or []])
    consents = directory_copy.consents_of(tenant, {r.child_id for r in rows} |
                                          {c for p in photos.values() for c in p.child_ids})
    known = dict(locations or {})
    known.update(directory_copy.group_locations(tenant, rules.unlocated_groups(reader, rows, known)))
    return rules.shown(reader, rows, photos, consents, known)


def entry(tenant: str, diary_id: str) -> tuple[DiaryItem, str | None]:
    """The diary entry an id names and its group's location (stored with it, or looked up for one written before
    entries carried it); `Missing` when there is none."""
    item = store.get(tenant, diary_id)
    if item is None:
        raise Missing("not_found")
    group = None if item.location_id else directory_copy.group(tenant, item.group_id)  # written before
    return item, item.location_id or (group.location_id if group else None)


def readable(reader: Principal, item: DiaryItem, location: str | None) -> Shown:
    """The entry with its photos the reader may see; `Missing` when the reader may not see the entry."""
    found = visible(reader, [item], {item.group_id: location} if location else None)
    if not found:
        raise Missing("not_found")
    return found[0]


def child_page(reader: Principal, child_id: str, *, limit: int, start: dict[str, Any] | None,
               ) -> tuple[list[Shown], Any, bool]:
    """A page of the child's diary as the reader is shown it, where the next starts, and whether the child has
    diary consent (without it: nothing). Filtered by the rule (staff: their groups' entries only), a page may
    be shorter than asked; its cursor moves on."""
    tenant = reader.tenant
    if not rules.has_diary_consent(directory_copy.consents(tenant, child_id)):
        return [], None, False
    rows, last = store.of_child(tenant, child_id, limit=limit, start=start)
    return visible(reader, rows), last, True


def group_day(reader: Principal, group: GroupCopyItem, day: date) -> list[Shown]:
    """Every report and parent's entry of the group's day the reader is shown."""
    rows = store.of_group_day(reader.tenant, group.group_id, day)
    return visible(reader, rows, {group.group_id: group.location_id})


def download(reader: Principal, item: DiaryItem, shown: list[PhotoItem], now: datetime) -> Download:
    """Render the entry with its photos (those the reader may see) into a temporary object and link to it; each
    photo counts as downloaded in the child's access log."""
    tenant = reader.tenant
    s3 = aws.client("s3")
    images = {p.photo_id: s3.get_object(Bucket=files.photos_bucket(), Key=p.keys["medium"])["Body"].read()
              for p in shown}
    child = directory_copy.child(tenant, item.child_id)
    group = directory_copy.group(tenant, item.group_id)
    name = child.name if child else ""
    page = html.render(item, child_name=name, group_name=group.name if group else "", lang=reader.language,
                       photo_ids=[p.photo_id for p in shown],
                       image_src=lambda photo_id: html.data_uri(images[photo_id]))
    key = files.download_key(tenant, item.child_id, item.diary_id)
    s3.put_object(Bucket=files.photos_bucket(), Key=key, Body=page.encode("utf-8"),
                  ContentType="text/html; charset=utf-8", ServerSideEncryption=SSE)
    photo_store.record_access(reader, shown, "download")
    file_name = rules.download_name(item.kind, name, item.date)
    return Download(url=files.url(key, download_as=file_name), file_name=file_name,
                    expires_at=now + timedelta(seconds=files.URL_SECONDS))
