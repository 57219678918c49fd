"""Retention purge of the auth service: a child's directory data, and the accounts of guardians it leaves.

`auth.child.retention_due` and `exports.purge.requested` (`portal_common.retention.purge_handlers`)
call `purge`. For the child it deletes its whole partition `<t>#CHILD#<id>`, found with one Query: the
child row, placements, guardian links, current consents and their history, planning's contract copies,
the (closed) access-window row and anything else keyed there. For each guardian in `guardian_ids` it
deletes the account: its partition `<t>#USER#<id>` (notification settings, push devices with their SNS
platform endpoints, the activation row, and the user row last, because it names the e-mail claim), the
e-mail claim, and everything indexed under the account in gsi1 (sessions, so their refresh tokens die;
used-refresh-token and one-time-token rows; links to other children, whose windows have all closed).
No directory events are published: every service purges its own copies on the same request.

Left behind on purpose: token rows written before they were indexed by user, and throttle windows
(keyed by a hash of the address or source IP) cannot be found by user without a Scan. They expire by
TTL (90 days at most) and point at an account and sessions that no longer exist: a refresh token is
refused as unknown (401) and an activation or reset link as invalid (422).

A guardian named in `guardian_ids` who by now has a child in care again (a new contract since the window
closed, then a repeated request) keeps their account; so does an id that is not a parent's account.

Then `check` looks again with queries of the same keys (consistent reads on the table; index hits are
confirmed with a consistent read of the row, so a lagging index does not report a deleted row).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from botocore.exceptions import ClientError
from pynamodb.exceptions import DeleteError

from auth_service.retention import has_open_child
from auth_service.store import AuthItem, DeviceItem, EmailClaimItem, UserItem
from portal_common import aws, clock, store
from portal_common.retention import PurgeRequest, PurgeResult
from portal_common.store import MainItem

log = logging.getLogger("auth.purge")
# What a row is, by its sort key: exact keys first, then prefixes (a `#` ends each prefix).
CHILD_KINDS = {"CHILD": "child", "CONSENT": "consents", "ACCESS_END": "access_end", "PLC#": "placements",
               "GUARDIAN#": "links", "CONSENT#": "consents", "CONTRACT#": "contracts"}
USER_KINDS = {"USER": "users", "NOTIFY": "notification_settings", "ACTIVATION": "activations",
              "DEVICE#": "devices"}
# Rows of the account in other partitions, by their gsi1 sort key under `<t>#USER#<user>`.
INDEXED_KINDS = {"CHILD#": "links", "SESSION#": "sessions", "REFRESH_USED#": "tokens", "ONETIME#": "tokens"}
REPORTED = ("child", "placements", "links", "consents", "contracts", "access_end", "users", "email_claims",
            "sessions", "tokens", "notification_settings", "devices", "activations")
ENDPOINT_GONE = {"NotFound", "NotFoundException", "InvalidParameter"}


def kind_of(sk: str, kinds: dict[str, str]) -> str:
    if sk in kinds:
        return kinds[sk]
    prefix = sk.split("#", 1)[0] + "#"
    return kinds.get(prefix, "other")


def purge(request: PurgeRequest) -> PurgeResult:
    tenant, child_id = request.tenant, request.child_id
    deleted: Counter[str] = Counter(dict.fromkeys(REPORTED, 0))
    leaving = [user_id for user_id in dict.fromkeys(request.guardian_ids)
               if store.SEPARATOR not in user_id and _account_goes(tenant, user_id, child_id)]  # not an id: no account
    for item in AuthItem.query(store.key(tenant, "CHILD", child_id), consistent_read=True):
        deleted[kind_of(item.sk, CHILD_KINDS)] += 1
        _delete(item)
    emails = {user_id: _delete_account(tenant, user_id, child_id, deleted) for user_id in leaving}
    return PurgeResult(deleted=dict(deleted), left=check(tenant, child_id, emails))


def _account_goes(tenant: str, user_id: str, child_id: str) -> bool:
    user = _user(tenant, user_id)
    if user is not None and user.role != "parent":
        log.warning("purge names an account that is not a parent's: kept", extra={"user_id": user_id})
        return False
    if has_open_child(tenant, user_id, clock.today().isoformat(), child_id):
        log.warning("guardian has a child in care again: account kept", extra={"user_id": user_id})
        return False
    return True  # an account already gone still has its leftovers looked for


def _delete_account(tenant: str, user_id: str, child_id: str, deleted: Counter[str]) -> str | None:
    """Delete everything of one account; returns its e-mail address (None when the row was gone already)."""
    user_key = store.key(tenant, "USER", user_id)
    user = _user(tenant, user_id)
    for device in DeviceItem.query(user_key, DeviceItem.sk.startswith("DEVICE#"), consistent_read=True):
        _delete_push_endpoint(device.endpoint_arn)  # before the row: a retry still finds the endpoint's ARN
    for row in AuthItem.gsi1.query(user_key):  # rows elsewhere that belong to the account
        if row.pk != store.key(tenant, "CHILD", child_id):  # the purged child's own link went with its partition
            deleted[kind_of(str(row.gsi1sk), INDEXED_KINDS)] += 1
            _delete(row)
    if user is not None:
        claim = EmailClaimItem(store.key(tenant, "EMAIL", user.email), "CLAIM")
        try:  # only this account's claim: an address is never freed for someone else's account
            claim.delete(condition=EmailClaimItem.user_id == user_id)
            deleted["email_claims"] += 1
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    rows = list(AuthItem.query(user_key, consistent_read=True))
    for row in sorted(rows, key=lambda r: r.sk == "USER"):  # the user row last: it names the e-mail claim
        deleted[kind_of(row.sk, USER_KINDS)] += 1
        _delete(row)
    return user.email if user is not None else None


def _delete_push_endpoint(endpoint_arn: str | None) -> None:
    if not endpoint_arn:
        return
    try:
        aws.client("sns").delete_endpoint(EndpointArn=endpoint_arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ENDPOINT_GONE:
            raise  # the event is retried; the device row is still there to name the endpoint


def check(tenant: str, child_id: str, emails: dict[str, str | None]) -> list[str]:
    """What auth still holds of the child and of the removed accounts (descriptions by id, never an address)."""
    left = [f"child {child_id}: {row.sk}"
            for row in AuthItem.query(store.key(tenant, "CHILD", child_id), consistent_read=True)]
    for user_id, email in emails.items():
        user_key = store.key(tenant, "USER", user_id)
        left += [f"user {user_id}: {row.sk}" for row in AuthItem.query(user_key, consistent_read=True)]
        left += [f"user {user_id} index: {row.gsi1sk}" for row in _confirmed(AuthItem.gsi1.query(user_key))]
        if email is None:
            continue
        email_key = store.key(tenant, "EMAIL", email)
        if _claimed_by(email_key, user_id):
            left.append(f"user {user_id}: e-mail claim")
        left += [f"user {user_id}: account by e-mail" for row in _confirmed(AuthItem.gsi1.query(email_key))
                 if row.pk == user_key]
    return left


def _claimed_by(email_key: str, user_id: str) -> bool:
    try:
        return EmailClaimItem.get(email_key, "CLAIM", consistent_read=True).user_id == user_id
    except EmailClaimItem.DoesNotExist:
        return False


def _confirmed(hits: Iterable[MainItem]) -> list[MainItem]:
    """Index hits whose row is really still in the table (an index lags behind a delete for a moment)."""
    found: list[MainItem] = []
    for hit in hits:
        try:
            found.append(AuthItem.get(hit.pk, hit.sk, consistent_read=True))
        except AuthItem.DoesNotExist:
            continue
    return found


def _user(tenant: str, user_id: str) -> UserItem | None:
    try:
        return UserItem.get(store.key(tenant, "USER", user_id), "USER", consistent_read=True)
    except UserItem.DoesNotExist:
        return None


def _delete(item: MainItem) -> None:
    AuthItem(item.pk, item.sk).delete()  # by key: deleting a row already gone is no error
