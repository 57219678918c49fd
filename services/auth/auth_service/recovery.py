"""Forgot-password and resend-activation: the request stages one event, auth's own consumer sends the mail.

Whether an address has an account must not show in the answer nor in its timing. So the request path
never looks the account up: after the throttle check it resolves the sign-in domain (a lookup it makes
for every address) and stages one `auth.account_mail.requested` through the outbox, for a known account
and an unknown one alike. The consumer (`on_mail_requested`, the same service, through its own queue)
finds the account, issues the one-time link and sends the e-mail: a reset link to an active account, an
activation link to an invited one (also when it asked for a reset: it has no password to reset), nothing to
an unknown or deactivated account, nor an activation link to an account that is already active. The link
is made in the consumer, so it never travels in an event. A redelivered event is skipped by the consumer's
inbox; an event handled again after a crash mails a second link, and both work until one sets a password.
"""

from __future__ import annotations

from typing import Any

from auth_service import activation
from auth_service.directory import SOURCE, Directory, normalise_email
from portal_common.contracts.auth import AccountMailRequested
from portal_common.events import Envelope
from portal_common.outbox import Changes

# The envelope's tenant when the sign-in domain belongs to no organisation (a tenant is required; ids of
# tenants never start with "_").
UNKNOWN_TENANT = "_unknown"


def request(directory: Directory, kind: str, organisation: str, email: str) -> None:
    """Stage the mail request: the same calls whether or not the domain and the account exist."""
    domain = organisation.strip().lower()
    tenant = directory.tenant_for_domain(domain) or UNKNOWN_TENANT
    ch = Changes(directory.outbox, tenant, SOURCE)
    ch.emit(AccountMailRequested(kind=kind, organisation=domain, email=normalise_email(email)))
    ch.commit()


def handlers(directory: Directory) -> dict[str, Any]:
    def on_mail_requested(env: Envelope) -> None:
        if env.tenant == UNKNOWN_TENANT:
            return
        asked = AccountMailRequested.model_validate(env.payload)
        user = directory.user_by_email(env.tenant, asked.email)
        if user is None:
            return
        if user.status == "invited":
            activation.send_activation(env.tenant, user.user_id)
        elif user.status == "active" and asked.kind == "reset":
            activation.send_reset(env.tenant, user)

    return {"auth.account_mail.requested": on_mail_requested}
