"""The bases of the two events every service publishes for retention (see portal_common.retention):
`<service>.child.purged` and `<service>.personal_data.delivered`. Each family's module subclasses them."""

from __future__ import annotations

from pydantic import BaseModel

from portal_common.events import EventPayload


class Kept(BaseModel):
    """Data a service keeps after the purge because the law requires it, and until when."""

    kind: str
    count: int
    until: str  # ISO day from which it goes too
    reason: str


class ChildPurged(EventPayload):
    """Base of `<service>.child.purged`: the service deleted the child's (and the guardians') data."""

    child_id: str
    access_until: str
    deleted: dict[str, int] = {}
    left: int = 0
    kept: list[Kept] = []
    round: int = 0  # of the request answered: 0 the purge itself, later rounds verify (exports counts them)


class PersonalDataDelivered(EventPayload):
    """Base of `<service>.personal_data.delivered`: the service's part is in the drop box."""

    export_id: str
    files: int
    bytes: int
