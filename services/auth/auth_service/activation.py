"""Activation of invited accounts and password resets: the e-mails with their one-time links, and the
confirmations after a password set or a sign-out everywhere (`credentials.py` makes those changes).

An invited guardian's activation e-mail is due 6 weeks (a setting) before their first child's
contract starts, or at once if that moment has passed. A schedule sends what is due; each due row is
claimed with a conditional write, so overlapping runs send each e-mail once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from auth_service import (
    credentials,
    mails,  # noqa: F401 - registers the e-mail templates
    tokens_store,
)
from auth_service.store import ActivationDueItem, OrganisationItem, UserItem
from portal_common import clock, mail, store
from portal_common.contracts.auth import CredentialsRevoked
from portal_common.events import Envelope
from portal_common.settings import get_settings

DUE_INDEX_PK = "_ACTIVATION_DUE"


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
        user = UserItem.get(store.key(tenant, "USER", user_id), "USER", consistent_read=True)
    except UserItem.DoesNotExist:
        return False
    if user.status != "invited":
        return False
    org = _org(tenant)
    ttl = timedelta(hours=_setting(org, "activation_link_hours", 72))
    token = tokens_store.issue_one_time("activation", tenant, user_id, ttl, credentials.generation_of(user))
    link = f"{get_settings().public_base_url}/activate.html#token={token}"
    mail.send("auth.activation", to=user.email, lang=user.language, name=user.name, organisation=org.name,
              link=link, email=user.email, domain=org.domain, valid_until=_valid_until(ttl, user.language))
    return True


def send_reset(tenant: str, user: UserItem) -> None:
    org = _org(tenant)
    ttl = timedelta(minutes=_setting(org, "password_reset_minutes", 60))
    # The account's generation is read afresh (`user` may come from the e-mail index, a moment behind).
    token = tokens_store.issue_one_time("reset", tenant, user.user_id, ttl)
    link = f"{get_settings().public_base_url}/reset.html#token={token}"
    mail.send("auth.password_reset", to=user.email, lang=user.language, name=user.name, link=link,
              valid_until=_valid_until(ttl, user.language))


def send_password_changed(tenant: str, user: UserItem) -> None:
    """After every password set (activation too): other devices signed out, the calendar link stopped."""
    mail.send("auth.password_changed", to=user.email, lang=user.language, name=user.name,
              organisation=_org(tenant).name)


def send_signed_out_everywhere(tenant: str, user: UserItem) -> None:
    mail.send("auth.signed_out_everywhere", to=user.email, lang=user.language, name=user.name,
              organisation=_org(tenant).name)


# The demo seeding activates its accounts through here, exactly as a parent's link would (without the mail).
use_link = credentials.use_link


def confirm_by_mail(env: Envelope) -> None:
    """`auth.credentials.revoked`: tell the account holder what happened and what stopped working. Sent from
    the event, after the change committed: a mail that fails is retried, and never undoes the change."""
    revoked = CredentialsRevoked.model_validate(env.payload)
    if not revoked.confirm:
        return
    try:
        user = UserItem.get(store.key(env.tenant, "USER", revoked.user_id), "USER")
    except UserItem.DoesNotExist:
        return  # removed since (retention): nobody to tell
    if user.status != "active":
        return
    if revoked.reason == "logout_all":
        send_signed_out_everywhere(env.tenant, user)
    else:
        send_password_changed(env.tenant, user)


HANDLERS = {"auth.credentials.revoked": confirm_by_mail}
