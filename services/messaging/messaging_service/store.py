"""The messaging service's main table: its base item and the copies of auth's directory (keys prefixed with the
tenant id). Every feature's items share this table.

| item | pk | sk |
|---|---|---|
| child (copy of auth's: name) | `<t>#CHILD#<child>` | `CHILD` |
| placement (copy of auth's) | `<t>#CHILD#<child>` | `PLACEMENT#<start>` |
| (gsi1) placements of a group, for "children in a group on a day" | `<t>#GRPCHILDREN#<group>` | `<child>#<start>` |
| (gsi2) placements at a location, for fan-out to its families | `<t>#LOCCHILDREN#<location>` | `<child>#<start>` |
| family: a child's guardians (name, taking part or not) | `<t>#CHILD#<child>` | `FAMILY` |
| a child a user is or was a guardian of (finds the family rows naming them) | `<t>#USER#<user>` | `GUARDIAN#<child>` |
| group (copy of auth's: name, location) | `<t>#GRP#<group>` | `GROUP` |
| staff member of a group (name, role) | `<t>#GRP#<group>` | `STAFF#<user>` |
| the groups a staff member works in now | `<t>#USER#<user>` | `STAFFOF` |
| the conversation of a child and a group (race-safe creation) | `<t>#CHILD#<child>` | `CONV#<group>` |
| conversation (with its last message) | `<t>#CONV#<conv>` | `CONV` |
| (gsi1) a group's inbox, newest activity first | `<t>#INBOX#<group>` | `<last msg ulid>#<conv>` |
| (gsi2) a child's conversations, newest activity first | `<t>#CHILDCONV#<child>` | `<last msg ulid>#<conv>` |
| message | `<t>#CONV#<conv>` | `MSG#<ulid>` |
| (gsi1, guardians' only) what a guardian wrote, for removing their account | `<t>#SENTBY#<user>` | `<ulid>#<conv>` |
| read marker: how far a participant has read | `<t>#CONV#<conv>` | `READ#<user>` |
| (gsi1, guardians' only) where a guardian read, for removing their account | `<t>#READBY#<user>` | `<conv>` |
| unread counter of a participant in a conversation | `<t>#UNREAD#<user>` | `CONV#<conv>` |
| (gsi1, only while unread) a participant's unread conversations | `<t>#UNREADIN#<user>` | `<scope>#<ulid>#<conv>` |
| (gsi2) every counter of a conversation, for its purge | `<t>#CONVUNREAD#<conv>` | `<user>` |
| a participant's unread total | `<t>#UNREAD#<user>` | `TOTAL` |

`<scope>` is the group for a staff member's counter and the child for a guardian's, so the "unread"
filter of a staff member's group inbox, of a parent's child, and the clean-up when someone stops taking
part, are each one Query. Counters are maintained with every message and every "read" in the same
transaction, so an unread count is one GetItem however long the history is.

The items of conversations are declared in `conversations/store.py`; those of news and newsletters, location
pages, attachments and notification delivery in their features' `store.py` (each with its own table of keys).

The retention purge (`retention/purge.py`, `retention/guardian_removal.py`) finds everything of a child
from its own keys (its partition, its conversations' index and partitions, each conversation's counters)
and everything of a removed guardian from theirs (`USER`, `UNREAD`, `NOTIFY` partitions, `SENTBY` and
`READBY`): never a Scan.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

from portal_common.directory_copies import copy_items
from portal_common.store import MainItem, table_meta


class MessagingItem(MainItem):
    """Base of every item in the messaging service's main table."""

    Meta = table_meta("messaging")  # type: ignore[assignment]  # a PynamoDB Meta built from the settings


# The copies of auth's directory (declared once, in portal_common.directory_copies), on this table.
_COPIES = copy_items(MessagingItem)
ChildCopyItem = _COPIES.child
PlacementCopyItem = _COPIES.placement
GroupCopyItem = _COPIES.group


# -- copies of auth's directory facts (directory_copy.py) ----------------------------------------------------


class FamilyCopyItem(MessagingItem):
    """A child's guardians: {user id: {"name", "active", "as_of"}}. One row, so the guardians of many
    children are one BatchGetItem. `active` False: unlinked or access ended (kept as a tombstone, so an
    older event never brings a guardian back). `version` makes concurrent handlers take turns."""

    child_id = UnicodeAttribute()
    guardians = JSONAttribute(default=dict)
    version = NumberAttribute(default=0)


class GuardianOfItem(MessagingItem):
    """A child the user is (`active`) or was a guardian of, kept with the family row: when the user's
    account is removed, the family rows that still name them are found without a Scan."""

    child_id = UnicodeAttribute()
    active = BooleanAttribute()
    as_of = UnicodeAttribute()



class GroupStaffItem(MessagingItem):
    """A staff member of a group: a participant in every conversation of the group."""

    group_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    role = UnicodeAttribute(default="staff")
    as_of = UnicodeAttribute()


class StaffOfItem(MessagingItem):
    """The groups a staff member works in now (`auth.staff.assigned` replaces the whole set)."""

    user_id = UnicodeAttribute()
    group_ids = JSONAttribute(default=list)
    name = UnicodeAttribute(default="")
    role = UnicodeAttribute(default="staff")
    as_of = UnicodeAttribute()
