"""A few weeks of generated photos and diary reports per demo group, so a newcomer's timeline is not empty.

Written through the timeline's own pipeline (upload row, raw file in the uploads bucket, processing into
metadata-free derivatives, consent checks): every parent gives photo consent except Luuk's
(parent10), whose tagged photos are therefore blocked, as they would be for real. The images are drawn
with Pillow (colour fields and shapes with the group's name and the day): no real child in them.
Every child present gets a staff report per day (through the diary's own write, with the day's rhythm and
the photos the child is tagged in), and Sanne (parent1) wrote an entry of her own yesterday.
"""

from __future__ import annotations

import io
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as dt_time

from infra.local import demo_data as d
from portal_common import clock

WITHOUT_PHOTO_CONSENT = "child-luuk"
COLOURS = {"grp-rupsen": (231, 111, 81), "grp-vlinders": (42, 157, 143), "grp-bijen": (233, 196, 106)}


def _picture(group: str, day: date, n: int) -> bytes:
    from PIL import Image, ImageDraw

    base = COLOURS.get(group, (120, 120, 200))
    image = Image.new("RGB", (1600, 1200), base)
    draw = ImageDraw.Draw(image)
    for i in range(6):
        shade = tuple(min(255, c + 25 * ((i + n) % 4)) for c in base)
        x, y = 120 + (i * 241 + n * 97) % 1200, 140 + (i * 173 + n * 61) % 800
        draw.ellipse((x, y, x + 260, y + 260), fill=shade)
    draw.text((60, 60), f"{group.removeprefix('grp-').title()} · {day.isoformat()}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


STORIES = (
    "{name} speelde vandaag lang in de bouwhoek en bouwde een hoge toren. Aan tafel goed gegeten.",
    "Buiten gespeeld in de zandbak; {name} vond de emmers en scheppen prachtig. Heerlijk geslapen na de lunch.",
    "{name} heeft met verf gewerkt: de kunstwerken hangen bij de deur. Vrolijk en nieuwsgierig vandaag.",
    "Samen boekjes gelezen en liedjes gezongen. {name} deed enthousiast mee met de bewegingsliedjes.",
    "Een rustige dag. {name} was wat moe en heeft extra lang geslapen; verder goed gegeten en gedronken.",
)


def _rhythm(n: int) -> list[dict[str, str]]:
    return [{"kind": "meal", "time": "09:30", "note": "fruit en water"},
            {"kind": "sleep", "time": f"12:{15 + n % 3 * 15:02d}", "note": "ruim anderhalf uur"},
            {"kind": "diaper", "time": "14:00", "note": ""},
            {"kind": "activity", "time": "15:30", "note": ("buiten spelen", "knutselen", "muziek")[n % 3]}]


def _write_reports(tenant: str, group: str, day: date, n: int, members: list[str],
                   photos: dict[str, list]) -> int:
    from timeline_service.app import outbox
    from timeline_service.diary import service as diary

    names = {c.id: c.name.split()[0] for family in d.FAMILIES for c in family.children}
    written = 0
    for k, child_id in enumerate(members):
        diary.write(outbox, tenant, child_id=child_id, day=day,
                    author_id=f"user-staff{list(COLOURS).index(group) + 1}", author_role="staff", group_id=group,
                    location_id=d.LOCATION_ID, text=STORIES[(n + k) % len(STORIES)].format(name=names[child_id]),
                    rhythm=_rhythm(n + k), photos=photos.get(child_id, []),
                    at=datetime.combine(day, dt_time(16, 30 + k), tzinfo=clock.AMSTERDAM))
        written += 1
    return written


def _open_days(today: date, days: int) -> list[date]:
    from planning_service import opening_days

    found, day = [], today
    while len(found) < days:
        if day.isoweekday() <= 5 and opening_days.closure(day) is None:
            found.append(day)
        day -= timedelta(days=1)
    return sorted(found)


def seed_photos(days: int = 10, wait_seconds: float = 0.0, stop: threading.Event | None = None) -> list[str]:
    """Consents for the demo children, then two photos per group and open day: one tagged, one of the group."""
    from auth_service.app import directory
    from timeline_service import directory_copy as copy
    from timeline_service.app import outbox
    from timeline_service.diary import service as diary
    from timeline_service.photos import store as photos
    from timeline_service.uploads import processing, service, store

    tenant, today = d.TENANT, clock.today()
    children = {c.id: (c.group_id, f"user-parent{family.parents[0][0]}") for family in d.FAMILIES
                for c in family.children}
    for child_id, (_group, parent) in children.items():
        directory.set_consents(tenant, child_id, parent, photos=child_id != WITHOUT_PHOTO_CONSENT, diary=True,
                                    outings=True)
    deadline = time.monotonic() + wait_seconds
    while not all(copy.consents(tenant, c) for c in children) or not all(
            copy.groups_on(tenant, c, today) for c in children):
        if time.monotonic() > deadline or (stop is not None and stop.is_set()):
            return ["demo photos: skipped, the timeline has not received the consents and placements yet"]
        time.sleep(0.1)
    s3 = processing.aws.client("s3")
    outcomes: dict[str, int] = {}
    reports = 0
    for n, day in enumerate(_open_days(today, days)):
        for group in COLOURS:
            if stop is not None and stop.is_set():
                return ["demo photos: stopped with the stack"]
            members = sorted(c for c, (g, _p) in children.items() if group in copy.groups_on(tenant, c, day))
            tagged = [members[n % len(members)], members[(n + 1) % len(members)]] if len(members) > 1 else members
            photos_of: dict[str, list] = {}
            for m, tags in enumerate((tagged, [])):
                data = _picture(group, day, n * 2 + m)
                item, _url, _fields = service.request_upload(
                    tenant, f"user-staff{list(COLOURS).index(group) + 1}", group_id=group,
                    location_id=d.LOCATION_ID, day=day, child_ids=sorted(set(tags)), content_type="image/jpeg",
                    size=len(data))
                s3.put_object(Bucket=store.bucket(store.UPLOADS), Key=item.s3_key, Body=data,
                              ContentType="image/jpeg", ServerSideEncryption=store.SSE)
                done = processing.process_upload(outbox, tenant, item.upload_id)
                status = done.status if done else "missing"
                outcomes[status] = outcomes.get(status, 0) + 1
                if status == "published":
                    photo = photos.get_photo(tenant, done.photo_id)
                    for child_id in photo.child_ids:
                        photos_of.setdefault(child_id, []).append(photo)
            reports += _write_reports(tenant, group, day, n, members, photos_of)
    diary.write(outbox, tenant, child_id="child-noor", day=today - timedelta(days=1),
                             author_id="user-parent1", author_role="parent", group_id="grp-rupsen",
                             location_id=d.LOCATION_ID, text="Noor heeft vannacht slecht geslapen, ze kan "
                             "vandaag wat hangerig zijn. Opa haalt haar om 17:00 op.", rhythm=[], photos=[],
                             at=datetime.combine(today - timedelta(days=1), dt_time(7, 45), tzinfo=clock.AMSTERDAM))
    summary = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items()))
    return [f"demo photos: {summary} (Luuk has no photo consent); {reports} diary reports"]
