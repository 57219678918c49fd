"""Events the auth service publishes: the directory facts other services keep a copy of."""

from __future__ import annotations

from typing import Literal

from portal_common.contracts import retention
from portal_common.events import EventPayload, event_type

OWNER = "auth"


@event_type("auth.child.placed", owner=OWNER)
class ChildPlaced(EventPayload):
    """A child was placed in a group (a new placement, or a move to another group)."""

    child_id: str
    child_name: str
    birth_date: str
    group_id: str
    location_id: str
    start: str
    end: str | None = None


@event_type("auth.guardian.linked", owner=OWNER)
class GuardianLinked(EventPayload):
    child_id: str
    user_id: str
    user_name: str = ""  # planning addresses invoices and annual statements to the guardians by name


@event_type("auth.staff.assigned", owner=OWNER)
class StaffAssigned(EventPayload):
    """A staff member's groups (or a manager's locations) were set."""

    user_id: str
    role: str
    group_ids: list[str]
    location_ids: list[str]
    user_name: str = ""  # messaging shows who of the group's staff wrote a message


@event_type("auth.placement.changed", owner=OWNER)
class PlacementChanged(EventPayload):
    """A placement's dates changed (the contract's start or end moved; a move ends the current one).

    `previous_start` names the placement when its start moved (placements are known by their start).
    """

    child_id: str
    group_id: str
    location_id: str
    start: str
    end: str | None = None
    previous_start: str | None = None


@event_type("auth.guardian.unlinked", owner=OWNER)
class GuardianUnlinked(EventPayload):
    child_id: str
    user_id: str


@event_type("auth.group.changed", owner=OWNER)
class GroupChanged(EventPayload):
    """A group was created or its name, age range or capacity per part of day changed."""

    group_id: str
    location_id: str
    name: str
    capacity: dict[str, int]


@event_type("auth.consents.changed", owner=OWNER)
class ConsentsChanged(EventPayload):
    """A guardian gave or withdrew consents; photos of a child without photo consent must disappear."""

    child_id: str
    photos: bool
    diary: bool
    outings: bool
    changed_by: str
    changed_at: str


@event_type("auth.notification_settings.changed", owner=OWNER)
class NotificationSettingsChanged(EventPayload):
    user_id: str
    settings: dict[str, dict[str, bool]]


@event_type("auth.device.registered", owner=OWNER)
class DeviceRegistered(EventPayload):
    """A device for push, with its SNS platform endpoint when push is configured."""

    user_id: str
    device_id: str
    platform: str
    token: str
    endpoint_arn: str | None = None


@event_type("auth.guardian.access_ended", owner=OWNER)
class GuardianAccessEnded(EventPayload):
    """The guardian's access window to the child closed (contract end + 8 weeks)."""

    child_id: str
    user_id: str
    access_until: str


@event_type("auth.child.retention_due", owner=OWNER)
class ChildRetentionDue(EventPayload):
    """Every guardian's access to the child has ended: services delete the child's data.

    `guardian_ids`: the child's guardians who have no child with an open access window left; their
    accounts and personal data go too."""

    child_id: str
    access_until: str
    guardian_ids: list[str] = []


@event_type("auth.location.changed", owner=OWNER)
class LocationChanged(EventPayload):
    """A location was added or its name, address, contact details or team changed (the location page)."""

    location_id: str
    name: str
    address: dict[str, str]
    contact: dict[str, str]
    team: list[dict[str, str]]
    registration_number: str | None = None  # LRK number: planning prints it on annual statements


@event_type("auth.child.updated", owner=OWNER)
class ChildUpdated(EventPayload):
    """A child's name or birth date was corrected."""

    child_id: str
    child_name: str
    birth_date: str


@event_type("auth.device.removed", owner=OWNER)
class DeviceRemoved(EventPayload):
    """A user stopped push to a device: its SNS platform endpoint is no longer theirs."""

    user_id: str
    device_id: str
    endpoint_arn: str | None = None


@event_type("auth.user.changed", owner=OWNER)
class UserChanged(EventPayload):
    """An account was created or activated, or its name, e-mail address, language or status changed.

    Messaging keeps a copy to address notifications (whom, in which language; nothing to a deactivated
    account). The whole contact record every time, so the newest event simply wins."""

    user_id: str
    name: str
    email: str
    language: str  # nl | en
    role: str  # parent | staff | manager | admin
    status: str  # invited | active | deactivated


@event_type("auth.organisation.changed", owner=OWNER)
class OrganisationChanged(EventPayload):
    """An organisation was created (or renamed): messaging names it in organisation-wide news."""

    name: str
    domain: str


@event_type("auth.credentials.revoked", owner=OWNER)
class CredentialsRevoked(EventPayload):
    """A password was set (activation, reset, change) or the account signed out everywhere: every credential
    issued before is dead (other sessions, one-time links), and planning deletes the calendar feed made before
    this moment (a feed made after it is the user's new one)."""

    user_id: str
    reason: Literal["activation", "password_reset", "password_change", "logout_all"]
    # Whether auth's own consumer confirms it to the account holder by e-mail (the demo's seeding, which
    # activates its accounts through real links, does not).
    confirm: bool = True


@event_type("auth.account_mail.requested", owner=OWNER)
class AccountMailRequested(EventPayload):
    """Someone asked for a password-reset (`reset`) or activation (`activation`) e-mail. Staged the same way
    whether or not the account exists (the envelope's tenant is `_unknown` for an unknown domain), and
    consumed by auth itself, which finds the account and mails it a fresh link. It never carries a link."""

    kind: Literal["reset", "activation"]
    organisation: str  # the sign-in domain as asked, trimmed and lower case
    email: str  # normalised (trimmed, lower case)


@event_type("auth.child.purged", owner=OWNER)
class ChildPurged(retention.ChildPurged):
    """Auth deleted the child's directory data (child, placements, guardian links, consents, contract copies,
    access window) and the accounts of the guardians left without children (user, e-mail claim, sessions,
    settings, devices and their push endpoints), and its check found what `left` says."""


@event_type("auth.personal_data.delivered", owner=OWNER)
class PersonalDataDelivered(retention.PersonalDataDelivered):
    """Auth's part of a personal-data export (profile, children, notification settings, devices, sessions)
    is in the exports drop box."""


PUBLISHES = (ChildPlaced, GuardianLinked, StaffAssigned, PlacementChanged, GuardianUnlinked, GroupChanged,
             ConsentsChanged, NotificationSettingsChanged, DeviceRegistered, GuardianAccessEnded,
             ChildRetentionDue, LocationChanged, ChildUpdated, DeviceRemoved, UserChanged, OrganisationChanged,
             CredentialsRevoked, AccountMailRequested, ChildPurged, PersonalDataDelivered)
