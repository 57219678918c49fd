"""Request and response models of the auth service's sign-in and account routes."""

from __future__ import annotations

from datetime import date as _date
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from portal_common.parsing import Body, Out, Query

PASSWORD_MIN, PASSWORD_MAX = 8, 128
Organisation = Field(min_length=1, max_length=253, description="sign-in domain, e.g. demo.ouderportaal.nl")
Email = Field(min_length=3, max_length=254)
# What a user types as their current password is only bounded, so an old password is never locked out.
AnyPassword = Field(min_length=1, max_length=1024)
NewPassword = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX,
                    description=f"{PASSWORD_MIN} to {PASSWORD_MAX} characters, not a common password")
OpaqueToken = Field(min_length=1, max_length=512)


class LoginIn(Body):
    organisation: str = Organisation
    email: str = Email
    password: str = AnyPassword


class TokenPair(Out):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the token scheme, not a secret
    expires_in: int


class RefreshIn(Body):
    refresh_token: str = OpaqueToken


class ActivateIn(Body):
    token: str = OpaqueToken
    password: str = NewPassword


class ActivatedOut(Out):
    status: Literal["active"] = "active"
    email: str
    organisation: str


class AccountIn(Body):
    """Forgot-password and resend-activation: the same answer whether or not the account exists."""

    organisation: str = Organisation
    email: str = Email


# Setting a password ends the account's other sessions whatever this says: accepted so that clients sending it
# keep working, and ignored.
KeptForClients = Field(default=True, deprecated=True,
                       description="ignored: a password set always ends the account's other sessions")


class ResetIn(Body):
    token: str = OpaqueToken
    password: str = NewPassword
    end_other_sessions: bool = KeptForClients


class ChangePasswordIn(Body):
    current_password: str = AnyPassword
    new_password: str = NewPassword
    end_other_sessions: bool = KeptForClients


class Accepted(Out):
    status: Literal["accepted"] = "accepted"


class Ref(Out):
    id: str
    name: str


class OrganisationRef(Out):
    id: str
    name: str
    domain: str


class Consents(Out):
    photos: bool | None = Field(description="None: not given yet")
    diary: bool | None
    outings: bool | None


class MeChild(Out):
    id: str
    name: str
    group: Ref | None
    location: Ref | None
    consents: Consents
    consents_needed: bool = Field(description="some consent has not been given or refused yet")
    access_until: str | None = Field(description="last day of access after the contract ends")


class MeOut(Out):
    id: str
    email: str
    name: str
    role: Literal["parent", "staff", "manager", "admin"]
    language: Literal["nl", "en"]
    organisation: OrganisationRef
    children: list[MeChild] = []
    groups: list[Ref] = []
    locations: list[Ref] = []


