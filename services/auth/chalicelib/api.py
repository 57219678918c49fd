"""Request and response models of the auth service's sign-in and account routes."""

from __future__ import annotations

from datetime import date as _date
from typing import Any, Literal

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


class ResetIn(Body):
    token: str = OpaqueToken
    password: str = NewPassword
    end_other_sessions: bool = True


class ChangePasswordIn(Body):
    current_password: str = AnyPassword
    new_password: str = NewPassword
    end_other_sessions: bool = True


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
Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
IsoDate = Field(min_length=10, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")
OptionalIsoDate = Field(default=None, min_length=10, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")


def _valid_date(value: str | None) -> str | None:
    if value is not None:
        _date.fromisoformat(value)  # ValueError → 422 with the field's path
    return value


def _end_not_before_start(model: Any) -> Any:
    if model.end is not None and model.end < model.start:
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
    history: list[ConsentChange] = []


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
    token: str = Field(min_length=8, max_length=4096)


class DeviceOut(Out):
    id: str
    platform: str


class LocationIn(Body):
    name: str = Name
    address: dict[str, str] = Field(default_factory=dict, max_length=10)
    contact: dict[str, str] = Field(default_factory=dict, max_length=10)


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


class ChildIn(Body):
    name: str = Name
    birth_date: str = IsoDate
    group_id: str = Id
    start: str = IsoDate
    end: str | None = OptionalIsoDate

    _dates = field_validator("birth_date", "start", "end")(_valid_date)

    @model_validator(mode="after")
    def _order(self) -> ChildIn:
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


class PlacementIn(Body):
    group_id: str = Id
    start: str = IsoDate
    end: str | None = OptionalIsoDate

    _dates = field_validator("start", "end")(_valid_date)

    @model_validator(mode="after")
    def _order(self) -> PlacementIn:
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


class PlacementEndIn(Body):
    end: str | None = OptionalIsoDate

    _dates = field_validator("end")(_valid_date)


class GuardianIn(Body):
    name: str = Name
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    language: Literal["nl", "en"] = "nl"
    child_ids: list[str] = Field(min_length=1, max_length=10)


class StaffIn(Body):
    name: str = Name
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    language: Literal["nl", "en"] = "nl"
    role: Literal["staff", "manager", "admin"]
    group_ids: list[str] = Field(default_factory=list, max_length=20)
    location_ids: list[str] = Field(default_factory=list, max_length=20)


class PageQuery(Query):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


class StaffGroupsIn(Body):
    group_ids: list[str] = Field(max_length=20)


class Created(Out):
    id: str


class InvitedOut(Out):
    id: str
    status: str
    activation_due: str


class PlacementOut(Out):
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
