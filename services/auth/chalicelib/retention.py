"""The access window: guardians keep a child's data for 8 weeks after the contract ends, then not.

Tokens and `me` already leave a child out once the guardian link's `access_until` has passed
(`access.active_links`). This hourly job closes the window for good: for every child whose last day
of access has passed it publishes `auth.guardian.access_ended` per guardian and one
`auth.child.retention_due` (the exports service then purges the child's data everywhere). Claiming
the index row and staging the events happen in one transaction, so overlapping or repeated runs
publish each event once. The row is written by `Directory.refresh_links` whenever a placement
change gives the child a last day of access; writing the same day again keeps a closed window
closed, a new day (a new or extended contract) opens it again, an open-ended placement removes it.

A guardian with no children left keeps an active account: they can still sign in and see that
nothing remains (an empty `me`), which answers "where did my child's photos go?" better than a
refused sign-in. Their account and personal data are removed by the purge that follows.
"""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from chalicelib import events as auth_events
from chalicelib.store import AccessEndItem, GuardianLinkItem
from portal_common import clock, store
from portal_common.events import make_event
from portal_common.outbox import Outbox


def close_due(outbox: Outbox) -> int:
    """Close every access window whose last day has passed; returns how many children it closed."""
    today = clock.today().isoformat()
    closed = 0
    for row in AccessEndItem.gsi1.query("_ACCESS_END", AccessEndItem.gsi1sk < today):
        _, tenant, child_id = row.gsi1sk.split("#", 2)
        links = GuardianLinkItem.query(store.key(tenant, "CHILD", child_id),
                                       GuardianLinkItem.sk.startswith("GUARDIAN#"))
        events = [make_event(auth_events.GuardianAccessEnded(child_id=child_id, user_id=link.user_id,
                                                             access_until=row.access_until),
                             tenant=tenant, source="auth") for link in links]
        events.append(make_event(auth_events.ChildRetentionDue(child_id=child_id, access_until=row.access_until),
                                 tenant=tenant, source="auth"))
        try:
            with store.transaction() as tx:
                tx.update(row, actions=[AccessEndItem.closed_at.set(clock.now().isoformat()),
                                        AccessEndItem.gsi1pk.remove(), AccessEndItem.gsi1sk.remove()],
                          condition=AccessEndItem.gsi1pk.exists() & (AccessEndItem.access_until == row.access_until))
                outbox.stage(tx, events)
        except TransactWriteError:
            continue  # another run closed it, or the contract was extended meanwhile
        outbox.flush(events)
        closed += 1
    return closed
