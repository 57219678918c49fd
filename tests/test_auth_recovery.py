"""Activation, password reset and change, throttling, and no user enumeration, through HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.auth_helpers import DOMAIN, PASSWORD, bearer, link_token, login, sent_mail


@pytest.fixture
def demo(world):
    return world


def _invite(services, email="nieuw@demo.ouderportaal.nl", language="nl"):
    """An invited parent of Noor (the admin API's guardian creation does the same)."""
    auth = services["auth"]
    auth.module.directory.create_user("demo", "user-new", email=email, name="Nieuwe Ouder", role="parent",
                                      language=language)
    auth.module.directory.link_guardian("demo", "child-noor", "user-new")
    return auth


def test_an_invited_parent_activates_from_the_e_mail_link_and_signs_in(demo, services, clock):
    auth = _invite(services, language="en")
    activation = auth.lib.activation
    activation.schedule("demo", "user-new", clock.now() + timedelta(days=3))
    assert activation.send_due() == 0 and sent_mail() == []  # not due yet
    assert login(demo, "nieuw@demo.ouderportaal.nl", "whatever-it-is").status_code == 401
    clock.advance(timedelta(days=3, minutes=1))
    assert activation.send_due() == 1
    assert activation.send_due() == 0  # sent once, also when the schedule runs again
    [message] = sent_mail()
    assert message.destinations["ToAddresses"] == ["nieuw@demo.ouderportaal.nl"]
    assert "Activate your account" in message.subject
    token = link_token(message.body, "activate")
    activated = demo.post("/auth/activate", json={"token": token, "password": "lange-zin-met-woorden"})
    assert activated.status_code == 200 and activated.json == {
        "status": "active", "email": "nieuw@demo.ouderportaal.nl", "organisation": DOMAIN}
    signed_in = login(demo, "nieuw@demo.ouderportaal.nl", "lange-zin-met-woorden")
    assert signed_in.status_code == 200
    me = demo.get("/auth/me", headers=bearer(signed_in.json["access_token"])).json
    assert [c["name"] for c in me["children"]] == ["Noor de Vries"]
    # The link works once.
    again = demo.post("/auth/activate", json={"token": token, "password": "nog-een-lange-zin"})
    assert again.status_code == 422 and again.json["code"] == "invalid_link"


def test_an_activation_link_expires_after_72_hours(demo, services, clock):
    auth = _invite(services)
    assert auth.lib.activation.send_activation("demo", "user-new")
    token = link_token(sent_mail()[-1].body, "activate")
    clock.advance(timedelta(hours=72, minutes=1))
    late = demo.post("/auth/activate", json={"token": token, "password": "lange-zin-met-woorden"})
    assert late.status_code == 422 and late.json["code"] == "invalid_link"


@pytest.mark.parametrize("password, code", [
    ("kort", "validation_error"),              # under 8 characters
    ("x" * 129, "validation_error"),           # over the maximum
    ("welkom01", "password_too_common"),       # in the list of 30,000 common passwords
    ("Password1", "password_too_common"),
])
def test_weak_or_overlong_passwords_are_refused_and_the_link_stays_usable(demo, services, password, code):
    auth = _invite(services)
    auth.lib.activation.send_activation("demo", "user-new")
    token = link_token(sent_mail()[-1].body, "activate")
    refused = demo.post("/auth/activate", json={"token": token, "password": password})
    assert refused.status_code == 422 and refused.json["code"] == code
    assert demo.post("/auth/activate", json={"token": token, "password": "een-goede-lange-zin"}).status_code == 200


def test_a_64_character_passphrase_is_accepted(demo, services):
    auth = _invite(services)
    auth.lib.activation.send_activation("demo", "user-new")
    token = link_token(sent_mail()[-1].body, "activate")
    assert demo.post("/auth/activate", json={"token": token, "password": "ä" * 64}).status_code == 200


def test_forgot_password_answers_the_same_for_unknown_accounts_and_sends_mail_only_to_real_ones(demo):
    known = demo.post("/auth/password/forgot", json={"organisation": DOMAIN, "email": "parent8@demo.ouderportaal.nl"})
    unknown = demo.post("/auth/password/forgot", json={"organisation": DOMAIN, "email": "nobody@example.org"})
    no_org = demo.post("/auth/password/forgot", json={"organisation": "x.nl", "email": "parent8@demo.ouderportaal.nl"})
    assert known.status_code == unknown.status_code == no_org.status_code == 202
    assert known.json == unknown.json == no_org.json
    messages = sent_mail()
    assert [m.destinations["ToAddresses"] for m in messages] == [["parent8@demo.ouderportaal.nl"]]
    assert "New password" in messages[0].subject  # parent8 reads English


def test_a_reset_link_sets_a_new_password_once_ends_other_sessions_and_confirms_by_mail(demo, clock):
    old_session = login(demo, "parent9@demo.ouderportaal.nl").json
    demo.post("/auth/password/forgot", json={"organisation": DOMAIN, "email": "parent9@demo.ouderportaal.nl"})
    token = link_token(sent_mail()[-1].body, "reset")
    reset = demo.post("/auth/password/reset", json={"token": token, "password": "nieuw-en-lang-genoeg"})
    assert reset.status_code == 204
    assert login(demo, "parent9@demo.ouderportaal.nl").status_code == 401
    assert login(demo, "parent9@demo.ouderportaal.nl", "nieuw-en-lang-genoeg").status_code == 200
    assert demo.post("/auth/refresh", json={"refresh_token": old_session["refresh_token"]}).status_code == 401
    assert "gewijzigd" in sent_mail()[-1].subject
    reused = demo.post("/auth/password/reset", json={"token": token, "password": "nog-een-andere-zin"})
    assert reused.status_code == 422


def test_a_reset_link_expires_after_60_minutes(demo, clock):
    demo.post("/auth/password/forgot", json={"organisation": DOMAIN, "email": "parent10@demo.ouderportaal.nl"})
    token = link_token(sent_mail()[-1].body, "reset")
    clock.advance(timedelta(minutes=61))
    late = demo.post("/auth/password/reset", json={"token": token, "password": "nieuw-en-lang-genoeg"})
    assert late.status_code == 422
    assert login(demo, "parent10@demo.ouderportaal.nl").status_code == 200


def test_an_activation_token_is_not_a_reset_token(demo, services):
    auth = _invite(services)
    auth.lib.activation.send_activation("demo", "user-new")
    token = link_token(sent_mail()[-1].body, "activate")
    late = demo.post("/auth/password/reset", json={"token": token, "password": "nieuw-en-lang-genoeg"})
    assert late.status_code == 422


def test_changing_the_password_keeps_this_session_and_ends_the_others(demo):
    here = login(demo, "parent11@demo.ouderportaal.nl").json
    elsewhere = login(demo, "parent11@demo.ouderportaal.nl").json
    changed = demo.post("/auth/password/change", headers=bearer(here["access_token"]),
                        json={"current_password": PASSWORD, "new_password": "een-nieuwe-lange-zin"})
    assert changed.status_code == 204
    assert demo.post("/auth/refresh", json={"refresh_token": here["refresh_token"]}).status_code == 200
    assert demo.post("/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}).status_code == 401
    assert login(demo, "parent11@demo.ouderportaal.nl", "een-nieuwe-lange-zin").status_code == 200


def test_resending_activation_reveals_nothing_and_mails_only_invited_accounts(demo, services):
    _invite(services)
    answers = [demo.post("/auth/activation/resend", json={"organisation": DOMAIN, "email": e})
               for e in ("nieuw@demo.ouderportaal.nl", "parent1@demo.ouderportaal.nl", "nobody@x.nl")]
    assert {a.status_code for a in answers} == {202} and len({str(a.json) for a in answers}) == 1
    assert [m.destinations["ToAddresses"] for m in sent_mail()] == [["nieuw@demo.ouderportaal.nl"]]


def test_repeated_failures_from_one_address_are_throttled_with_retry_after(demo):
    for _ in range(5):
        assert login(demo, "parent12@demo.ouderportaal.nl", "wrong-guess", ip="203.0.113.9").status_code == 401
    throttled = login(demo, "parent12@demo.ouderportaal.nl", PASSWORD, ip="203.0.113.9")
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= 900
    # The real parent, on their own connection, is not locked out.
    assert login(demo, "parent12@demo.ouderportaal.nl", ip="192.0.2.44").status_code == 200


def test_a_distributed_attack_cannot_lock_the_real_user_out(demo):
    for n in range(25):  # 25 attacking addresses, one or two guesses each
        login(demo, "parent6@demo.ouderportaal.nl", "guess", ip=f"203.0.113.{n}")
    # Under attack, an address that has failed on this account is held back…
    assert login(demo, "parent6@demo.ouderportaal.nl", "guess-2", ip="203.0.113.3").status_code == 429
    # …while the parent, from an address that never failed, still signs in.
    assert login(demo, "parent6@demo.ouderportaal.nl", ip="192.0.2.10").status_code == 200


def test_throttling_is_the_same_for_unknown_accounts(demo):
    for _ in range(5):
        login(demo, "ghost@demo.ouderportaal.nl", "guess", ip="203.0.113.50")
    assert login(demo, "ghost@demo.ouderportaal.nl", "guess", ip="203.0.113.50").status_code == 429


def test_the_throttle_window_passes(demo, clock):
    for _ in range(5):
        login(demo, "parent12@demo.ouderportaal.nl", "wrong-guess", ip="203.0.113.77")
    assert login(demo, "parent12@demo.ouderportaal.nl", ip="203.0.113.77").status_code == 429
    clock.advance(timedelta(minutes=16))
    assert login(demo, "parent12@demo.ouderportaal.nl", ip="203.0.113.77").status_code == 200
