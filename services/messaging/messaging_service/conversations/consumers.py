"""Someone who stops taking part in conversations keeps no unread counters there: a guardian unlinked or whose
access ended (for the child's conversations), staff who left a group (for the group's).

Run after directory_copy's handlers for the same events (app.py combines them in that order): the copy has
the newest facts by then.
"""

from __future__ import annotations

from messaging_service import directory_copy
from messaging_service.conversations import reading, rules
from portal_common import events
from portal_common.contracts.auth import GuardianAccessEnded, GuardianUnlinked, StaffAssigned
from portal_common.events import Envelope


def on_guardian_gone(env: Envelope, gone: GuardianUnlinked | GuardianAccessEnded) -> None:
    """A guardian who no longer takes part keeps no unread messages about the child."""
    if gone.user_id not in directory_copy.guardians_of(env.tenant, gone.child_id):  # not linked again since
        reading.zero_scope(env.tenant, gone.user_id, rules.child_scope(gone.child_id))


def on_staff_assigned(env: Envelope, assigned: StaffAssigned) -> None:
    """Staff who left a group keep no unread messages of its conversations (the copy has the newest set)."""
    row = directory_copy.staff_groups(env.tenant, assigned.user_id)
    current = row.group_ids if row else ()
    reading.zero_scope(env.tenant, assigned.user_id, "G#", keep=lambda scope: rules.still_in_group(scope, current))


HANDLERS = events.handlers((GuardianUnlinked, on_guardian_gone), (GuardianAccessEnded, on_guardian_gone),
                           (StaffAssigned, on_staff_assigned))
