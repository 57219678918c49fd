"""Forgot-password and resend-activation reveal nothing by their work; link uses and recovery requests are
throttled apart, and a valid link is never throttled. Through HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal_common import consumer
from portal_common.testing.calls import count_calls, total
from tests.auth_helpers import DOMAIN, link_token, login, sent_mail
from tests.bus_helpers import bus_where, nobody

MAIL_REQUESTED = "auth.account_mail.requested"
NEW = "nieuw@demo.ouderportaal.nl"


@pytest.fixture
def demo(world):
    return world


def _invite(services):
    directory = services["auth"].module.directory
    directory.create_user("demo", "user-new", email=NEW, name="Nieuwe Ouder", role="parent")
    directory.link_guardian("demo", "child-noor", "user-new")


def _ask(demo, route: str, email: str, organisation: str = DOMAIN, ip: str = "198.51.100.20"):
    return demo.post(f"/auth/{route}", json={"organisation": organisation, "email": email},
                     environ_overrides={"REMOTE_ADDR": ip})


ASKED = [  # (organisation, e-mail): an active account, an invited one, an unknown address, an unknown domain
    (DOMAIN, "parent8@demo.ouderportaal.nl"), (DOMAIN, NEW), (DOMAIN, "nobody@example.org"),
    ("unknown.example.nl", "parent8@demo.ouderportaal.nl"),
]


@pytest.mark.parametrize("route", ["password/forgot", "activation/resend"])
def test_the_request_does_the_same_work_for_every_address_and_mails_nothing_itself(demo, services, route):
    _invite(services)
    auth = services["auth"]
    with bus_where(services, nobody) as held:
        work = []
        for number, (organisation, email) in enumerate(ASKED):
            with count_calls() as calls:
                answer = _ask(demo, route, email, organisation, ip=f"198.51.100.{30 + number}")
            assert answer.status_code == 202 and answer.json == {"status": "accepted"}
            work.append(calls)
    assert sent_mail() == []  # nothing on the request path
    assert all(total(calls, "ses") == 0 for calls in work)
    assert all(calls == work[0] for calls in work), work  # the same calls, as many of each
    assert total(work[0], "dynamodb") <= 7
    requested = held.of_type(MAIL_REQUESTED)
    assert len(requested) == len(held.published) == len(ASKED)  # exactly one event each, and nothing else
    assert all("token" not in str(env.payload) for env in requested)  # the link is made by the consumer
    assert [env.payload["email"] for env in requested] == [email for _, email in ASKED]
    # Auth's consumer then mails the real accounts only.
    for env in requested:
        assert consumer.handle_one(auth.app.inbox, env, auth.app.event_handlers)
    mailed = [m.destinations["ToAddresses"] for m in sent_mail()]
    expected = ([["parent8@demo.ouderportaal.nl"], [NEW]] if route == "password/forgot" else [[NEW]])
    assert mailed == expected


def test_a_mailed_link_works_and_a_redelivered_request_mails_once(demo, services, bus):
    assert _ask(demo, "password/forgot", " Parent8@Demo.Ouderportaal.NL ").status_code == 202
    [env] = bus.of_type(MAIL_REQUESTED)
    assert env.tenant == "demo" and env.payload == {"kind": "reset", "organisation": DOMAIN,
                                                    "email": "parent8@demo.ouderportaal.nl"}
    auth = services["auth"]
    assert consumer.handle_one(auth.app.inbox, env, auth.app.event_handlers)  # SQS delivers it again
    [mail] = sent_mail()
    token = link_token(mail.body, "reset")
    assert demo.post("/auth/password/reset", json={"token": token, "password": "een-lange-nieuwe-zin"}
                     ).status_code == 204


def test_a_request_for_an_unknown_organisation_names_no_tenant(demo, bus):
    assert _ask(demo, "password/forgot", "parent8@demo.ouderportaal.nl", "unknown.example.nl").status_code == 202
    [env] = bus.of_type(MAIL_REQUESTED)
    assert env.tenant == "_unknown" and sent_mail() == []


def test_many_recovery_requests_from_an_address_do_not_stop_a_valid_link_from_it(demo, services):
    _invite(services)
    services["auth"].lib.activation.send_activation("demo", "user-new")
    activation_link = link_token(sent_mail()[-1].body, "activate")
    crowded = "203.0.113.80"  # one address for a whole household, a school, a mobile carrier
    for number in range(12):
        assert _ask(demo, "password/forgot", f"someone{number}@example.org", ip=crowded).status_code == 202
    activated = demo.post("/auth/activate", json={"token": activation_link, "password": "een-lange-nieuwe-zin"},
                          environ_overrides={"REMOTE_ADDR": crowded})
    assert activated.status_code == 200, activated.json
    assert login(demo, NEW, "een-lange-nieuwe-zin").status_code == 200


def test_an_address_presenting_invalid_links_is_slowed_but_its_valid_link_still_works(demo, services, clock):
    _invite(services)
    services["auth"].lib.activation.send_activation("demo", "user-new")
    valid = link_token(sent_mail()[-1].body, "activate")
    guesser = "203.0.113.90"

    def activate(token: str, ip: str = guesser):
        return demo.post("/auth/activate", json={"token": token, "password": "een-lange-nieuwe-zin"},
                         environ_overrides={"REMOTE_ADDR": ip})

    for number in range(10):
        answer = activate(f"guess-{number}")
        assert answer.status_code == 422 and answer.json["code"] == "invalid_link"
    throttled = activate("guess-10")
    assert throttled.status_code == 429 and 0 < int(throttled.headers["Retry-After"]) <= 900
    # Another address is not held back, and reset links are counted apart from activation links.
    assert activate("guess-11", ip="192.0.2.91").status_code == 422
    reset = demo.post("/auth/password/reset", json={"token": "guess-12", "password": "een-lange-nieuwe-zin"},
                      environ_overrides={"REMOTE_ADDR": guesser})
    assert reset.status_code == 422 and reset.json["code"] == "invalid_link"
    # A valid link is always honoured, also from the address that kept guessing.
    assert activate(valid).status_code == 200
    clock.advance(timedelta(minutes=16))
    assert activate("guess-13").status_code == 422  # the window passed
