"""Refresh-token families and one-time tokens (activation, password reset), stored hashed.

A refresh token is `<family>.<secret>`; only its SHA-256 is stored. Each use rotates it: the family's
current hash changes and the used one is remembered until the family expires. Presenting a token that
was already used revokes the whole family (someone copied it). One-time tokens carry 256 bits, are
stored hashed, and are consumed by one conditional write, so they work once and never after expiry.
Sessions and token rows are also indexed under their account (gsi1 `<t>#USER#<user>`), so removing an
account at the end of retention finds them all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.store import OneTimeTokenItem, SessionItem, UsedRefreshItem
from portal_common import clock, ids, store

REFRESH_IDLE = timedelta(days=30)      # unused for 30 days: signed out
FAMILY_LIFETIME = timedelta(days=90)   # at most 90 days after signing in


class InvalidRefreshToken(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _epoch(delta: timedelta) -> int:
    return int((clock.utcnow() + delta).timestamp())


@dataclass(frozen=True)
class Issued:
    family: str
    refresh_token: str


def start_session(tenant: str, user_id: str) -> Issued:
    family = ids.random_token(16)
    token = f"{family}.{ids.random_token(32)}"
    now = clock.now().isoformat()
    SessionItem(f"_SESSION#{family}", "_", tenant=tenant, user_id=user_id, current_hash=digest(token),
                created_at=now, last_used_at=now, expires_at=_epoch(REFRESH_IDLE),
                gsi1pk=store.key(tenant, "USER", user_id), gsi1sk=f"SESSION#{family}",
                ).save(SessionItem.pk.does_not_exist())
    return Issued(family, token)


def _family_of(token: str) -> str:
    family, dot, secret = token.partition(".")
    if not dot or not family or not secret or len(token) > 256:
        raise InvalidRefreshToken("malformed")
    return family


def live(session: SessionItem) -> bool:
    """Not revoked, used within the idle time, and within the lifetime of a sign-in."""
    now = clock.utcnow()
    created = datetime.fromisoformat(session.created_at)
    return (not session.revoked and (session.expires_at or 0) > now.timestamp()
            and now - created < FAMILY_LIFETIME)


def rotate(token: str) -> tuple[SessionItem, str]:
    """Exchange a refresh token for the next one of its family; a reused one revokes the family."""
    family = _family_of(token)
    try:
        session = SessionItem.get(f"_SESSION#{family}", "_", consistent_read=True)
    except SessionItem.DoesNotExist:
        raise InvalidRefreshToken("unknown") from None
    presented = digest(token)
    if presented != session.current_hash:
        if _was_used(presented):
            revoke(family, "reuse")
            raise InvalidRefreshToken("reused")
        raise InvalidRefreshToken("unknown")
    if not live(session):
        raise InvalidRefreshToken("expired")
    new_token = f"{family}.{ids.random_token(32)}"
    now = clock.now().isoformat()
    try:
        with store.transaction() as tx:
            tx.update(session, actions=[
                SessionItem.current_hash.set(digest(new_token)),
                SessionItem.generation.add(1),
                SessionItem.last_used_at.set(now),
                SessionItem.expires_at.set(_epoch(REFRESH_IDLE)),
            ], condition=(SessionItem.current_hash == presented) & (SessionItem.revoked == False))  # noqa: E712
            tx.save(UsedRefreshItem(f"_REFRESH_USED#{presented}", "_", family=family,
                                    expires_at=_epoch(FAMILY_LIFETIME),
                                    gsi1pk=store.key(session.tenant, "USER", session.user_id),
                                    gsi1sk=f"REFRESH_USED#{presented}"))
    except TransactWriteError:
        # Another request rotated the same token first: this one is a reuse.
        revoke(family, "reuse")
        raise InvalidRefreshToken("reused") from None
    return session, new_token


def _was_used(token_hash: str) -> bool:
    try:
        UsedRefreshItem.get(f"_REFRESH_USED#{token_hash}", "_")
        return True
    except UsedRefreshItem.DoesNotExist:
        return False


def revoke(family: str, reason: str) -> None:
    try:
        SessionItem(f"_SESSION#{family}", "_").update(
            actions=[SessionItem.revoked.set(True), SessionItem.revoked_reason.set(reason)],
            condition=SessionItem.pk.exists())
    except UpdateError:
        pass  # unknown family: nothing to revoke


def revoke_token(token: str) -> None:
    """Logout: revoke the family of a current refresh token (an unknown one is ignored)."""
    try:
        family = _family_of(token)
        session = SessionItem.get(f"_SESSION#{family}", "_", consistent_read=True)
    except (InvalidRefreshToken, SessionItem.DoesNotExist):
        return
    if session.current_hash == digest(token):
        revoke(family, "logout")


def revoke_all(tenant: str, user_id: str, *, keep: str | None = None, reason: str = "logout_all") -> int:
    count = 0
    sessions = SessionItem.gsi1.query(store.key(tenant, "USER", user_id), SessionItem.gsi1sk.startswith("SESSION#"))
    for session in sessions:
        family = session.pk.removeprefix("_SESSION#")
        if family != keep and not session.revoked:
            revoke(family, reason)
            count += 1
    return count


def is_revoked(family: str) -> bool:
    try:
        return bool(SessionItem.get(f"_SESSION#{family}", "_").revoked)
    except SessionItem.DoesNotExist:
        return True


# -- one-time tokens ---------------------------------------------------------------------------
def issue_one_time(kind: str, tenant: str, user_id: str, ttl: timedelta) -> str:
    token = ids.random_token(32)
    OneTimeTokenItem(f"_ONETIME#{digest(token)}", "_", kind=kind, tenant=tenant, user_id=user_id,
                     expires_at=_epoch(ttl), gsi1pk=store.key(tenant, "USER", user_id),
                     gsi1sk=f"ONETIME#{digest(token)}").save()
    return token


def consume_one_time(kind: str, token: str) -> tuple[str, str] | None:
    """Use a one-time token: (tenant, user id) the first time within its validity, else None."""
    if not token or len(token) > 512:
        return None
    item = OneTimeTokenItem(f"_ONETIME#{digest(token)}", "_")
    now = int(clock.utcnow().timestamp())
    try:
        item.update(actions=[OneTimeTokenItem.used.set(True)],
                    condition=(OneTimeTokenItem.pk.exists() & (OneTimeTokenItem.kind == kind)
                               & (OneTimeTokenItem.used == False) & (OneTimeTokenItem.expires_at > now)))  # noqa: E712
    except UpdateError:
        return None
    return item.tenant, item.user_id
