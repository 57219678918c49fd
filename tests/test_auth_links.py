"""Setting a password (activation, reset, change) ends every other credential of the account, through HTTP:
older one-time links, other sessions; and the owner is told by e-mail, in their language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.auth_helpers import DOMAIN, PASSWORD, bearer, demo_login_header, link_token, login, sent_mail

NEW = "nieuw@demo.ouderportaal.nl"


@pytest.fixture
def demo(world):
    return world


def _invite(services, language="nl"):
    directory = services["auth"].module.directory
    directory.create_user("demo", "user-new", email=NEW, name="Nieuwe Ouder", role="parent", language=language)
    directory.link_guardian("demo", "child-noor", "user-new")


def _activation_links(demo, how_many: int) -> list[str]:
    """The invitation's e-mail sent again `how_many` times by the admin; the links, oldest first."""
    admin = demo_login_header(demo, "admin@demo.ouderportaal.nl")
    for _ in range(how_many):
        assert demo.post("/auth/admin/users/user-new/activation", headers=admin).status_code == 202
    return [link_token(m.body, "activate") for m in sent_mail() if m.destinations["ToAddresses"] == [NEW]]


def _reset_links(demo, email: str, how_many: int) -> list[str]:
    for _ in range(how_many):
        demo.post("/auth/password/forgot", json={"organisation": DOMAIN, "email": email})
    return [link_token(m.body, "reset") for m in sent_mail()
            if m.destinations["ToAddresses"] == [email] and "/reset.html" in m.body]


def _activate(demo, token: str, password: str):
    return demo.post("/auth/activate", json={"token": token, "password": password})


def test_an_older_activation_link_is_dead_once_the_newest_one_set_the_password(demo, services):
    _invite(services)
    oldest, older, newest = _activation_links(demo, 3)
    assert _activate(demo, newest, "de-zin-van-de-eigenaar").status_code == 200
    for stale in (oldest, older):
        answer = _activate(demo, stale, "de-zin-van-een-ander")
        assert answer.status_code == 422 and answer.json["code"] == "invalid_link"
    assert login(demo, NEW, "de-zin-van-de-eigenaar").status_code == 200
    assert login(demo, NEW, "de-zin-van-een-ander").status_code == 401


def test_an_older_reset_link_is_dead_once_a_newer_one_set_the_password(demo):
    email = "parent9@demo.ouderportaal.nl"
    older, newer = _reset_links(demo, email, 2)
    assert demo.post("/auth/password/reset", json={"token": newer, "password": "de-zin-van-de-eigenaar"}
                     ).status_code == 204
    stale = demo.post("/auth/password/reset", json={"token": older, "password": "de-zin-van-een-ander"})
    assert stale.status_code == 422 and stale.json["code"] == "invalid_link"
    assert login(demo, email, "de-zin-van-de-eigenaar").status_code == 200
    assert login(demo, email, "de-zin-van-een-ander").status_code == 401


def test_changing_the_password_kills_an_outstanding_reset_link(demo):
    email = "parent10@demo.ouderportaal.nl"
    [link] = _reset_links(demo, email, 1)
    session = login(demo, email).json
    changed = demo.post("/auth/password/change", headers=bearer(session["access_token"]),
                        json={"current_password": PASSWORD, "new_password": "de-zin-van-de-eigenaar"})
    assert changed.status_code == 204
    stale = demo.post("/auth/password/reset", json={"token": link, "password": "de-zin-van-een-ander"})
    assert stale.status_code == 422 and stale.json["code"] == "invalid_link"
    assert login(demo, email, "de-zin-van-de-eigenaar").status_code == 200


def test_an_activation_link_does_nothing_to_an_account_that_is_already_active(demo, services):
    # However it came to exist (issued before the account was activated in some other way), an activation
    # link never sets the password of an active account.
    link = services["auth"].lib.tokens_store.issue_one_time("activation", "demo", "user-parent5", timedelta(hours=1))
    answer = _activate(demo, link, "de-zin-van-een-ander")
    assert answer.status_code == 422 and answer.json["code"] == "invalid_link"
    assert login(demo, "parent5@demo.ouderportaal.nl").status_code == 200


