"""What the timeline reports of a diary archive it builds: progress, then completion."""

from __future__ import annotations

from typing import Any

from exports_service.diary import store
from portal_common import events
from portal_common.contracts.timeline import ArchiveCompleted, ArchiveProgress
from portal_common.events import Envelope
from portal_common.outbox import Outbox


def on_progress(env: Envelope, progress: ArchiveProgress) -> None:
    store.progressed(env.tenant, progress.export_id, progress.done, progress.total)


def handlers(outbox: Outbox) -> dict[str, Any]:
    def on_completed(env: Envelope, done: ArchiveCompleted) -> None:
        store.completed(outbox, env.tenant, done.export_id, size=done.size, photos=done.photos,
                        diary_pages=done.diary_pages)

    return events.handlers((ArchiveProgress, on_progress), (ArchiveCompleted, on_completed))
