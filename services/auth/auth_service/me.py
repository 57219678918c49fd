"""`GET /auth/me`: the person, their organisation and (parents) children or (staff) groups."""

from __future__ import annotations

from auth_service import access
from auth_service.api import Consents, MeChild, MeOut, OrganisationRef, Ref
from auth_service.store import ConsentItem, GroupItem, LocationItem, OrganisationItem, UserItem
from portal_common import errors, store
from portal_common.authz import Principal


def _by_id(model: type, tenant: str, prefix: str, ids: set[str]) -> dict[str, Ref]:
    if not ids:
        return {}
    keys = [(store.key(tenant, "ORG"), f"{prefix}#{i}") for i in sorted(ids)]
    found = {}
    for item in model.batch_get(keys):
        item_id = item.sk.split("#", 1)[1]
        found[item_id] = Ref(id=item_id, name=item.name)
    return found


def account_of(principal: Principal) -> UserItem:
    """The caller's own account; a token outliving its account (deleted, deactivated) is refused."""
    try:
        user = UserItem.get(store.key(principal.tenant, "USER", principal.user_id), "USER")
    except UserItem.DoesNotExist:
        user = None
    if user is None or user.status != "active":
        raise errors.Unauthorized(code="account_inactive", detail_key="error.unauthorized.detail")
    return user


def build(principal: Principal) -> MeOut:
    tenant = principal.tenant
    user = account_of(principal)
    org = OrganisationItem.get(store.key(tenant, "ORG"), "ORG")
    # Relations are read afresh (not from the token) so that `me` is always current.
    links = access.active_links(tenant, user.user_id) if user.role == "parent" else []
    group_ids = {g for link in links for g in (link.group_ids or ())} | set(user.groups or ())
    location_ids = {loc for link in links for loc in (link.location_ids or ())} | set(user.locations or ())
    groups = _by_id(GroupItem, tenant, "GRP", group_ids)
    locations = _by_id(LocationItem, tenant, "LOC", location_ids)
    consents = {}
    if links:
        keys = [(store.key(tenant, "CHILD", link.child_id), "CONSENT") for link in links]
        consents = {c.child_id: c for c in ConsentItem.batch_get(keys)}
    children = []
    for link in sorted(links, key=lambda lk: lk.child_name):
        given = consents.get(link.child_id)
        values = Consents(photos=given.photos if given else None, diary=given.diary if given else None,
                          outings=given.outings if given else None)
        group = next((groups[g] for g in sorted(link.group_ids or ()) if g in groups), None)
        location = next((locations[loc] for loc in sorted(link.location_ids or ()) if loc in locations), None)
        children.append(MeChild(id=link.child_id, name=link.child_name, group=group, location=location,
                                consents=values,
                                consents_needed=None in (values.photos, values.diary, values.outings),
                                access_until=link.access_until))
    return MeOut(
        id=user.user_id, email=user.email, name=user.name, role=user.role, language=user.language,
        organisation=OrganisationRef(id=tenant, name=org.name, domain=org.domain),
        children=children,
        groups=[groups[g] for g in sorted(set(user.groups or ())) if g in groups],
        locations=[locations[loc] for loc in sorted(set(user.locations or ())) if loc in locations],
    )