# -- directory and account models ------------------------------------------------------------------
NOTIFICATION_TYPES = ("messages", "news", "newsletters", "photos", "diary", "request_decisions", "exports")
DEFAULT_NOTIFICATIONS = {
    # Push for everything; e-mail only for what a parent would not want to miss.
    kind: {"push": True, "email": kind in ("messages", "newsletters", "request_decisions", "exports")}
    for kind in NOTIFICATION_TYPES
}
Name = Field(min_length=1, max_length=200)
Short = Field(default=None, min_length=1, max_length=200)
Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
IdList = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
IsoDate = Field(min_length=10, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")
OptionalIsoDate = Field(default=None, min_length=10, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")
# An address that can be a key part (no "#") and reach a mailbox: local part, then a dotted domain.
EMAIL_PATTERN = (r"^[A-Za-z0-9.!$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                 r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
EmailAddress = Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)
Role = Literal["parent", "staff", "manager", "admin"]


def _valid_date(value: str | None) -> str | None:
    if value is not None:
        _date.fromisoformat(value)  # ValueError → 422 with the field's path
    return value


def _end_not_before_start(model: Any) -> Any:
    if model.end is not None and model.start is not None and model.end < model.start:
        raise ValueError("end is before start")
    return model


class ConsentsIn(Body):
    photos: bool
    diary: bool
    outings: bool


class ConsentChange(Out):
    photos: bool
    diary: bool
    outings: bool
    changed_by: str
    changed_at: str


class ConsentsOut(Out):
    child_id: str
    photos: bool | None
    diary: bool | None
    outings: bool | None
    history: list[ConsentChange] = Field(default=[], description="the last 50 changes, newest first")


class Channels(Body):
    push: bool
    email: bool


class NotificationSettingsIn(Body):
    messages: Channels | None = None
    news: Channels | None = None
    newsletters: Channels | None = None
    photos: Channels | None = None
    diary: Channels | None = None
    request_decisions: Channels | None = None
    exports: Channels | None = None


class NotificationSettingsOut(Out):
    settings: dict[str, dict[str, bool]]


class DeviceIn(Body):
    platform: Literal["apns", "fcm"]
    token: str = Field(min_length=8, max_length=4096, pattern=r"^[\x21-\x7e]+$",
                       description="the device's push token (printable ASCII)")


class DeviceOut(Out):
    id: str
    platform: str


class Address(Body):
    street: str | None = Short
    postcode: str | None = Field(default=None, min_length=1, max_length=16)
    city: str | None = Short


class Contact(Body):
    phone: str | None = Field(default=None, min_length=1, max_length=32)
    email: str | None = Field(default=None, min_length=3, max_length=254, pattern=EMAIL_PATTERN)
    website: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^https://\S+$")


class TeamMember(Body):
    name: str = Name
    role: str = Field(min_length=1, max_length=100, description="e.g. pedagogisch medewerker, locatiemanager")


class LocationIn(Body):
    name: str = Name
    registration_number: str | None = Field(
        default=None, pattern=r"^[0-9]{9,12}$",
        description="the location's number in the Landelijk Register Kinderopvang (LRK); on annual statements")
    address: Address = Field(default_factory=Address)
    contact: Contact = Field(default_factory=Contact)
    team: list[TeamMember] = Field(default_factory=list, max_length=50)


class LocationOut(Out):
    id: str
    name: str
    registration_number: str | None = None
    address: dict[str, str]
    contact: dict[str, str]
    team: list[dict[str, str]]


class GroupIn(Body):
    location_id: str = Id
    name: str = Name
    age_from_months: int = Field(ge=0, le=216)
    age_to_months: int = Field(ge=0, le=216)
    capacity: dict[Literal["morning", "afternoon"], int] = Field(min_length=1)

    @model_validator(mode="after")
    def _ages(self) -> GroupIn:
        if self.age_to_months < self.age_from_months:
            raise ValueError("age_to_months is before age_from_months")
        if any(not 0 <= v <= 200 for v in self.capacity.values()):
            raise ValueError("capacity must be between 0 and 200 places")
        return self


class GroupOut(Out):
    id: str
    location_id: str
    name: str
    age_from_months: int
    age_to_months: int
    capacity: dict[str, int]
    children: list[Ref] | None = Field(default=None, description="(one group) the children placed in it today")


class ChildIn(Body):
    name: str = Name
    birth_date: str = IsoDate
    group_id: str = Id
    start: str = IsoDate
    end: str | None = OptionalIsoDate

    _dates = field_validator("birth_date", "start", "end")(_valid_date)
    _order = model_validator(mode="after")(_end_not_before_start)


class ChildUpdateIn(Body):
    name: str = Name
    birth_date: str = IsoDate

    _dates = field_validator("birth_date")(_valid_date)


class PlacementIn(Body):
    group_id: str = Id
    start: str = IsoDate
    end: str | None = OptionalIsoDate

    _dates = field_validator("start", "end")(_valid_date)
    _order = model_validator(mode="after")(_end_not_before_start)


class PlacementEndIn(Body):
    """Contract dates changed: a new end (null: open-ended) and, optionally, a new start."""

    end: str | None = Field(min_length=10, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")
    start: str | None = OptionalIsoDate

    _dates = field_validator("start", "end")(_valid_date)
    _order = model_validator(mode="after")(_end_not_before_start)


class GuardianIn(Body):
    name: str = Name
    email: str = EmailAddress
    language: Literal["nl", "en"] = "nl"
    child_ids: list[IdList] = Field(min_length=1, max_length=10)


class StaffIn(Body):
    name: str = Name
    email: str = EmailAddress
    language: Literal["nl", "en"] = "nl"
    role: Literal["staff", "manager", "admin"]
    group_ids: list[IdList] = Field(default_factory=list, max_length=20)
    location_ids: list[IdList] = Field(default_factory=list, max_length=20)


class PageQuery(Query):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


class GroupsQuery(PageQuery):
    location_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class UsersQuery(PageQuery):
    role: Role | None = None


class StaffGroupsIn(Body):
    group_ids: list[IdList] = Field(max_length=20)


class ManagerLocationsIn(Body):
    location_ids: list[IdList] = Field(max_length=20)


class Created(Out):
    id: str


class InvitedOut(Out):
    id: str
    status: str
    activation_due: str


class PlacementOut(Out):
    id: str = Field(description="the placement's id in paths (its start date)")
    group_id: str
    location_id: str
    start: str
    end: str | None


class ChildOut(Out):
    id: str
    name: str
    birth_date: str
    placements: list[PlacementOut]
    guardians: list[Ref]


class ChildSummary(Out):
    id: str
    name: str
    birth_date: str


class UserOut(Out):
    id: str
    name: str
    email: str
    role: Role
    status: Literal["invited", "active", "deactivated"]
    language: str
    group_ids: list[str]
    location_ids: list[str]


class LocationsPage(Out):
    items: list[LocationOut]
    next_cursor: str | None


class GroupsPage(Out):
    items: list[GroupOut]
    next_cursor: str | None


class ChildrenPage(Out):
    items: list[ChildSummary]
    next_cursor: str | None


class UsersPage(Out):
    items: list[UserOut]
    next_cursor: str | None
