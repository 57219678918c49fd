"""Who the caller is in a conversation, from the token and messaging's copy of the directory (the rule is
`rules.caller`; this reads the facts it needs, only those of the caller's role)."""

from __future__ import annotations

from messaging_service import directory_copy
from messaging_service.conversations import rules, store
from messaging_service.conversations.rules import Caller
from portal_common import authz, errors
from portal_common.authz import Principal, Role


def caller_for(principal: Principal, child_id: str, group_id: str, location_id: str) -> Caller | None:
    """What the caller is in the conversation of this child and group; None: nothing (answer 404)."""
    tenant, user = principal.tenant, principal.user_id
    where = {"child_id": child_id, "group_id": group_id, "location_id": location_id}
    if principal.role is Role.PARENT:
        return rules.caller(principal.role.value, user, guardians=directory_copy.guardians_of(tenant, child_id),
                            **where)
    if principal.role is Role.STAFF:
        member = directory_copy.staff_member(tenant, group_id, user)
        return rules.caller(principal.role.value, user, staff_name=member.name if member else None, **where)
    return rules.caller(principal.role.value, user, manager_locations=principal.locations, **where)


def readable(principal: Principal, conversation_id: str) -> bool:
    """May this caller read the conversation (and so download its attachments)?"""
    conv = store.get(principal.tenant, conversation_id)
    if conv is None:
        return False
    try:
        authz.authorize(principal, "child.conversation.read", store.target(principal.tenant, conv))
    except errors.Problem:
        return False
    return caller_for(principal, conv.child_id, conv.group_id, conv.location_id) is not None
