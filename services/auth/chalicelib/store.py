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

The system rows (`_DOMAIN#…`) are the only ones not prefixed with a tenant: they map the sign-in
domain to the tenant, before any tenant is known.
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


class PlacementItem(AuthItem):
    child_id = UnicodeAttribute()
    group_id = UnicodeAttribute()
    location_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute(null=True)


class GuardianLinkItem(AuthItem):
    child_id = UnicodeAttribute()
    user_id = UnicodeAttribute()


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
