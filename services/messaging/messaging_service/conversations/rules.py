"""The rules of conversations, as pure functions: who the caller is in a conversation, where they may write,
whose conversations they list, who hears of a message and who has read it.

Facts come in as arguments (the directory copy's guardians and staff, the child's current group); refusals
go out as `portal_common.domain` exceptions with the codes of the API contract. No clock, no store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from portal_common import i18n
from portal_common.domain import Missing, RuleBroken

PREVIEW_CHARS = 120
MAX_RECIPIENTS = 40  # two writes each in the send transaction, well within DynamoDB's 100
PARENT, STAFF, MANAGER = "parent", "staff", "manager"
FORMER_PARENT = "messaging.former_parent"

i18n.register({f"messaging.{code}": {"nl": nl, "en": en} for code, nl, en in (
    ("not_current_group", "Uw kind zit niet meer in deze groep: stuur een nieuw bericht aan de huidige groep.",
     "The child is no longer in this group: send a new message to the current group."),
    ("not_placed", "Dit kind zit nu niet in een groep.", "This child is not in a group now."),
    ("group_id_required", "Kies een groep.", "Choose a group."),
    ("conversation_busy", "Probeer het zo nog eens.", "Please try again in a moment."),
    ("too_many_participants", "Dit gesprek heeft te veel deelnemers.", "This conversation has too many participants."),
)})
i18n.register({FORMER_PARENT: {"nl": "voormalig ouder", "en": "former parent"}})


@dataclass(frozen=True)
class Caller:
    """Someone acting in a conversation. `scope` (participants only): where their counter is indexed,
    `C#<child>` for a guardian, `G#<group>` for staff."""

    user_id: str
    role: str
    name: str
    scope: str | None

    @property
    def participant(self) -> bool:
        return self.scope is not None


def caller(role: str, user_id: str, *, child_id: str, group_id: str, location_id: str,
           guardians: Mapping[str, str] | None = None, staff_name: str | None = None,
           manager_locations: Iterable[str] = ()) -> Caller | None:
    """What the caller is in the conversation of this child and group; None: nothing (answer 404).

    On top of the token's relation (checked by `authorize`), a guardian must still take part (`guardians`:
    those taking part now, user id → name) and staff must work in the group (`staff_name`: their name
    there, None when they do not); a manager reads the conversations of their locations only. Managers and
    admins read along without taking part."""
    if role == PARENT:
        return Caller(user_id, PARENT, guardians[user_id], f"C#{child_id}") if guardians and user_id in guardians \
            else None
    if role == STAFF:
        return Caller(user_id, STAFF, staff_name, f"G#{group_id}") if staff_name is not None else None
    if role == MANAGER and location_id not in set(manager_locations):
        return None
    return Caller(user_id, role, "", None)


def has_counters(role: str) -> bool:
    """Parents and staff take part and have unread counters; readers who take no part have none."""
    return role in (PARENT, STAFF)


def writable(caller: Caller, current_group: str | None, group_id: str) -> bool:
    """May the caller write in this conversation now: a participant, in the child's current group's one."""
    return caller.participant and current_group == group_id


def check_current_group(current_group: str | None, group_id: str) -> None:
    """A conversation of a former group stays readable, as history; new messages go to the current group."""
    if current_group != group_id:
        raise RuleBroken("not_current_group", detail_key="messaging.not_current_group", errors=[
            {"loc": ["path", "conversation_id"], "msg": "the child is no longer in this conversation's group"}])


def check_placed(group_id: str | None, location_id: str | None) -> tuple[str, str]:
    """The child's current group and its location (None: the copy knows no such group), where a new
    conversation goes; 422 `not_placed` when the child is in no group today."""
    if group_id is None or location_id is None:
        raise RuleBroken("not_placed", detail_key="messaging.not_placed", errors=[
            {"loc": ["body", "child_id"], "msg": "the child is not in a group today"}])
    return group_id, location_id


def group_scope(role: str, group_id: str, *, group_known: bool, staff_groups: set[str]) -> list[tuple[str, str]]:
    """One group's inbox: staff only of a group they work in (as messaging's copy knows it); 404 otherwise."""
    if not group_known or (role == STAFF and group_id not in staff_groups):
        raise Missing("not_found")
    return [("G", group_id)]


def own_scopes(role: str, user_id: str, *, families: Mapping[str, Mapping[str, str]],
               staff_groups: set[str]) -> list[tuple[str, str]]:
    """Whose conversations the caller lists without naming a group: a parent's children (those they take
    part for now), a staff member's groups. Managers and admins choose a group (422 `group_id_required`)."""
    if role == PARENT:
        return [("C", child) for child, guardians in sorted(families.items()) if user_id in guardians]
    if role == STAFF:
        return [("G", group_id) for group_id in sorted(staff_groups)]
    raise RuleBroken("group_id_required", detail_key="messaging.group_id_required", errors=[
        {"loc": ["query", "group_id"], "msg": "managers and admins choose a group"}])


def recipients(participants: Mapping[str, str], sender_id: str) -> dict[str, str]:
    """Everyone taking part but the sender (user id → counter scope); a conversation has at most
    `MAX_RECIPIENTS`, so a message stays one transaction."""
    found = {user: scope for user, scope in participants.items() if user != sender_id}
    if len(found) > MAX_RECIPIENTS:
        raise RuleBroken("too_many_participants", detail_key="messaging.too_many_participants")
    return found


def behind(marker_message_id: str | None, last_message_id: str) -> bool:
    """Has the reader's marker still to move to the newest message (no marker yet, or an older one)?"""
    return marker_message_id is None or marker_message_id < last_message_id


def child_scope(child_id: str) -> str:
    """The prefix of a guardian's unread counters about a child (`C#<child>#…` in their unread index)."""
    return f"C#{child_id}#"


def still_in_group(scope: str, group_ids: Iterable[str]) -> bool:
    """Is a staff member's counter scope (`G#<group>`) one of the groups they work in now?"""
    return scope in {f"G#{g}" for g in group_ids}


def preview(text: str) -> str:
    """The conversation's last message as the inbox shows it: one line, at most `PREVIEW_CHARS`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS - 1].rstrip() + "…"


class Marker(Protocol):
    user_id: str
    message_id: str


M = TypeVar("M", bound=Marker)


def readers(markers: Iterable[M], sender_id: str, message_ulid: str) -> list[M]:
    """The read markers of the other participants who have read up to this message."""
    return [m for m in markers if m.user_id != sender_id and m.message_id >= message_ulid]


def shown_name(name: str, removed: bool | None, lang: str) -> str:
    """The author's name as readers see it: "former parent" once the guardian's account was removed."""
    return i18n.t(FORMER_PARENT, lang) if removed else name
