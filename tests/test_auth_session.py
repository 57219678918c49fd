"""Sign-in through HTTP: login, tokens with their relations, refresh rotation and reuse, logout, me."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal_common import tokens
from portal_common.authz import Role
from tests.auth_helpers import DOMAIN, PASSWORD, bearer, login


@pytest.fixture
def demo(world):
    return world


def test_a_parent_signs_in_and_the_token_carries_their_children_groups_and_location(demo):
    answer = login(demo, "parent1@demo.ouderportaal.nl")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 900
    principal = tokens.get_verifier().verify(body["access_token"])
    assert principal.role is Role.PARENT and principal.tenant == "demo"
    assert principal.children == {"child-noor", "child-daan"}
    assert principal.groups == {"grp-rupsen", "grp-vlinders"}
    assert principal.locations == {"loc-zonnebloem"}


def test_staff_and_managers_carry_their_groups_and_locations(demo):
    staff = tokens.get_verifier().verify(login(demo, "staff2@demo.ouderportaal.nl").json["access_token"])
    assert staff.role is Role.STAFF and staff.groups == {"grp-vlinders"} and not staff.children
    manager = tokens.get_verifier().verify(login(demo, "manager@demo.ouderportaal.nl").json["access_token"])
    assert manager.role is Role.MANAGER and manager.locations == {"loc-zonnebloem"}


@pytest.mark.parametrize("organisation, email, password", [
    (DOMAIN, "parent1@demo.ouderportaal.nl", "wrong-password"),
    (DOMAIN, "nobody@demo.ouderportaal.nl", PASSWORD),
    ("unknown.ouderportaal.nl", "parent1@demo.ouderportaal.nl", PASSWORD),
])
def test_wrong_credentials_and_unknown_accounts_get_the_same_answer(demo, organisation, email, password):
    answer = login(demo, email, password, organisation)
    assert answer.status_code == 401
    assert answer.json["code"] == "invalid_credentials"
    assert answer.json["detail"] == "Deze combinatie van organisatie, e-mailadres en wachtwoord klopt niet."


def test_e_mail_and_domain_are_case_insensitive(demo):
    assert login(demo, " Parent3@Demo.Ouderportaal.NL ", organisation="DEMO.ouderportaal.nl").status_code == 200


@pytest.mark.parametrize("body, status", [
    ({"organisation": DOMAIN, "email": "parent1@demo.ouderportaal.nl"}, 400),
    ({"organisation": DOMAIN, "email": "parent1@demo.ouderportaal.nl", "password": PASSWORD, "admin": True}, 400),
    ({"organisation": DOMAIN, "email": 42, "password": PASSWORD}, 400),
    ({"organisation": DOMAIN, "email": "x" * 255 + "@demo.nl", "password": PASSWORD}, 422),
    ({"organisation": DOMAIN, "email": "parent1@demo.ouderportaal.nl", "password": "p" * 1025}, 422),
])
def test_malformed_sign_in_requests_get_4xx(demo, body, status):
    answer = demo.post("/auth/login", json=body)
    assert answer.status_code == status, answer.json
    assert answer.json["errors"]


def test_a_huge_body_is_refused_before_parsing(demo):
    answer = demo.post("/auth/login", data="{" + " " * 70_000 + "}", content_type="application/json")
    assert answer.status_code == 413


def test_a_form_post_is_refused_as_the_wrong_content_type(demo):
    answer = demo.post("/auth/login", data="email=a", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 415


def test_refresh_rotates_and_a_reused_token_revokes_the_whole_family(demo):
    first = login(demo, "parent4@demo.ouderportaal.nl").json
    second = demo.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    assert tokens.get_verifier().verify(second.json["access_token"]).children == {"child-yara"}
    third = demo.post("/auth/refresh", json={"refresh_token": second.json["refresh_token"]})
    assert third.status_code == 200
    # The first token is presented again: someone copied it. The family is revoked, current token too.
    reused = demo.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and reused.json["code"] == "invalid_refresh_token"
    assert demo.post("/auth/refresh", json={"refresh_token": third.json["refresh_token"]}).status_code == 401


@pytest.mark.parametrize("token", ["", "nonsense", "abc.def", "x" * 600])
def test_unknown_or_malformed_refresh_tokens_are_refused(demo, token):
    assert demo.post("/auth/refresh", json={"refresh_token": token}).status_code in (400, 401, 422)


def test_a_refresh_token_unused_for_30_days_expires(demo, clock):
    pair = login(demo, "parent5@demo.ouderportaal.nl").json
    clock.advance(timedelta(days=31))
    assert demo.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401


def test_logout_ends_that_session_only_and_logout_all_ends_every_session(demo):
    phone = login(demo, "parent7@demo.ouderportaal.nl").json
    laptop = login(demo, "parent7@demo.ouderportaal.nl").json
    tablet = login(demo, "parent7@demo.ouderportaal.nl").json
    assert demo.post("/auth/logout", json={"refresh_token": phone["refresh_token"]}).status_code == 204
    assert demo.post("/auth/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 401
    laptop2 = demo.post("/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert laptop2.status_code == 200
    assert demo.post("/auth/logout-all", headers=bearer(tablet["access_token"])).status_code == 204
    assert demo.post("/auth/refresh", json={"refresh_token": laptop2.json["refresh_token"]}).status_code == 401
    assert demo.post("/auth/refresh", json={"refresh_token": tablet["refresh_token"]}).status_code == 401
    # Logging out with an unknown token says nothing about it.
    assert demo.post("/auth/logout", json={"refresh_token": "unknown.token"}).status_code == 204


def test_an_access_token_expires_after_fifteen_minutes(demo, clock):
    pair = login(demo, "parent1@demo.ouderportaal.nl").json
    assert demo.get("/auth/me", headers=bearer(pair["access_token"])).status_code == 200
    clock.advance(timedelta(minutes=15, seconds=10))
    expired = demo.get("/auth/me", headers=bearer(pair["access_token"]))
    assert expired.status_code == 401
    assert expired.headers["Content-Type"].startswith("application/problem+json")


def test_me_shows_a_parent_their_children_with_group_location_and_missing_consents(demo):
    pair = login(demo, "parent2@demo.ouderportaal.nl").json
    me = demo.get("/auth/me", headers=bearer(pair["access_token"])).json
    assert me["role"] == "parent" and me["email"] == "parent2@demo.ouderportaal.nl"
    assert me["organisation"] == {"id": "demo", "name": "Kinderopvang Demo", "domain": DOMAIN}
    names = [(c["name"], c["group"]["name"], c["location"]["name"]) for c in me["children"]]
    assert names == [("Daan de Vries", "Vlinders", "Kindcentrum De Zonnebloem"),
                     ("Noor de Vries", "Rupsen", "Kindcentrum De Zonnebloem")]
    assert all(c["consents_needed"] for c in me["children"])
    assert me["children"][0]["consents"] == {"photos": None, "diary": None, "outings": None}


def test_me_shows_staff_their_groups_and_no_children(demo):
    pair = login(demo, "staff1@demo.ouderportaal.nl").json
    me = demo.get("/auth/me", headers=bearer(pair["access_token"])).json
    assert me["role"] == "staff" and me["children"] == []
    assert me["groups"] == [{"id": "grp-rupsen", "name": "Rupsen"}]


def test_me_in_english_for_a_parent_who_chose_english(demo):
    pair = login(demo, "parent3@demo.ouderportaal.nl").json
    assert demo.get("/auth/me", headers=bearer(pair["access_token"])).json["language"] == "en"
    # Problems follow the token's language when the request names none.
    wrong = demo.post("/auth/password/change", headers=bearer(pair["access_token"]),
                      json={"current_password": "nope", "new_password": "a-fine-new-passphrase"})
    assert wrong.status_code == 422 and wrong.json["title"] == "Unprocessable request"


def test_self_routes_reach_only_the_callers_own_account_in_their_own_tenant(demo, tokens):
    """A token for another tenant, even with a user id that exists in the demo tenant, reaches nothing here."""
    other_tenant = tokens.header(tenant="other", user_id="user-parent1", role="parent")
    assert demo.get("/auth/me", headers=other_tenant).status_code == 401
    change = demo.post("/auth/password/change", headers=other_tenant,
                       json={"current_password": PASSWORD, "new_password": "een-nieuwe-lange-zin"})
    assert change.status_code == 401
    assert demo.post("/auth/logout-all", headers=other_tenant).status_code == 204  # revokes nothing of demo's
    own = login(demo, "parent1@demo.ouderportaal.nl").json
    assert demo.post("/auth/refresh", json={"refresh_token": own["refresh_token"]}).status_code == 200
    # Another family's parent sees only their own children.
    parent4 = demo.get("/auth/me", headers=bearer(login(demo, "parent4@demo.ouderportaal.nl").json["access_token"]))
    assert [c["id"] for c in parent4.json["children"]] == ["child-yara"]


@pytest.mark.parametrize("header", [
    "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not.a.jwt", "Bearer " + "a" * 9000,
])
def test_missing_or_broken_authorization_headers_get_401(demo, header):
    answer = demo.get("/auth/me", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert answer.json["code"] == "unauthorized"


def test_sign_in_refresh_and_me_cost_a_few_dynamodb_calls_and_never_a_scan(demo):
    from portal_common.testing.calls import count_calls, total

    with count_calls() as on_login:
        pair = login(demo, "parent1@demo.ouderportaal.nl").json
    with count_calls() as on_refresh:
        pair = demo.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json
    with count_calls() as on_me:
        assert demo.get("/auth/me", headers=bearer(pair["access_token"])).status_code == 200
    assert total(on_login, "dynamodb") <= 5
    assert total(on_refresh, "dynamodb") <= 4
    assert total(on_me, "dynamodb") <= 6
    assert not any("Scan" in name for calls in (on_login, on_refresh, on_me) for name in calls)


def test_one_e_mail_address_holds_separate_accounts_in_two_organisations(demo, services):
    from tests.auth_helpers import seed_other_tenant

    directory = services["auth"].module.directory
    activation = services["auth"].lib.activation
    seed_other_tenant(directory)
    directory.create_user("other", "user-sanne", email="parent1@demo.ouderportaal.nl", name="Sanne de Vries",
                          role="parent")
    directory.link_guardian("other", "child-noor", "user-sanne")
    link = services["auth"].lib.tokens_store.issue_one_time("activation", "other", "user-sanne", timedelta(hours=1))
    assert activation.use_link("activation", link, "tweede-organisatie-wachtwoord")
    demo_pair = login(demo, "parent1@demo.ouderportaal.nl")
    other_pair = login(demo, "parent1@demo.ouderportaal.nl", "tweede-organisatie-wachtwoord", "other.ouderportaal.nl")
    assert tokens.get_verifier().verify(demo_pair.json["access_token"]).tenant == "demo"
    other = tokens.get_verifier().verify(other_pair.json["access_token"])
    assert other.tenant == "other" and other.children == {"child-noor"}
    # Separate credentials: each password opens only its own organisation.
    assert login(demo, "parent1@demo.ouderportaal.nl", "tweede-organisatie-wachtwoord").status_code == 401
    assert login(demo, "parent1@demo.ouderportaal.nl", PASSWORD, "other.ouderportaal.nl").status_code == 401
    me = demo.get("/auth/me", headers=bearer(other_pair.json["access_token"])).json
    assert me["organisation"]["domain"] == "other.ouderportaal.nl" and me["children"][0]["name"] == "Noor Anders"


def test_two_refreshes_of_one_token_at_the_same_moment_revoke_the_whole_family(demo, services, monkeypatch):
    """The second refresh reads the session, then the first one rotates the token before the second writes:
    the second is a reuse (someone holds a copy), so the token the first one got must stop working too."""
    tokens_store = services["auth"].lib.tokens_store
    pair = login(demo, "parent5@demo.ouderportaal.nl").json
    live = tokens_store.live
    winner: list[str] = []

    def live_while_another_refresh_wins(session):
        if not winner:  # between this refresh's read and its write, the same token is refreshed elsewhere
            winner.append("")
            winner[0] = tokens_store.rotate(pair["refresh_token"])[1]
        return live(session)

    monkeypatch.setattr(tokens_store, "live", live_while_another_refresh_wins)
    loser = demo.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert winner and loser.status_code == 401 and loser.json["code"] == "invalid_refresh_token"
    monkeypatch.setattr(tokens_store, "live", live)
    later = demo.post("/auth/refresh", json={"refresh_token": winner[0]})
    assert later.status_code == 401 and later.json["code"] == "invalid_refresh_token"
