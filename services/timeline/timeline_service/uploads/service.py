"""An upload asked for: its day and tags checked (`rules`), its row written and a presigned POST handed out.

Staff of a group ask for a presigned POST (a few minutes, one image of at most the declared size, a declared
image type, encrypted at rest) for a day, tagging children who were placed in that group that day. The
upload row starts as `processing`; `processing.process_upload` takes it from there.
"""

from __future__ import annotations

from datetime import date, datetime

from portal_common import clock
from timeline_service import directory_copy
from timeline_service.store import GroupCopyItem
from timeline_service.uploads import rules, store
from timeline_service.uploads.store import UploadItem


def request_upload(tenant: str, user_id: str, *, group_id: str, location_id: str, day: date, child_ids: list[str],
                   content_type: str, size: int, now: datetime | None = None,
                   ) -> tuple[UploadItem, str, dict[str, str]]:
    """The upload row and a presigned POST for its one file, when every tagged child was in the group that day
    (`now`: the moment it is asked, the business clock's when left out)."""
    rules.check_tagged(child_ids, group_id, {c: directory_copy.groups_on(tenant, c, day) for c in child_ids})
    return store.create(tenant, user_id, group_id=group_id, location_id=location_id, day=day, child_ids=child_ids,
                        content_type=content_type, size=size, now=now or clock.now())


def start(tenant: str, user_id: str, group: GroupCopyItem, *, asked: date | None, child_ids: list[str],
          content_type: str, size: int, today: date, now: datetime) -> tuple[UploadItem, str, dict[str, str]]:
    """`POST /timeline/uploads`: the photo's day (`rules.photo_day`), then `request_upload`."""
    day = rules.photo_day(asked, today)
    return request_upload(tenant, user_id, group_id=group.group_id, location_id=group.location_id, day=day,
                          child_ids=child_ids, content_type=content_type, size=size, now=now)
