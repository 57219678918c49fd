"""Setting a password and signing out everywhere: every other credential of the account dies with it.

An account's credentials are its password, its one-time links (activation, reset), its sessions
(refresh-token families) and, in planning, its secret calendar-feed URL. The account carries a
credentials generation (`UserItem.credentials_generation`); each link and each session records the
generation it was made under and is honoured only while the account still has it.

Setting a password by any path (an activation link while the account is invited, a reset link while it
is active, a change while signed in) and signing out everywhere raise the generation in one transaction
with `auth.credentials.revoked` in the outbox, so:
- every other link is dead at once (its row is deleted right after, through the account's index);
- every other session is refused at its next refresh (and is marked revoked right after); a change keeps
  the caller's own session, which moves to the new generation in the same transaction;
- planning deletes the account's calendar feed when the event reaches it.
The write is conditional on the generation that was read, so of two links used at the same moment (or a
link and a change) exactly one sets the password; the other is refused like a used link. The tidying up
after the commit is not needed for safety: a crash before it leaves only dead rows behind.
The confirmation e-mails are sent by auth's own consumer of the event (`activation.confirm_by_mail`), so a
failing mail never fails a change that was made; the demo seeding activates its accounts without them.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError

from auth_service import directory, passwords, tokens_store
from auth_service.store import SessionItem, UserItem
from portal_common import clock, store
from portal_common.contracts.auth import CredentialsRevoked
from portal_common.outbox import Changes, Outbox

# The auth service's outbox rows (the same ones as `app.outbox`; an Outbox is only a view of them): links
# are also used without the app (the demo seeding), and the event must not be lost.
OUTBOX = Outbox(directory.SOURCE)
# Which account a link may set the password of: an activation link only an invited one (never an active
# or deactivated account), a reset link only an active one.
LINK_STATUS = {"activation": "invited", "reset": "active"}
LINK_REASON = {"activation": "activation", "reset": "password_reset"}


class CredentialsChanged(Exception):
    """Another password set or sign-out everywhere won the race; nothing was written."""


def generation_of(user: UserItem) -> int:
    return int(user.credentials_generation or 0)


def current(session: SessionItem, user: UserItem) -> bool:
    """A session still belongs to the account's current credentials."""
    return int(session.credentials_generation or 0) == generation_of(user)


def _still(generation: int) -> Any:
    if generation == 0:  # accounts from before generations were kept have no attribute yet
        return UserItem.credentials_generation.does_not_exist() | (UserItem.credentials_generation == 0)
    return UserItem.credentials_generation == generation


def _user(tenant: str, user_id: str) -> UserItem | None:
    try:
        return UserItem.get(store.key(tenant, "USER", user_id), "USER", consistent_read=True)
    except UserItem.DoesNotExist:
        return None


def _set(ch: Changes, user: UserItem, actions: list[Any], reason: str, confirm: bool = True) -> int:
    """Stage the account's update with a raised generation, on condition of the generation and status read."""
    generation = generation_of(user)
    ch.update(user, actions=[*actions, UserItem.credentials_generation.set(generation + 1)],
              condition=_still(generation) & (UserItem.status == user.status))
    ch.emit(CredentialsRevoked(user_id=user.user_id, reason=reason, confirm=confirm))
    return generation + 1


def _commit(ch: Changes) -> None:
    try:
        ch.commit()
    except TransactWriteError:
        raise CredentialsChanged() from None


def _tidy(tenant: str, user_id: str, generation: int, reason: str, keep_session: str | None = None) -> None:
    """Mark the older sessions revoked and delete the older links (both dead already by their generation)."""
    tokens_store.revoke_all(tenant, user_id, keep=keep_session, reason=reason, before_generation=generation)
    tokens_store.discard_one_time(tenant, user_id, before_generation=generation)


def use_link(kind: str, token: str, password: str, *, confirm: bool = True) -> tuple[str, UserItem] | None:
    """Set the password with an activation or reset link, once; None for a link that is unknown, used,
    expired, of another kind, of an older generation, or for an account in the wrong state. `confirm`: the
    account holder gets the "password changed" mail (from the event's consumer, off the request path)."""
    link = tokens_store.find_one_time(kind, token)
    if link is None:
        return None
    tenant = link.tenant
    user = _user(tenant, link.user_id)
    # The account was removed at retention (the purge deletes its links, but one issued before links were
    # indexed by user waits for its TTL), or is not in the state this kind of link is for, or a password
    # was set since the link was made.
    if (user is None or user.status != LINK_STATUS[kind]
            or int(link.credentials_generation or 0) != generation_of(user)):
        return None
    ch = Changes(OUTBOX, tenant, directory.SOURCE)
    tokens_store.use_one_time(ch, link)
    actions = [UserItem.password_hash.set(passwords.hash_password(password)), UserItem.status.set("active")]
    if kind == "activation":
        now = clock.now().isoformat()
        actions.append(UserItem.activated_at.set(now))
        generation = _set(ch, user, actions, LINK_REASON[kind], confirm)
        user.status, user.activated_at = "active", now
        ch.emit(directory.user_changed(user))  # messaging's copy of the account: now active
    else:
        generation = _set(ch, user, actions, LINK_REASON[kind], confirm)
    try:
        _commit(ch)
    except CredentialsChanged:
        return None  # another link (or a change) set the password a moment ago
    user.credentials_generation = generation
    _tidy(tenant, user.user_id, generation, LINK_REASON[kind])
    return tenant, user


def change_password(tenant: str, user: UserItem, session_id: str, password: str) -> None:
    """Set a signed-in account's new password; every other session ends, the caller's own goes on."""
    ch = Changes(OUTBOX, tenant, directory.SOURCE)
    generation = _set(ch, user, [UserItem.password_hash.set(passwords.hash_password(password))], "password_change")
    own = _own_session(tenant, user, session_id)
    if own is not None:
        ch.update(own, actions=[SessionItem.credentials_generation.set(generation)],
                  condition=SessionItem.pk.exists() & (SessionItem.revoked == False))  # noqa: E712
    _commit(ch)
    user.credentials_generation = generation
    _tidy(tenant, user.user_id, generation, "password_changed", keep_session=session_id)


def sign_out_everywhere(tenant: str, user_id: str) -> UserItem | None:
    """End every session and link of the account; the account (None when there is none to sign out)."""
    user = _user(tenant, user_id)
    if user is None:
        return None  # a token outliving its account: nothing to sign out
    ch = Changes(OUTBOX, tenant, directory.SOURCE)
    # Raised without a condition on the generation read: signing out must win over whatever else happens.
    ch.update(user, actions=[UserItem.credentials_generation.add(1)], condition=UserItem.pk.exists())
    ch.emit(CredentialsRevoked(user_id=user_id, reason="logout_all"))
    try:
        ch.commit()
    except TransactWriteError:
        return None  # removed between the read and the write
    _tidy(tenant, user_id, generation_of(user) + 1, "logout_all")  # at least that: the add came after the read
    return user


def _own_session(tenant: str, user: UserItem, session_id: str) -> SessionItem | None:
    """The caller's session, when it is theirs, live and of the current generation: the one a change carries
    over (never a session that an earlier password set or sign-out already ended, whose access token lives on
    for a few minutes)."""
    if not session_id:
        return None
    try:
        session = SessionItem.get(f"_SESSION#{session_id}", "_", consistent_read=True)
    except SessionItem.DoesNotExist:
        return None
    if (session.tenant != tenant or session.user_id != user.user_id or not tokens_store.live(session)
            or not current(session, user)):
        return None
    return session

