"""Request and response models of the auth service's sign-in and account routes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from portal_common.parsing import Body, Out

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
