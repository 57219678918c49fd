"""Sign-in routes: login, refresh, logout, activation, password reset and change, `me`.

None of these answers reveals whether an account exists: unknown e-mail addresses, invited and
deactivated accounts get the same answers as wrong passwords, after the same argon2 work, and
forgot-password and resend-activation do the same work for every address (`recovery.py`).
Setting a password and signing out everywhere end the account's other credentials (`credentials.py`)
and are confirmed by e-mail.
"""

from __future__ import annotations

from auth_service import access, credentials, me, passwords, recovery, tokens_store
from auth_service.api import (
    Accepted,
    AccountIn,
    ActivatedOut,
    ActivateIn,
    ChangePasswordIn,
    LoginIn,
    MeOut,
    RefreshIn,
    ResetIn,
    TokenPair,
)
from auth_service.directory import Directory, normalise_email
from auth_service.store import OrganisationItem, UserItem
from auth_service.throttle import INVALID_LINKS_PER_ADDRESS, LOGIN, RECOVERY_REQUESTS, FailureThrottle, Throttle
from portal_common import errors, i18n, store
from portal_common.service import PortalApp, Req

i18n.register({
    "auth.invalid_credentials": {
        "nl": "Deze combinatie van organisatie, e-mailadres en wachtwoord klopt niet.",
        "en": "This combination of organisation, e-mail address and password is not correct.",
    },
    "auth.invalid_refresh_token": {
        "nl": "Deze sessie is verlopen of afgemeld. Log opnieuw in.",
        "en": "This session has expired or was signed out. Please sign in again.",
    },
    "auth.invalid_link": {
        "nl": "Deze link is verlopen of al gebruikt. Vraag een nieuwe aan.",
        "en": "This link has expired or was already used. Please ask for a new one.",
    },
    "auth.credentials_changed": {
        "nl": "Je wachtwoord is zojuist op een andere manier gewijzigd. Probeer het opnieuw.",
        "en": "Your password was just changed in another way. Please try again.",
    },
    "auth.password_too_common": {
        "nl": "Dit wachtwoord wordt te vaak gebruikt. Kies een ander wachtwoord.",
        "en": "This password is too common. Please choose another one.",
    },
})

login_throttle = Throttle("login", LOGIN)
request_throttle = Throttle("recovery_request", RECOVERY_REQUESTS)
link_throttles = {kind: FailureThrottle(f"{kind}_link", INVALID_LINKS_PER_ADDRESS) for kind in ("activation", "reset")}


def _check_new_password(password: str, field: str) -> None:
    if passwords.is_common(password):
        raise errors.Unprocessable(code="password_too_common", detail_key="auth.password_too_common",
                                   errors=[{"loc": ["body", field], "msg": "too common"}])


def _token_pair(tenant: str, user: UserItem, family: str, refresh_token: str) -> TokenPair:
    from portal_common import tokens  # PyJWT and cryptography stay off the cold start

    principal = access.principal_for(tenant, user, family)
    signer = tokens.get_signer()
    return TokenPair(access_token=signer.sign(principal), refresh_token=refresh_token,
                     expires_in=signer.ttl_seconds)


def _set_password_from_link(req: Req, kind: str) -> tuple[str, UserItem]:
    """Use an activation or reset link once to set the password in the body and end every session (the
    confirmation mail follows from the event); 422 for a bad link (429 once this address has presented too
    many of them)."""
    _check_new_password(req.body.password, "password")  # before the link is used: a refusal keeps it
    used = credentials.use_link(kind, req.body.token, req.body.password)
    if used is None:  # the link is checked first: a valid one is never throttled
        link_throttles[kind].failed(req.source_ip)
        raise errors.Unprocessable(code="invalid_link", detail_key="auth.invalid_link")
    return used


