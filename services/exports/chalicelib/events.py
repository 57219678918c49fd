"""Events the exports service publishes (schemas in /openapi.json's event catalogue)."""

from __future__ import annotations

from portal_common.events import EventPayload, event_type

OWNER = "exports"


@event_type("exports.diary.requested", owner=OWNER)
class DiaryExportRequested(EventPayload):
    """The timeline builds the child's diary archive for the period into `bucket`/`key` (its drop box)."""

    export_id: str
    child_id: str
    start: str  # the period, both days included
    end: str
    requested_by: str
    language: str
    bucket: str
    key: str
    file_name: str


@event_type("exports.export.ready", owner=OWNER)
class ExportReady(EventPayload):
    """An archive can be downloaded (the notifications e-mail its owner a link to our API)."""

    export_id: str
    kind: str
    user_id: str
    child_id: str | None = None
    available_until: str


PUBLISHES = (DiaryExportRequested, ExportReady)
