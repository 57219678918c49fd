"""The timeline's part of a personal-data export (the right of access), and the names it shows in it.

`exports.personal_data.requested` (`portal_common.retention.personal_data_handlers`) calls `write`, which
puts into the exports drop box under `timeline/`, per requested child that the timeline holds data of:

- `photos.json`: each photo the child is tagged in whose photo consent holds now (the feed's rule: every
  tagged child's consent must cover it, so a classmate's withdrawn consent keeps a shared photo out): its
  day, when it was published, the group, who published it (by name) and its file in the export; the
  full-size photo itself is copied server-side to `files/photos/<child>/<day>_<time>_<photo id>.jpg`;
- `diary.json`: the staff's daily reports and the parents' own entries (day, kind, text, the day's
  rhythm, who wrote it by name, its photos as files in the export). All of it, also when diary consent
  was withdrawn later: the right of access covers what is still held, and a diary is the child's alone;
- `photo_access_log.json`: who opened or downloaded the child's photos and when (name and role), as the
  guardians see it in the app;
- `children.json`: what the timeline keeps of the child from the directory: name, groups over time and
  the consents as it applies them.

Other families stay out: the other children tagged in a photo are not named, and people appear by name
and role only. No links (presigned URLs expire and are secrets while they work), no ids of other people.
The request's children were checked against the user's token by the exports service; the timeline never
adds a child that is not in `child_ids` (it keeps no record of families to check the link itself). A
child it holds nothing of is left out.

The names come from `auth.user.changed` (`directory_copy.on_user_changed`): name and role only, nothing else of
the account.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from portal_common import clock, files, store
from portal_common.retention import Part
from timeline_service import directory_copy, visibility
from timeline_service.diary.store import DiaryItem, diary_pk
from timeline_service.feed.store import FeedEntryItem, child_pk
from timeline_service.photos import files as photo_files
from timeline_service.photos.store import PhotoAccessItem, PhotoItem, get_photos
from timeline_service.store import UserNameCopyItem

log = logging.getLogger("timeline.personal_data")
MISSING = {"404", "NoSuchKey", "NotFound"}


# -- names --------------------------------------------------------------------------------------
class Names:
    """People's and groups' names for one export, each looked up once."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.people: dict[str, str | None] = {}
        self.groups: dict[str, str | None] = {}

    def load_people(self, user_ids: set[str]) -> None:
        wanted = sorted(u for u in user_ids - set(self.people) if store.SEPARATOR not in u)
        keys = [(store.key(self.tenant, "USER", u), "USER") for u in wanted]
        found = {row.user_id: row.name for row in UserNameCopyItem.batch_get(keys)} if keys else {}
        self.people.update({u: found.get(u) for u in wanted})

    def person(self, user_id: str) -> str | None:
        return self.people.get(user_id)

    def group(self, group_id: str) -> str | None:
        if group_id not in self.groups:
            found = directory_copy.group(self.tenant, group_id)
            self.groups[group_id] = found.name if found else None
        return self.groups[group_id]


def _at(moment: str) -> str:
    """An instant as ISO text in Dutch time (the time of day a parent would recognise)."""
    return clock.local(datetime.fromisoformat(moment)).isoformat(timespec="seconds")


# -- the part -----------------------------------------------------------------------------------
def write(part: Part) -> None:
    tenant = part.request.tenant
    names = Names(tenant)
    sections: dict[str, list[dict[str, Any]]] = {"photos": [], "diary": [], "photo_access_log": [], "children": []}
    slugs: set[str] = set()
    for child_id in dict.fromkeys(part.request.child_ids):
        if store.SEPARATOR in child_id:
            continue  # not an id: it could name no child
        child = _Child(tenant, child_id)
        if not child.holds_anything():
            continue
        slug = files.unique(files.slug(child.name or "", files.slug(child_id)), slugs, mark="-{n}")
        paths = _photos(part, child, slug, names, sections["photos"])
        names.load_people({d.author_id for d in child.diary} | {r.user_id for r in child.log})
        sections["diary"].append({"child": child.name, "entries": [_entry(d, names, paths) for d in child.diary]})
        sections["photo_access_log"].append({"child": child.name, "accesses": [
            _access(r, names, paths, child.photo_days) for r in reversed(child.log)]})  # newest first, as in the app
        sections["children"].append(_about(child, names))
    for name, data in sections.items():
        part.json(name, data)