def register(app: PortalApp, directory: Directory) -> None:
    @app.endpoint("/login", "POST", public=True, body=LoginIn, response=TokenPair,
                  summary="Sign in with organisation domain, e-mail address and password")
    def login(req: Req) -> TokenPair:
        body: LoginIn = req.body
        account = f"{body.organisation.strip().lower()}|{normalise_email(body.email)}"
        earlier_failures = login_throttle.check(account, req.source_ip)
        tenant = directory.tenant_for_domain(body.organisation)
        user = directory.user_by_email(tenant, body.email) if tenant else None
        usable = user is not None and user.status == "active" and user.password_hash
        # Unknown accounts cost the same argon2 work as known ones: timing reveals nothing.
        ok = passwords.verify_password(user.password_hash if usable else passwords.DUMMY_HASH, body.password)
        if not (usable and ok):
            login_throttle.failed(account, req.source_ip)
            raise errors.Unauthorized(code="invalid_credentials", detail_key="auth.invalid_credentials")
        if earlier_failures:
            login_throttle.succeeded(account, req.source_ip)
        if passwords.needs_rehash(user.password_hash):
            user.update(actions=[UserItem.password_hash.set(passwords.hash_password(body.password))])
        issued = tokens_store.start_session(tenant, user)
        return _token_pair(tenant, user, issued.family, issued.refresh_token)

    @app.endpoint("/refresh", "POST", public=True, body=RefreshIn, response=TokenPair,
                  summary="Exchange a refresh token for a new pair (rotation; reuse revokes the session)")
    def refresh(req: Req) -> TokenPair:
        try:
            session, new_token = tokens_store.rotate(req.body.refresh_token)
        except tokens_store.InvalidRefreshToken:
            raise errors.Unauthorized(code="invalid_refresh_token", detail_key="auth.invalid_refresh_token") from None
        try:
            user = UserItem.get(store.key(session.tenant, "USER", session.user_id), "USER")
        except UserItem.DoesNotExist:
            user = None
        # A session begun before the password was set, or before signing out everywhere, is over (also when
        # its revocation, which runs through the account's index, missed it).
        if user is None or user.status != "active" or not credentials.current(session, user):
            tokens_store.revoke(session.pk.removeprefix("_SESSION#"), "account_inactive")
            raise errors.Unauthorized(code="invalid_refresh_token", detail_key="auth.invalid_refresh_token")
        return _token_pair(session.tenant, user, session.pk.removeprefix("_SESSION#"), new_token)

    @app.endpoint("/logout", "POST", public=True, body=RefreshIn, status=204,
                  summary="Sign out this session (its refresh token stops working)")
    def logout(req: Req) -> None:
        tokens_store.revoke_token(req.body.refresh_token)

    @app.endpoint("/logout-all", "POST", action="me.sessions.revoke", status=204,
                  summary="Sign out every session of this account; its one-time links and calendar feed stop "
                          "working too, and a confirmation e-mail goes out")
    def logout_all(req: Req) -> None:
        credentials.sign_out_everywhere(req.principal.tenant, req.principal.user_id)

    @app.endpoint("/activate", "POST", public=True, body=ActivateIn, response=ActivatedOut,
                  summary="Choose a password with the link from the activation e-mail")
    def activate(req: Req) -> ActivatedOut:
        tenant, user = _set_password_from_link(req, "activation")
        org = OrganisationItem.get(store.key(tenant, "ORG"), "ORG")
        return ActivatedOut(email=user.email, organisation=org.domain)

    @app.endpoint("/activation/resend", "POST", public=True, body=AccountIn, response=Accepted, status=202,
                  summary="Send the activation e-mail again (same answer whether or not the account exists)")
    def resend_activation(req: Req) -> Accepted:
        _recover(req, "activation")
        return Accepted()

    @app.endpoint("/password/forgot", "POST", public=True, body=AccountIn, response=Accepted, status=202,
                  summary="E-mail a password-reset link (same answer whether or not the account exists)")
    def forgot_password(req: Req) -> Accepted:
        _recover(req, "reset")
        return Accepted()

    def _recover(req: Req, kind: str) -> None:
        """The same work for every address: the mail itself is sent by the consumer (`recovery.py`)."""
        body: AccountIn = req.body
        account = f"{body.organisation.strip().lower()}|{normalise_email(body.email)}"
        try:
            request_throttle.check(account, req.source_ip)
        except errors.TooManyRequests:
            return  # silently: a throttled answer would differ for existing accounts
        request_throttle.failed(account, req.source_ip)  # every request counts against the window
        recovery.request(directory, kind, body.organisation, body.email)

    @app.endpoint("/password/reset", "POST", public=True, body=ResetIn, status=204,
                  summary="Choose a new password with the link from the reset e-mail; every session ends")
    def reset_password(req: Req) -> None:
        _set_password_from_link(req, "reset")

    @app.endpoint("/password/change", "POST", action="me.password.change", body=ChangePasswordIn, status=204,
                  summary="Change one's password; every other session, one-time link and the calendar feed end")
    def change_password(req: Req) -> None:
        p = req.principal
        user = me.account_of(p)
        account = f"{p.tenant}|{user.email}"
        login_throttle.check(account, req.source_ip)
        if not passwords.verify_password(user.password_hash or passwords.DUMMY_HASH, req.body.current_password):
            login_throttle.failed(account, req.source_ip)
            raise errors.Unprocessable(code="invalid_credentials", detail_key="auth.invalid_credentials",
                                       errors=[{"loc": ["body", "current_password"], "msg": "not correct"}])
        _check_new_password(req.body.new_password, "new_password")
        try:
            credentials.change_password(p.tenant, user, p.session_id, req.body.new_password)
        except credentials.CredentialsChanged:
            raise errors.Conflict(code="credentials_changed", detail_key="auth.credentials_changed") from None

    @app.endpoint("/me", "GET", action="me.read", response=MeOut,
                  summary="The signed-in person, their organisation, and their children or groups")
    def get_me(req: Req) -> MeOut:
        return me.build(req.principal)
