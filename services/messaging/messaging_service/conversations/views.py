"""What the conversation routes show, gathered in one call each: the inbox page, one conversation, a page of
its messages (the conversation rows, the copy's names and groups, the caller's counters and the markers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from messaging_service import directory_copy
from messaging_service.conversations import rules, store
from messaging_service.conversations.rules import Caller
from messaging_service.conversations.store import ConversationItem, MessageItem, ReadMarkerItem
from portal_common.authz import Principal


@dataclass(frozen=True)
class Listed:
    """Conversations with what their list shows: child names, groups (id → copy) and the caller's counters."""

    conversations: list[ConversationItem]
    names: dict[str, str]
    groups: dict[str, Any]
    unread: dict[str, int] = field(default_factory=dict)
    next_position: str | None = None
    writable: bool | None = None  # a single conversation: may the caller write there now


def staff_groups(principal: Principal) -> set[str]:
    """The groups a staff member works in, as both the token and messaging's copy know it."""
    row = directory_copy.staff_groups(principal.tenant, principal.user_id)
    return set(row.group_ids) & principal.groups if row else set()


def inbox(principal: Principal, scopes: list[tuple[str, str]], *, unread_only: bool, before: str | None,
          limit: int) -> Listed:
    """A page of the caller's conversations in `scopes`, newest activity first. Readers who take no part
    have no counters: their unread list is empty."""
    tenant, counted = principal.tenant, rules.has_counters(principal.role.value)
    if unread_only and not counted:
        return Listed([], {}, {})
    convs, next_position = store.inbox(tenant, principal.user_id, scopes, unread_only, before, limit)
    names = directory_copy.child_names(tenant, {c.child_id for c in convs})
    groups = directory_copy.groups(tenant, {c.group_id for c in convs})
    unread = store.counters_of(tenant, principal.user_id, [c.conversation_id for c in convs]) if counted else {}
    return Listed(convs, names, groups, unread, next_position)


def single(tenant: str, conv: ConversationItem, caller: Caller) -> Listed:
    """One conversation, with the caller's counter and whether they may write there now."""
    name = directory_copy.child_name(tenant, conv.child_id) or ""
    group = directory_copy.group(tenant, conv.group_id)
    unread = store.counter(tenant, caller.user_id, conv.conversation_id) if caller.participant else 0
    # Only a participant may write at all: the child's current group is read for them only.
    writable = caller.participant and rules.writable(caller, directory_copy.current_group(tenant, conv.child_id),
                                                     conv.group_id)
    return Listed([conv], {conv.child_id: name}, {conv.group_id: group} if group else {},
                  {conv.conversation_id: unread}, writable=writable)


@dataclass(frozen=True)
class Messages:
    messages: list[MessageItem]
    markers: list[ReadMarkerItem]
    child_name: str
    group_name: str
    last_key: Any | None


def messages(tenant: str, conv: ConversationItem, limit: int, last_key: Any | None) -> Messages:
    """A page of the conversation's messages newest first, its read markers, the child's and group's names."""
    page, next_key = store.messages(conv, limit, last_key)
    markers = store.markers(tenant, conv.conversation_id)
    group = directory_copy.group(tenant, conv.group_id)
    return Messages(page, markers, directory_copy.child_name(tenant, conv.child_id) or "",
                    group.name if group else "", next_key)
