"""The access window: guardians keep a child's data for 8 weeks after the contract ends, then not.

Tokens and `me` already leave a child out once the guardian link's `access_until` has passed
(`access.active_links`). This hourly job closes the window for good: for every child whose last day
of access has passed it publishes `auth.guardian.access_ended` per guardian and one
`auth.child.retention_due` (every service, auth included, then purges the child's data; the exports
service tracks the confirmations). Claiming the index row and staging the events happen in one
transaction, so overlapping or repeated runs publish each event once. The row is written by
`Directory.refresh_links` whenever a placement change gives the child a last day of access; writing
the same day again keeps a closed window closed, a new day (a new or extended contract) opens it
again, an open-ended placement removes it.

`retention_due` names in `guardian_ids` the guardians who, with this window closed, have no child
left whose window is open: the purge removes their accounts and personal data too. A sibling whose
window closes in the same run has a last day that has passed as well, so it counts as closed and the
guardian is named in both children's events. Every due child's guardians are looked up before the
first event goes out: the purge of one child deletes a removed guardian's links to their other
children, and those links must still be found for the sibling's events.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError

from auth_service.store import AccessEndItem, GuardianLinkItem
from portal_common import clock, store
from portal_common.contracts import auth as auth_events
from portal_common.events import Envelope, make_event
from portal_common.outbox import Outbox


@dataclass
class _Due:
    row: AccessEndItem
    events: list[Envelope]


def close_due(outbox: Outbox) -> int:
    """Close every access window whose last day has passed; returns how many children it closed."""
    today = clock.today().isoformat()
    pending = AccessEndItem.gsi1.query("_ACCESS_END", AccessEndItem.gsi1sk < today)
    due = [_Due(row, _events(row, today)) for row in pending if isinstance(row, AccessEndItem)]
    closed = 0
    for item in due:
        row = item.row
        try:
            with store.transaction() as tx:
                tx.update(row, actions=[AccessEndItem.closed_at.set(clock.now().isoformat()),
                                        AccessEndItem.gsi1pk.remove(), AccessEndItem.gsi1sk.remove()],
                          condition=AccessEndItem.gsi1pk.exists() & (AccessEndItem.access_until == row.access_until))
                outbox.stage(tx, item.events)
        except TransactWriteError:
            continue  # another run closed it, or the contract was extended meanwhile
        outbox.flush(item.events)
        closed += 1
    return closed


def _events(row: AccessEndItem, today: str) -> list[Envelope]:
    _, tenant, child_id = str(row.gsi1sk).split("#", 2)
    links = list(GuardianLinkItem.query(store.key(tenant, "CHILD", child_id),
                                        GuardianLinkItem.sk.startswith("GUARDIAN#")))
    events = [make_event(auth_events.GuardianAccessEnded(child_id=child_id, user_id=link.user_id,
                                                         access_until=row.access_until),
                         tenant=tenant, source="auth") for link in links]
    leaving = sorted(link.user_id for link in links if not has_open_child(tenant, link.user_id, today, child_id))
    events.append(make_event(auth_events.ChildRetentionDue(child_id=child_id, access_until=row.access_until,
                                                           guardian_ids=leaving),
                             tenant=tenant, source="auth"))
    return events


def has_open_child(tenant: str, user_id: str, today: str, but: str) -> bool:
    """Has the guardian a child other than `but` whose access window is open (no end, or not passed)?"""
    links = GuardianLinkItem.gsi1.query(store.key(tenant, "USER", user_id),
                                        GuardianLinkItem.gsi1sk.startswith("CHILD#"))
    return any(link.child_id != but and (link.access_until is None or link.access_until >= today)
               for link in links if isinstance(link, GuardianLinkItem))
