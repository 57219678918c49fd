"""DynamoDB items of the auth service: one main table, every key prefixed with the tenant id.

| item | pk | sk | gsi1 (pk / sk) | gsi2 (pk / sk) |
|---|---|---|---|---|
| domain → tenant | `_DOMAIN#<domain>` | `_` | | |
| organisation | `<t>#ORG` | `ORG` | | |
| location | `<t>#ORG` | `LOC#<id>` | | |
| group | `<t>#ORG` | `GRP#<id>` | `<t>#LOC#<location>` / `GRP#<id>` | |
| child | `<t>#CHILD#<id>` | `CHILD` | | `<t>#CHILDREN` / `<name>#<id>` |
| placement | `<t>#CHILD#<id>` | `PLC#<start>#<group>` | `<t>#GRP#<group>` / `PLC#<start>#<child>` | |
| guardian link | `<t>#CHILD#<id>` | `GUARDIAN#<user>` | `<t>#USER#<user>` / `CHILD#<child>` | |
| user | `<t>#USER#<id>` | `USER` | `<t>#EMAIL#<email>` / `USER` | `<t>#USERS` / `<role>#<id>` |
| contract copy (planning's contracts: the access window) | `<t>#CHILD#<id>` | `CONTRACT#<contract>` | | |
| e-mail address claim (one account per address and tenant) | `<t>#EMAIL#<email>` | `CLAIM` | | |
| session (refresh-token family) | `_SESSION#<family>` | `_` | `<t>#USER#<user>` / `SESSION#<family>` | |
| used refresh token | `_REFRESH_USED#<sha256>` | `_` | `<t>#USER#<user>` / `REFRESH_USED#<sha256>` | |
| one-time token (activation, reset) | `_ONETIME#<sha256>` | `_` | `<t>#USER#<user>` / `ONETIME#<sha256>` | |
| activation mail due | `<t>#USER#<id>` | `ACTIVATION` | `_ACTIVATION_DUE` / `<due instant>#<t>#<user>` | |
| throttle window (`throttle.py`: one scope per operation) | `_THROTTLE#<scope>#<sha256 key>` | `<window start>` | | |
| consents (current) | `<t>#CHILD#<id>` | `CONSENT` | | |
| consent change (history) | `<t>#CHILD#<id>` | `CONSENT#<instant>#<id>` | | |
| notification settings | `<t>#USER#<id>` | `NOTIFY` | | |
| push device | `<t>#USER#<id>` | `DEVICE#<id>` | | |
| access end (pending) | `<t>#CHILD#<id>` | `ACCESS_END` | `_ACCESS_END` / `<last day>#<t>#<child>` | |

System rows start with `_` (never a tenant id): they are found before any tenant is known (the
sign-in domain, a refresh token, a link from an e-mail) or are per-process machinery (throttles, the
activation schedule). Each carries its tenant as an attribute where it has one.
Guardian links carry the child's current groups, locations and the end of the parent's access
window, so building a parent's token needs one Query. Everything of an account that is not in its own
partition is in gsi1 under `<t>#USER#<user>` (links, sessions, token rows), so removing the account
(`purge.py`) finds it all with one Query of the index.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from portal_common.store import MainItem, table_meta


class AuthItem(MainItem):
    """Base of every item in the auth service's main table."""

    Meta = table_meta("auth")


class DomainItem(AuthItem):
    tenant = UnicodeAttribute()


class OrganisationItem(AuthItem):
    name = UnicodeAttribute()
    domain = UnicodeAttribute()
    settings = JSONAttribute(default=dict)


class LocationItem(AuthItem):
    location_id = UnicodeAttribute()
    name = UnicodeAttribute()
    address = JSONAttribute(default=dict)
    contact = JSONAttribute(default=dict)
    team = JSONAttribute(default=list)  # [{"name", "role"}]
    registration_number = UnicodeAttribute(null=True)  # LRK number (annual statements)


class GroupItem(AuthItem):
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    name = UnicodeAttribute()
    age_from_months = NumberAttribute(default=0)
    age_to_months = NumberAttribute(default=48)
    capacity = JSONAttribute(default=dict)  # part of day → places


