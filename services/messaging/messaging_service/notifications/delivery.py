"""Delivery: every minute `deliver_due` takes what is due from the due index (a Query, never a Scan), claims
each row (a conditional delete) and delivers it: push to each of the user's devices if their setting for
the topic has push on, e-mail if it has e-mail on. A failing channel (an SNS error, a disabled endpoint,
an SES error) is logged and does not stop the other channel or other users. Delivery is at most once from
the claim on: a crash between claim and send loses that one notification rather than sending it twice
(SES and SNS take no idempotency key).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from messaging_service.notifications import mails, recipients, rules, store
from messaging_service.notifications.store import PendingItem, RecipientItem
from portal_common import aws, mail

log = logging.getLogger("messaging.notifications")
RUN_SECONDS = 20.0  # of the Lambda's 30: what is left waits for the next minute's run


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__))


def _push(tenant: str, recipient: RecipientItem, row: PendingItem, title: str, text: str) -> int:
    sent = 0
    data = {"topic": row.topic, **dict(row.facts.get("link") or {})}
    for device_id, endpoint in rules.endpoints(recipient).items():
        try:
            aws.client("sns").publish(TargetArn=endpoint, MessageStructure="json",
                                      Message=rules.push_message(title, text, data))
            sent += 1
        except (BotoCoreError, ClientError) as exc:  # this device only: others, the e-mail and other users go on
            code = _error_code(exc)
            log.warning("push failed", extra={"device_id": device_id, "error": code, "topic": row.topic})
            if code in ("EndpointDisabled", "NotFound"):
                recipients.mark_disabled(tenant, row.user_id, device_id, endpoint)
    return sent


def deliver(tenant: str, recipient: RecipientItem | None, row: PendingItem) -> bool:
    """Send one claimed notification on the channels the user chose; True when any channel took it."""
    if recipient is None or not rules.reachable(recipient):
        return False  # unknown or deactivated: nobody to tell
    chosen = rules.channels(recipient, row.topic)
    rendered = mails.render(row.topic, row.facts, int(row.count), recipient.language)
    pushed = _push(tenant, recipient, row, rendered.title, rendered.push) if chosen.push else 0
    mailed = False
    if chosen.email:
        try:
            mail.send(rendered.template, to=str(recipient.email), lang=recipient.language,
                      name=recipient.name or "", **rendered.values)
            mailed = True
        except (BotoCoreError, ClientError) as exc:  # logged; push already went, other users go on
            log.warning("e-mail failed", extra={"user_id": row.user_id, "error": _error_code(exc),
                                                "topic": row.topic})
    return bool(pushed) or mailed


def deliver_due(now: datetime, budget_seconds: float = RUN_SECONDS) -> int:
    """Deliver the pending notifications due by `now`; returns how many reached someone. Stops claiming
    after `budget_seconds`, so a big fan-out continues in the next run instead of the Lambda timing out
    between a claim and its send."""
    started = time.monotonic()
    rows = store.due(now)
    by_tenant: dict[str, list[PendingItem]] = {}
    for row in rows:
        by_tenant.setdefault(row.tenant, []).append(row)
    delivered = 0
    for tenant, pending in by_tenant.items():
        known = recipients.profiles(tenant, {r.user_id for r in pending})
        for row in pending:
            if time.monotonic() - started > budget_seconds:
                log.info("delivery continues in the next run", extra={"delivered": delivered})
                return delivered
            try:
                claimed = store.claim(row)
                if claimed is not None and deliver(tenant, known.get(row.user_id), claimed):
                    delivered += 1
            except Exception:  # one broken row must not hold up everyone else's notifications
                log.exception("notification not delivered", extra={"topic": row.topic, "user_id": row.user_id})
    return delivered
