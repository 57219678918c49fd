"""Auth's part of a personal-data export (the right of access): what auth holds about a user and their children.

`exports.personal_data.requested` (`portal_common.retention.personal_data_handlers`) calls `write`,
which puts into the exports drop box under `auth/`:

- `profile.json`: the account as its owner knows it (name, e-mail address, language, role, status, the
  organisation, when the account was made and activated; staff: their groups and locations by name);
- `children.json`: per requested child the user is a guardian of (the link is checked, other ids are
  ignored): name, birth date, placements with group and location names, consents now and every change
  (who changed it: by name only), the other guardians (by name only), the access window and contract
  periods;
- `notification_settings.json`: per type of notification, push and e-mail on or off (defaults included);
- `devices.json`: the devices registered for push (platform, when last registered);
- `sessions.json`: the sign-ins (when, last used, whether still signed in).

Never in it: the password hash, refresh-token or link hashes, push tokens, endpoint ARNs, device ids
(a hash of the push token), e-mail addresses of other people.
"""

from __future__ import annotations

from typing import Any

from auth_service import tokens_store
from auth_service.routes_account import current_settings
from auth_service.store import (
    ChildItem,
    ConsentItem,
    ContractCopyItem,
    DeviceItem,
    GroupItem,
    GuardianLinkItem,
    LocationItem,
    OrganisationItem,
    PlacementItem,
    SessionItem,
    UserItem,
)
from portal_common import store
from portal_common.retention import Part


def write(part: Part) -> None:
    tenant, user_id = part.request.tenant, part.request.user_id
    user = _get(UserItem, store.key(tenant, "USER", user_id), "USER")
    if user is None:
        return  # no account (any more): auth holds nothing about this person
    part.json("profile", profile(tenant, user))
    part.json("children", children(tenant, user_id, part.request.child_ids))
    part.json("notification_settings", current_settings(tenant, user_id))
    part.json("devices", devices(tenant, user_id))
    part.json("sessions", sessions(tenant, user_id))


def profile(tenant: str, user: UserItem) -> dict[str, Any]:
    org = _get(OrganisationItem, store.key(tenant, "ORG"), "ORG")
    found = {"name": user.name, "email": user.email, "language": user.language, "role": user.role,
             "status": user.status, "organisation": org.name if org else None,
             "account_created_at": user.created_at, "activated_at": user.activated_at}
    if user.groups:
        found["groups"] = sorted(_names(GroupItem, tenant, "GRP", set(user.groups)).values())
    if user.locations:
        found["locations"] = sorted(_names(LocationItem, tenant, "LOC", set(user.locations)).values())
    return found


def children(tenant: str, user_id: str, child_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    found = []
    for child_id in dict.fromkeys(child_ids):
        if store.SEPARATOR in child_id:
            continue  # not an id: it could name no child
        pk = store.key(tenant, "CHILD", child_id)
        link = _get(GuardianLinkItem, pk, f"GUARDIAN#{user_id}")
        child = _get(ChildItem, pk, "CHILD")
        if link is not None and child is not None:
            found.append(_child(tenant, user_id, child, link))
    return found


def _child(tenant: str, user_id: str, child: ChildItem, link: GuardianLinkItem) -> dict[str, Any]:
    pk = child.pk
    placements = sorted(PlacementItem.query(pk, PlacementItem.sk.startswith("PLC#")), key=lambda p: p.start)
    groups = _names(GroupItem, tenant, "GRP", {p.group_id for p in placements})
    locations = _names(LocationItem, tenant, "LOC", {p.location_id for p in placements})
    others = [g.user_id for g in GuardianLinkItem.query(pk, GuardianLinkItem.sk.startswith("GUARDIAN#"))
              if g.user_id != user_id]
    history = list(ConsentItem.query(pk, ConsentItem.sk.startswith("CONSENT#"), scan_index_forward=False))
    current = _get(ConsentItem, pk, "CONSENT")
    people = _people(tenant, {*others, *(c.changed_by for c in [*history, current] if c and c.changed_by)})
    contracts = sorted(ContractCopyItem.query(pk, ContractCopyItem.sk.startswith("CONTRACT#")), key=lambda c: c.start)
    return {
        "name": child.name,
        "birth_date": child.birth_date,
        "placements": [{"group": groups.get(p.group_id), "location": locations.get(p.location_id), "start": p.start,
                        "end": p.end} for p in placements],
        "consents": _consent(current, people) if current else None,
        "consent_history": [_consent(c, people) for c in history],
        "other_guardians": sorted(people[o] for o in others if people.get(o)),
        "access_until": link.access_until,  # last day guardians see the child's data (None: no end yet)
        "contract_periods": [{"start": c.start, "end": c.end} for c in contracts],
    }


def _consent(consent: ConsentItem, people: dict[str, str]) -> dict[str, Any]:
    return {"photos": consent.photos, "diary": consent.diary, "outings": consent.outings,
            "changed_by": people.get(consent.changed_by or ""), "changed_at": consent.changed_at}


def devices(tenant: str, user_id: str) -> list[dict[str, Any]]:
    # The app registers at every start, which rewrites `registered_at`: it is when the device was last seen.
    found = DeviceItem.query(store.key(tenant, "USER", user_id), DeviceItem.sk.startswith("DEVICE#"))
    return sorted(({"platform": d.platform, "registered_at": d.registered_at} for d in found),
                  key=lambda d: d["registered_at"], reverse=True)


def sessions(tenant: str, user_id: str) -> list[dict[str, Any]]:
    found = SessionItem.gsi1.query(store.key(tenant, "USER", user_id), SessionItem.gsi1sk.startswith("SESSION#"))
    return sorted(({"signed_in_at": s.created_at, "last_used_at": s.last_used_at, "state": _state(s),
                    "ended_because": s.revoked_reason if s.revoked else None}
                   for s in found if isinstance(s, SessionItem)),
                  key=lambda s: s["signed_in_at"], reverse=True)


def _state(session: SessionItem) -> str:
    if session.revoked:
        return "signed_out"
    return "signed_in" if tokens_store.live(session) else "expired"


def _people(tenant: str, user_ids: set[str]) -> dict[str, str]:
    """Names only: other guardians are another person, whose address and account are not this export's."""
    keys = [(store.key(tenant, "USER", u), "USER") for u in sorted(user_ids) if store.SEPARATOR not in u]
    return {u.user_id: u.name for u in UserItem.batch_get(keys)} if keys else {}


def _names(model: Any, tenant: str, prefix: str, ids: set[str]) -> dict[str, str]:
    keys = [(store.key(tenant, "ORG"), f"{prefix}#{i}") for i in sorted(ids)]
    return {item.sk.split("#", 1)[1]: item.name for item in model.batch_get(keys)} if keys else {}


def _get(model: Any, pk: str, sk: str) -> Any:
    try:
        return model.get(pk, sk)
    except model.DoesNotExist:
        return None