class _Child:
    """What the timeline holds of one child, read once."""

    def __init__(self, tenant: str, child_id: str) -> None:
        self.tenant, self.child_id = tenant, child_id
        copy = directory_copy.child(tenant, child_id)
        self.name = copy.name if copy else None
        self.feed = [e for e in FeedEntryItem.query(child_pk(tenant, child_id)) if e.kind == "photo"]
        self.photo_days = {e.item_id: e.date for e in self.feed}
        self.diary = list(DiaryItem.query(diary_pk(tenant, child_id)))
        self.log = list(PhotoAccessItem.query(store.key(tenant, "PHOTOLOG", child_id)))
        self.placements = directory_copy.placements(tenant, child_id)
        self.consents = directory_copy.consents(tenant, child_id)

    def holds_anything(self) -> bool:
        return bool(self.name or self.feed or self.diary or self.log or self.placements or self.consents)



def _photos(part: Part, child: _Child, slug: str, names: Names, out: list[dict[str, Any]]) -> dict[str, str]:
    """Copy the child's shown photos into the part and describe them; photo id -> its file in the export."""
    consents = directory_copy.consents_of(child.tenant, {c for e in child.feed for c in e.child_ids})
    shown = [e.item_id for e in child.feed if visibility.photo_consent(e.child_ids, e.published_at, consents)]
    rows: list[PhotoItem] = sorted(get_photos(child.tenant, shown).values(),
                                   key=lambda p: (p.date, p.published_at, p.photo_id))
    names.load_people({p.uploaded_by for p in rows})
    paths: dict[str, str] = {}
    described = []
    for photo in rows:
        at = clock.local(datetime.fromisoformat(photo.published_at))
        path = f"files/photos/{slug}/{photo.date}_{at:%H-%M-%S}_{photo.photo_id}.jpg"
        try:
            part.copy(photo_files.photos_bucket(), photo.keys["full"], path)
        except ClientError as exc:  # its file went (a purge under way): the photo is not there to give
            if exc.response.get("Error", {}).get("Code") not in MISSING:
                raise
            log.warning("photo without its file left out", extra={"photo_id": photo.photo_id})
            continue
        paths[photo.photo_id] = path
        described.append({"date": photo.date, "published_at": _at(photo.published_at),
                          "group": names.group(photo.group_id), "published_by": names.person(photo.uploaded_by),
                          "file": path})
    out.append({"child": child.name, "photos": described})
    return paths


def _entry(item: DiaryItem, names: Names, paths: dict[str, str]) -> dict[str, Any]:
    return {"date": item.date, "kind": item.kind, "text": item.text,
            "rhythm": [{"kind": r.get("kind"), "time": r.get("time"), "note": r.get("note", "")}
                       for r in item.rhythm or []],
            "written_by": names.person(item.author_id), "author_role": item.author_role,
            "group": names.group(item.group_id), "written_at": _at(item.created_at),
            "updated_at": _at(item.updated_at),
            "photos": [paths[p] for p in item.photo_ids or [] if p in paths]}


def _access(row: PhotoAccessItem, names: Names, paths: dict[str, str], days: dict[str, str]) -> dict[str, Any]:
    return {"at": _at(row.at), "action": row.action, "by": names.person(row.user_id), "role": row.role,
            "photo_date": days.get(row.photo_id), "photo": paths.get(row.photo_id)}


def _about(child: _Child, names: Names) -> dict[str, Any]:
    consents = child.consents
    return {"child": child.name,
            "groups": [{"group": names.group(p.group_id), "from": p.start, "until": p.end}
                       for p in sorted(child.placements, key=lambda p: p.start)],
            "consents": None if consents is None else {
                "photos": consents.photos, "diary": consents.diary, "outings": consents.outings,
                "photos_hidden_before": _at(consents.photos_from) if consents.photos_from else None}}
