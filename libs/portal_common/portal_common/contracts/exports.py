"""Events the exports service publishes (schemas in /openapi.json's event catalogue)."""

from __future__ import annotations

from portal_common.contracts import retention
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


@event_type("exports.personal_data.requested", owner=OWNER)
class PersonalDataRequested(EventPayload):
    """Every service writes what it holds of the user and their children into `bucket`/`prefix<service>/`
    (the drop box) and answers `<service>.personal_data.delivered` (see portal_common.retention)."""

    export_id: str
    user_id: str
    child_ids: list[str]
    language: str
    bucket: str
    prefix: str


@event_type("exports.personal_data.continue", owner=OWNER)
class PersonalDataContinue(EventPayload):
    """The next step of packing a personal-data export's parts into its ZIP (to this service itself)."""

    export_id: str
    step: int


@event_type("exports.purge.requested", owner=OWNER)
class PurgeRequested(EventPayload):
    """The named services purge the child again: a confirmation was missing, or this is a verification
    round (the purge repeated must find nothing left). Same fields as `auth.child.retention_due`."""

    child_id: str
    access_until: str
    guardian_ids: list[str] = []
    services: list[str]
    round: int = 0  # 0: the purge itself (a request from before rounds were counted), then 1, 2, ...


@event_type("exports.child.purged", owner=OWNER)
class ChildPurged(retention.ChildPurged):
    """The exports service deleted the child's exports and copies (and the removed guardians' exports)."""


@event_type("exports.personal_data.delivered", owner=OWNER)
class PersonalDataDelivered(retention.PersonalDataDelivered):
    """The exports service's part of a personal-data export (the user's exports) is in place."""


PUBLISHES = (DiaryExportRequested, ExportReady, PersonalDataRequested, PersonalDataContinue, PurgeRequested,
             ChildPurged, PersonalDataDelivered)