def test_two_links_used_at_the_same_moment_set_the_password_once(demo, services, monkeypatch):
    """Link B is checked, and while its new password is being hashed link A is used: only one may win."""
    _invite(services)
    link_a, link_b = _activation_links(demo, 2)
    lib = services["auth"].lib
    hash_password = lib.passwords.hash_password
    interleaved: list[object] = []

    def hash_then_let_the_other_link_win(password: str) -> str:
        if not interleaved:
            interleaved.append(None)
            interleaved[0] = lib.activation.use_link("activation", link_a, "de-zin-van-link-a")
        return hash_password(password)

    monkeypatch.setattr(lib.passwords, "hash_password", hash_then_let_the_other_link_win)
    second = _activate(demo, link_b, "de-zin-van-link-b")
    assert interleaved[0] is not None  # link A went through while B was on its way
    assert second.status_code == 422 and second.json["code"] == "invalid_link"
    assert login(demo, NEW, "de-zin-van-link-a").status_code == 200
    assert login(demo, NEW, "de-zin-van-link-b").status_code == 401


def test_activation_confirms_by_mail_and_ends_sessions_nobody_should_have(demo, services):
    _invite(services, language="en")
    [link] = _activation_links(demo, 1)
    assert _activate(demo, link, "de-zin-van-de-eigenaar").status_code == 200
    confirmation = sent_mail()[-1]
    assert confirmation.destinations["ToAddresses"] == [NEW]
    assert confirmation.subject == "Your password was changed"


def test_a_reset_ends_every_session_even_when_asked_to_keep_them(demo):
    email = "parent9@demo.ouderportaal.nl"
    session = login(demo, email).json
    [link] = _reset_links(demo, email, 1)
    reset = demo.post("/auth/password/reset", json={"token": link, "password": "de-zin-van-de-eigenaar",
                                                    "end_other_sessions": False})
    assert reset.status_code == 204
    refused = demo.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refused.status_code == 401 and refused.json["code"] == "invalid_refresh_token"


