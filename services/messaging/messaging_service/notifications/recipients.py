"""What notification delivery knows of people and the organisation, kept from auth's events (the copies and
their handlers).

- contact details (`auth.user.changed`): name, e-mail address, language, role, status;
- notification settings (`auth.notification_settings.changed`); never seen: auth's defaults
  (`rules.DEFAULT_SETTINGS`, the same rule as auth's `api.DEFAULT_NOTIFICATIONS`; a test checks they agree);
- push devices (`auth.device.registered` / `auth.device.removed`); a device without an SNS endpoint
  (push not configured) is kept but has no push channel; an endpoint SNS reported disabled is
  remembered until the device registers again;
- the organisation's name (`auth.organisation.changed`) and its locations (`auth.location.changed`):
  the sender of news, and where organisation-wide news goes.

Everything of one user is one row, so the recipients of a news item are one BatchGetItem per 100.
Each part keeps the moment of the event it came from: an older or redelivered event never overwrites
a newer fact, and a removed device stays as a tombstone so a late `registered` cannot bring it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from messaging_service.notifications.store import OrganisationItem, RecipientItem, org_pk, user_pk
from portal_common import clock, events, store
from portal_common.contracts.auth import (
    DeviceRegistered,
    DeviceRemoved,
    LocationChanged,
    NotificationSettingsChanged,
    OrganisationChanged,
    UserChanged,
)
from portal_common.events import Envelope

BATCH = 100  # keys per BatchGetItem


def profile(tenant: str, user_id: str) -> RecipientItem | None:
    try:
        return RecipientItem.get(user_pk(tenant, user_id), "PROFILE", consistent_read=True)
    except RecipientItem.DoesNotExist:
        return None


def profiles(tenant: str, user_ids: Iterable[str]) -> dict[str, RecipientItem]:
    """user id → what is known of them (BatchGetItem, 100 keys a call); unknown users are left out."""
    keys = [(user_pk(tenant, u), "PROFILE") for u in sorted(set(user_ids))]
    found: dict[str, RecipientItem] = {}
    for start in range(0, len(keys), BATCH):
        for item in RecipientItem.batch_get(keys[start:start + BATCH]):
            found[item.user_id] = item
    return found


def _modify(tenant: str, user_id: str, change: Callable[[RecipientItem], bool]) -> None:
    """Edit the user's row on condition nobody else did meanwhile (`change` False: nothing to do)."""
    def edit(item: RecipientItem) -> bool:
        item.devices = dict(item.devices or {})  # edited in place by `change`: never the loaded dict
        return change(item)

    pk = user_pk(tenant, user_id)
    store.modify_versioned(RecipientItem, pk, "PROFILE", edit,
                           fresh=lambda: RecipientItem(pk, "PROFILE", user_id=user_id, devices={}))


def on_user_changed(env: Envelope, user: UserChanged) -> None:
    moment = env.occurred_at.isoformat()

    def change(item: RecipientItem) -> bool:
        if item.contact_as_of and item.contact_as_of > moment:
            return False
        item.name, item.email, item.language = user.name, user.email, user.language or "nl"
        item.role, item.status, item.contact_as_of = user.role, user.status, moment
        return True

    _modify(env.tenant, user.user_id, change)


def on_settings_changed(env: Envelope, changed: NotificationSettingsChanged) -> None:
    moment = env.occurred_at.isoformat()

    def change(item: RecipientItem) -> bool:
        if item.settings_as_of and item.settings_as_of > moment:
            return False
        item.settings, item.settings_as_of = {k: dict(v) for k, v in changed.settings.items()}, moment
        return True

    _modify(env.tenant, changed.user_id, change)


def _set_device(env: Envelope, user_id: str, device_id: str, values: dict[str, Any]) -> None:
    moment = env.occurred_at.isoformat()

    def change(item: RecipientItem) -> bool:
        known = item.devices.get(device_id)
        if known and known["as_of"] > moment:
            return False
        item.devices[device_id] = {**values, "as_of": moment}
        return True

    _modify(env.tenant, user_id, change)


def on_device_registered(env: Envelope, device: DeviceRegistered) -> None:
    _set_device(env, device.user_id, device.device_id,
                {"platform": device.platform, "endpoint_arn": device.endpoint_arn, "active": True})


def on_device_removed(env: Envelope, device: DeviceRemoved) -> None:
    _set_device(env, device.user_id, device.device_id, {"endpoint_arn": None, "active": False})


def mark_disabled(tenant: str, user_id: str, device_id: str, endpoint_arn: str) -> None:
    """SNS said the endpoint is disabled (the app was removed, the token expired): stop trying it until
    the device registers again (a newer `auth.device.registered` replaces the whole entry)."""
    def change(item: RecipientItem) -> bool:
        known = item.devices.get(device_id)
        if not known or known.get("endpoint_arn") != endpoint_arn or known.get("disabled_at"):
            return False
        item.devices[device_id] = {**known, "disabled_at": clock.now().isoformat()}
        return True

    _modify(tenant, user_id, change)


# -- the organisation ----------------------------------------------------------------------------
def _modify_organisation(tenant: str, change: Callable[[OrganisationItem], bool]) -> None:
    def edit(row: OrganisationItem) -> bool:
        row.locations = dict(row.locations or {})
        return change(row)

    store.modify_versioned(OrganisationItem, org_pk(tenant), "ORG", edit,
                           fresh=lambda: OrganisationItem(org_pk(tenant), "ORG", locations={}))


def on_organisation_changed(env: Envelope, organisation: OrganisationChanged) -> None:
    moment = env.occurred_at.isoformat()

    def change(row: OrganisationItem) -> bool:
        if row.name_as_of and row.name_as_of > moment:
            return False
        row.name, row.name_as_of = organisation.name, moment
        return True

    _modify_organisation(env.tenant, change)


def on_location_changed(env: Envelope, location: LocationChanged) -> None:
    moment = env.occurred_at.isoformat()

    def change(row: OrganisationItem) -> bool:
        known = row.locations.get(location.location_id)
        if known and known["as_of"] > moment:
            return False
        row.locations[location.location_id] = {"name": location.name, "as_of": moment}
        return True

    _modify_organisation(env.tenant, change)


@dataclass(frozen=True)
class Organisation:
    name: str
    locations: dict[str, str]  # location id → name


def organisation(tenant: str) -> Organisation:
    """The organisation's name and its locations: one GetItem."""
    try:
        row = OrganisationItem.get(org_pk(tenant), "ORG")
    except OrganisationItem.DoesNotExist:
        return Organisation("", {})
    return Organisation(row.name or "", {loc: v["name"] for loc, v in (row.locations or {}).items()})


HANDLERS = events.handlers(
    (UserChanged, on_user_changed), (NotificationSettingsChanged, on_settings_changed),
    (DeviceRegistered, on_device_registered), (DeviceRemoved, on_device_removed),
    (OrganisationChanged, on_organisation_changed), (LocationChanged, on_location_changed))
