"""Refresh-token families and one-time tokens (activation, password reset), stored hashed.

A refresh token is `<family>.<secret>`; only its SHA-256 is stored. Each use rotates it: the family's
current hash changes and the used one is remembered until the family expires. Presenting a token that
was already used revokes the whole family (someone copied it). One-time tokens carry 256 bits, are
stored hashed, and are used by one conditional write (in the transaction that sets the password,
`credentials.py`), so they work once and never after expiry. Sessions and one-time tokens record the
account's credentials generation when they are made; `credentials.py` honours them only while it lasts.
Sessions and token rows are also indexed under their account (gsi1 `<t>#USER#<user>`), so setting a
password finds the other links to delete, and removing an account at the end of retention finds them all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError, UpdateError

from auth_service.store import OneTimeTokenItem, SessionItem, UsedRefreshItem, UserItem
from portal_common import clock, ids, store
from portal_common.outbox import Changes

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


def start_session(tenant: str, user: UserItem) -> Issued:
    family = ids.random_token(16)
    token = f"{family}.{ids.random_token(32)}"
    now = clock.now().isoformat()
    user_id = user.user_id
    SessionItem(f"_SESSION#{family}", "_", tenant=tenant, user_id=user_id, current_hash=digest(token),
                created_at=now, last_used_at=now, expires_at=_epoch(REFRESH_IDLE),
                credentials_generation=user.credentials_generation or 0,
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


def revoke_all(tenant: str, user_id: str, *, keep: str | None = None, reason: str = "logout_all",
               before_generation: int | None = None) -> int:
    """Revoke the account's sessions but `keep`; with `before_generation`, only those begun under an older
    credentials generation (one begun a moment ago with the new password stays)."""
    count = 0
    sessions = SessionItem.gsi1.query(store.key(tenant, "USER", user_id), SessionItem.gsi1sk.startswith("SESSION#"))
    for session in sessions:
        family = session.pk.removeprefix("_SESSION#")
        newer = before_generation is not None and int(session.credentials_generation or 0) >= before_generation
        if family != keep and not session.revoked and not newer:
            revoke(family, reason)
            count += 1
    return count


def is_revoked(family: str) -> bool:
    try:
        return bool(SessionItem.get(f"_SESSION#{family}", "_").revoked)
    except SessionItem.DoesNotExist:
        return True


# -- one-time tokens ---------------------------------------------------------------------------
def issue_one_time(kind: str, tenant: str, user_id: str, ttl: timedelta, generation: int | None = None) -> str:
    """A new link for the account, valid while its credentials generation is `generation` (None: read it now)."""
    if generation is None:
        try:
            generation = UserItem.get(store.key(tenant, "USER", user_id), "USER",
                                      consistent_read=True).credentials_generation or 0
        except UserItem.DoesNotExist:
            generation = 0
    token = ids.random_token(32)
    OneTimeTokenItem(f"_ONETIME#{digest(token)}", "_", kind=kind, tenant=tenant, user_id=user_id,
                     credentials_generation=generation, expires_at=_epoch(ttl),
                     gsi1pk=store.key(tenant, "USER", user_id), gsi1sk=f"ONETIME#{digest(token)}").save()
    return token


def find_one_time(kind: str, token: str) -> OneTimeTokenItem | None:
    """The unused, unexpired link of this kind a token opens, or None. Nothing is written yet."""
    if not token or len(token) > 512:
        return None
    try:
        item = OneTimeTokenItem.get(f"_ONETIME#{digest(token)}", "_", consistent_read=True)
    except OneTimeTokenItem.DoesNotExist:
        return None
    if item.kind != kind or item.used or (item.expires_at or 0) <= int(clock.utcnow().timestamp()):
        return None
    return item


def use_one_time(ch: Changes, item: OneTimeTokenItem) -> None:
    """Mark a link used in the transaction of `ch`, on condition that it still is unused and unexpired."""
    now = int(clock.utcnow().timestamp())
    ch.update(item, actions=[OneTimeTokenItem.used.set(True)],
              condition=(OneTimeTokenItem.pk.exists() & (OneTimeTokenItem.used == False)  # noqa: E712
                         & (OneTimeTokenItem.expires_at > now)))


def discard_one_time(tenant: str, user_id: str, before_generation: int) -> int:
    """Delete the account's link rows of an older credentials generation (dead already: this is tidying up;
    a link issued a moment ago under the new generation stays)."""
    rows = [row for row in OneTimeTokenItem.gsi1.query(store.key(tenant, "USER", user_id),
                                                       OneTimeTokenItem.gsi1sk.startswith("ONETIME#"))
            if int(row.credentials_generation or 0) < before_generation]
    with OneTimeTokenItem.batch_write() as batch:
        for row in rows:
            batch.delete(OneTimeTokenItem(row.pk, row.sk))
    return len(rows)