def test_a_change_ends_the_other_sessions_even_when_asked_to_keep_them(demo):
    email = "parent11@demo.ouderportaal.nl"
    here, elsewhere = login(demo, email).json, login(demo, email).json
    changed = demo.post("/auth/password/change", headers=bearer(here["access_token"]), json={
        "current_password": PASSWORD, "new_password": "de-zin-van-de-eigenaar", "end_other_sessions": False})
    assert changed.status_code == 204
    assert demo.post("/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}).status_code == 401
    kept = demo.post("/auth/refresh", json={"refresh_token": here["refresh_token"]})
    assert kept.status_code == 200
    # The kept session goes on rotating after the change.
    assert demo.post("/auth/refresh", json={"refresh_token": kept.json["refresh_token"]}).status_code == 200


def test_a_session_begun_before_a_reset_cannot_refresh_even_if_its_revocation_was_missed(demo, services,
                                                                                         monkeypatch):
    """The revocation of sessions runs through the account's index, which may lag a sign-in of a moment ago:
    the password set itself must already make every older session useless."""
    email = "parent9@demo.ouderportaal.nl"
    session = login(demo, email).json
    [link] = _reset_links(demo, email, 1)
    monkeypatch.setattr(services["auth"].lib.tokens_store, "revoke_all", lambda *args, **kwargs: 0)
    assert demo.post("/auth/password/reset", json={"token": link, "password": "de-zin-van-de-eigenaar"}
                     ).status_code == 204
    assert demo.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401


def test_a_session_ended_everywhere_is_not_revived_by_changing_the_password(demo, services, monkeypatch):
    """Its access token lives a few minutes more; a change made with it must not carry the ended session over."""
    email = "parent7@demo.ouderportaal.nl"
    session = login(demo, email).json
    monkeypatch.setattr(services["auth"].lib.tokens_store, "revoke_all", lambda *args, **kwargs: 0)  # index lag
    assert demo.post("/auth/logout-all", headers=bearer(session["access_token"])).status_code == 204
    changed = demo.post("/auth/password/change", headers=bearer(session["access_token"]),
                        json={"current_password": PASSWORD, "new_password": "de-zin-van-de-eigenaar"})
    assert changed.status_code == 204
    assert demo.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401


@pytest.mark.parametrize("email, subject, devices, feed", [
    ("parent9@demo.ouderportaal.nl", "Je wachtwoord is gewijzigd", "je andere apparaten afgemeld",
     "je agendalink werkt niet meer"),
    ("parent8@demo.ouderportaal.nl", "Your password was changed", "signed out on your other devices",
     "your calendar link no longer works"),
])
def test_the_password_changed_mail_says_what_stopped_working(demo, email, subject, devices, feed):
    [link] = _reset_links(demo, email, 1)
    assert demo.post("/auth/password/reset", json={"token": link, "password": "de-zin-van-de-eigenaar"}
                     ).status_code == 204
    mail = sent_mail()[-1]
    assert mail.destinations["ToAddresses"] == [email] and mail.subject == subject
    for text in (devices, feed):
        assert text in mail.body.lower()


@pytest.mark.parametrize("email, subject, devices, feed", [
    ("parent7@demo.ouderportaal.nl", "Je bent overal afgemeld", "op al je apparaten afgemeld",
     "je agendalink werkt niet meer"),
    ("parent3@demo.ouderportaal.nl", "You were signed out everywhere", "signed out on all your devices",
     "your calendar link no longer works"),
])
def test_logout_everywhere_is_confirmed_by_mail(demo, email, subject, devices, feed):
    session = login(demo, email).json
    assert demo.post("/auth/logout-all", headers=bearer(session["access_token"])).status_code == 204
    mail = sent_mail()[-1]
    assert mail.destinations["ToAddresses"] == [email] and mail.subject == subject
    for text in (devices, feed):
        assert text in mail.body.lower()


def test_a_mail_that_fails_never_fails_the_change_and_follows_when_the_event_is_retried(demo, services,
                                                                                        monkeypatch):
    """The confirmation is sent by auth's consumer of "auth.credentials.revoked", after the change committed:
    SES failing makes that event fail (SQS retries it), never the password change the parent just made."""
    from portal_common import consumer, mail
    from tests.bus_helpers import bus_where, nobody

    email = "parent5@demo.ouderportaal.nl"
    session = login(demo, email).json
    with bus_where(services, nobody) as published:  # the events wait in the queue, as SNS → SQS would
        changed = demo.post("/auth/password/change", headers=bearer(session["access_token"]),
                            json={"current_password": PASSWORD, "new_password": "een-nieuw-wachtwoord-van-pieter"})
    assert changed.status_code == 204
    assert login(demo, email, "een-nieuw-wachtwoord-van-pieter").status_code == 200
    [revoked] = published.of_type("auth.credentials.revoked")
    auth = services["auth"]

    def ses_down(*args, **kwargs):
        raise RuntimeError("SES unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(mail, "send", ses_down)
        assert not consumer.handle_one(auth.app.inbox, revoked, auth.app.event_handlers)  # failed: retried later
    assert not [m for m in sent_mail() if m.destinations["ToAddresses"] == [email]]
    assert login(demo, email, "een-nieuw-wachtwoord-van-pieter").status_code == 200  # the change stands
    assert consumer.handle_one(auth.app.inbox, revoked, auth.app.event_handlers)  # SQS delivers it again
    [confirmation] = [m for m in sent_mail() if m.destinations["ToAddresses"] == [email]]
    assert confirmation.subject == "Je wachtwoord is gewijzigd"
