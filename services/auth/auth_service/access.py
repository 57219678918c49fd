"""Who a signed-in user is, for the access token: role and the relations other services need."""

from __future__ import annotations

from auth_service.store import GuardianLinkItem, UserItem
from portal_common import clock, store
from portal_common.authz import Principal, Role


def active_links(tenant: str, user_id: str) -> list[GuardianLinkItem]:
    """A guardian's children whose access window is still open (one Query)."""
    today = clock.today().isoformat()
    links = GuardianLinkItem.gsi1.query(store.key(tenant, "USER", user_id),
                                        GuardianLinkItem.gsi1sk.startswith("CHILD#"))
    return [link for link in links if link.access_until is None or link.access_until >= today]


def principal_for(tenant: str, user: UserItem, session_id: str) -> Principal:
    role = Role(user.role)
    children: set[str] = set()
    groups: set[str] = set(user.groups or ())
    locations: set[str] = set(user.locations or ())
    if role is Role.PARENT:
        for link in active_links(tenant, user.user_id):
            children.add(link.child_id)
            groups |= set(link.group_ids or ())
            locations |= set(link.location_ids or ())
    return Principal(tenant=tenant, user_id=user.user_id, role=role, children=frozenset(children),
                     groups=frozenset(groups), locations=frozenset(locations), language=user.language,
                     session_id=session_id)