class ChildItem(AuthItem):
    child_id = UnicodeAttribute()
    name = UnicodeAttribute()
    birth_date = UnicodeAttribute()
    location_ids = UnicodeSetAttribute(null=True)  # every location it has a placement at (managers' lists)


class PlacementItem(AuthItem):
    child_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute(null=True)


class GuardianLinkItem(AuthItem):
    child_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    child_name = UnicodeAttribute(default="")
    group_ids = UnicodeSetAttribute(null=True)     # the child's current groups
    location_ids = UnicodeSetAttribute(null=True)  # and their locations
    access_until = UnicodeAttribute(null=True)     # last day of access (contract end + 8 weeks)


class UserItem(AuthItem):
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    language = UnicodeAttribute(default="nl")
    status = UnicodeAttribute(default="invited")  # invited → active → deactivated
    password_hash = UnicodeAttribute(null=True)
    groups = UnicodeSetAttribute(null=True)      # staff: the groups they work in
    locations = UnicodeSetAttribute(null=True)   # manager: the locations they run
    is_demo = BooleanAttribute(default=False)
    created_at = UnicodeAttribute(null=True)     # accounts made before these were kept have none
    activated_at = UnicodeAttribute(null=True)
    # Raised by every password set and sign-out everywhere; links and sessions of an older one are dead.
    credentials_generation = NumberAttribute(default=0)


class ContractCopyItem(AuthItem):
    """A copy of a planning contract's period, kept from planning's contract events (newest wins)."""

    contract_id = UnicodeAttribute()
    child_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute(null=True)
    as_of = UnicodeAttribute()  # occurred_at of the event it came from


class EmailClaimItem(AuthItem):
    """Written with the account in one transaction, so two accounts never share an address in a tenant."""

    user_id = UnicodeAttribute()


class SessionItem(AuthItem):
    """A refresh-token family: rotating tokens of one sign-in, with reuse detection."""

    tenant = UnicodeAttribute()
    user_id = UnicodeAttribute()
    current_hash = UnicodeAttribute()
    used_hashes = UnicodeSetAttribute(null=True)
    generation = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    last_used_at = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)
    revoked_reason = UnicodeAttribute(null=True)
    credentials_generation = NumberAttribute(default=0)  # the account's when signed in (credentials.py)


class UsedRefreshItem(AuthItem):
    """A rotated-away refresh token (`_REFRESH_USED#<sha256>`), remembered to detect its reuse."""

    family = UnicodeAttribute()


class OneTimeTokenItem(AuthItem):
    """An activation or password-reset link: stored hashed, single use, short-lived."""

    kind = UnicodeAttribute()  # activation | reset
    tenant = UnicodeAttribute()
    user_id = UnicodeAttribute()
    used = BooleanAttribute(default=False)
    credentials_generation = NumberAttribute(default=0)  # the account's when issued (credentials.py)


class ActivationDueItem(AuthItem):
    """When the activation e-mail of an invited account goes out."""

    due_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)


class ThrottleItem(AuthItem):
    count = NumberAttribute(default=0)


class ConsentItem(AuthItem):
    """A child's current consents, or (sk `CONSENT#…`) one change in their history."""

    child_id = UnicodeAttribute()
    photos = BooleanAttribute(null=True)   # None: not given yet
    diary = BooleanAttribute(null=True)
    outings = BooleanAttribute(null=True)
    changed_by = UnicodeAttribute(null=True)
    changed_at = UnicodeAttribute(null=True)


class NotificationSettingsItem(AuthItem):
    settings = JSONAttribute(default=dict)  # type → {"push": bool, "email": bool}


class DeviceItem(AuthItem):
    device_id = UnicodeAttribute()
    platform = UnicodeAttribute()           # apns | fcm
    endpoint_arn = UnicodeAttribute(null=True)
    registered_at = UnicodeAttribute()


class AccessEndItem(AuthItem):
    """When every guardian's access to a child ends (`<t>#CHILD#<id>`, sk `ACCESS_END`).

    While pending it sits in gsi1 (`_ACCESS_END` / `<last day>#<t>#<child>`), so the hourly job finds
    the due ones with one Query; the job removes it from the index when it has closed the window.
    """

    child_id = UnicodeAttribute()
    access_until = UnicodeAttribute()
    closed_at = UnicodeAttribute(null=True)
