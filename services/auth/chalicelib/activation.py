"""Activation of invited accounts and password resets: the e-mails with their one-time links.

An invited guardian's activation e-mail is due 6 weeks (a setting) before their first child's
contract starts, or at once if that moment has passed. A schedule sends what is due; each due row is
claimed with a conditional write, so overlapping runs send each e-mail once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib import (
    directory,
    mails,  # noqa: F401 - registers the e-mail templates
    passwords,
    tokens_store,
)
from chalicelib.store import ActivationDueItem, OrganisationItem, UserItem
from portal_common import clock, mail, store
from portal_common.outbox import Changes, Outbox
from portal_common.settings import get_settings

DUE_INDEX_PK = "_ACTIVATION_DUE"
# The auth service's outbox rows (the same ones as `app.outbox`; an Outbox is only a view of them):
# activation is also reached without the app (the demo seeding), and its event must not be lost.
OUTBOX = Outbox(directory.SOURCE)


def _org(tenant: str) -> OrganisationItem:
    return OrganisationItem.get(store.key(tenant, "ORG"), "ORG")


def _setting(org: OrganisationItem, name: str, default: int) -> int:
    return int((org.settings or {}).get(name, default))


def _valid_until(ttl: timedelta, lang: str) -> str:
    moment = clock.now() + ttl
    return moment.strftime("%d-%m-%Y %H:%M") if lang == "nl" else moment.strftime("%d %b %Y %H:%M")


def activation_due(tenant: str, first_contract_start: str) -> datetime:
    weeks = _setting(_org(tenant), "activation_mail_weeks_before_start", 6)
    start = clock.at(datetime.fromisoformat(first_contract_start).date(), "00:00")
    return max(clock.now(), start - timedelta(weeks=weeks))


def schedule(tenant: str, user_id: str, due: datetime) -> None:
    due_utc = due.astimezone(clock.utcnow().tzinfo).isoformat()
    ActivationDueItem(store.key(tenant, "USER", user_id), "ACTIVATION", due_at=due_utc,
                      gsi1pk=DUE_INDEX_PK, gsi1sk=f"{due_utc}#{tenant}#{user_id}").save()


def send_due() -> int:
    """Send every activation e-mail that is due; returns how many went out."""
    now = clock.utcnow().isoformat()
    sent = 0
    for row in ActivationDueItem.gsi1.query(DUE_INDEX_PK, ActivationDueItem.gsi1sk <= f"{now}~"):
        tenant, user_id = row.gsi1sk.split("#")[1], row.gsi1sk.split("#")[2]
        try:  # claim: the row leaves the index, so an overlapping run cannot send it again
            row.update(actions=[ActivationDueItem.sent_at.set(now), ActivationDueItem.gsi1pk.remove(),
                                ActivationDueItem.gsi1sk.remove()],
                       condition=ActivationDueItem.gsi1pk.exists())
        except UpdateError:
            continue
        if send_activation(tenant, user_id):
            sent += 1
    return sent


def send_activation(tenant: str, user_id: str) -> bool:
    """E-mail a fresh activation link to an invited account (not to an active one)."""
    try:
        user = UserItem.get(store.key(tenant, "USER", user_id), "USER")
    except UserItem.DoesNotExist:
        return False
    if user.status != "invited":
        return False
    org = _org(tenant)
    ttl = timedelta(hours=_setting(org, "activation_link_hours", 72))
    token = tokens_store.issue_one_time("activation", tenant, user_id, ttl)
    link = f"{get_settings().public_base_url}/activate.html#token={token}"
    mail.send("auth.activation", to=user.email, lang=user.language, name=user.name, organisation=org.name,
              link=link, email=user.email, domain=org.domain, valid_until=_valid_until(ttl, user.language))
    return True


def send_reset(tenant: str, user: UserItem) -> None:
    org = _org(tenant)
    ttl = timedelta(minutes=_setting(org, "password_reset_minutes", 60))
    token = tokens_store.issue_one_time("reset", tenant, user.user_id, ttl)
    link = f"{get_settings().public_base_url}/reset.html#token={token}"
    mail.send("auth.password_reset", to=user.email, lang=user.language, name=user.name, link=link,
              valid_until=_valid_until(ttl, user.language))


def send_password_changed(tenant: str, user: UserItem) -> None:
    mail.send("auth.password_changed", to=user.email, lang=user.language, name=user.name,
              organisation=_org(tenant).name)


def set_password(tenant: str, user: UserItem, password: str) -> None:
    """Store a new password (argon2id) and make the account active.

    An account becoming active is news for messaging's copy of it (`auth.user.changed`), written in
    the same transaction; a password change of an active account is not."""
    actions = [UserItem.password_hash.set(passwords.hash_password(password)), UserItem.status.set("active")]
    if user.status == "active":
        user.update(actions=actions)
        return
    now = clock.now().isoformat()
    ch = Changes(OUTBOX, tenant, "auth")
    ch.update(user, actions=[*actions, UserItem.activated_at.set(now)])
    user.status, user.activated_at = "active", now
    ch.emit(directory.user_changed(user))
    ch.commit()


def use_link(kind: str, token: str, password: str) -> tuple[str, UserItem] | None:
    """Use an activation or reset link once to set a password; None for an unknown, used or expired link."""
    used = tokens_store.consume_one_time(kind, token)
    if used is None:
        return None
    tenant, user_id = used
    try:
        user = UserItem.get(store.key(tenant, "USER", user_id), "USER")
    except UserItem.DoesNotExist:
        # The account was removed with its last child's data (retention). The purge deletes its links too,
        # but one issued before token rows were indexed by user is found by hash only and waits for its
        # TTL: meanwhile it is refused like a used one.
        return None
    set_password(tenant, user, password)
    return tenant, user
