"""The security review's findings, replayed through HTTP on the real local stack (`python -m infra.local`).

Each test works on data of its own (a family the admin creates for it, its own source address on the
loopback network), so the demo and the other tests are not disturbed. The findings are numbered as in the
review; docs/security.md lists what each protects.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.e2e.helpers import DOMAIN, PASSWORD, Client, eventually, link_token, mails_to, new_family, new_mail

pytestmark = pytest.mark.e2e


@pytest.fixture
def base(stack) -> str:
    return str(stack.base_url)


@pytest.fixture
def client(base) -> Client:
    with Client(base) as session:
        yield session


@pytest.fixture
def admin(client) -> dict[str, str]:
    return client.bearer("admin@demo.ouderportaal.nl")


# -- finding 1: old one-time links outlive a password change --------------------------------------------
def test_an_older_activation_link_dies_when_the_newest_one_is_used(client, admin):
    tag = uuid.uuid4().hex[:8]
    email = f"uitgenodigd-{tag}@example.nl"
    guardian = client.call("POST", "/auth/admin/guardians", headers=admin, json={
        "name": f"Ouder {tag}", "email": email, "language": "nl", "child_ids": ["child-sem"]})
    assert guardian.status_code == 201, guardian.text
    links = []
    for n in range(2):
        assert client.call("POST", f"/auth/admin/users/{guardian.json()['id']}/activation",
                           headers=admin).status_code == 202
        links.append(link_token(new_mail(client, email, n, "ctiveer"), "activate"))
    assert client.call("POST", "/auth/activate", json={"token": links[1], "password": "de-eigenaar-kiest"}
                       ).status_code == 200
    older = client.call("POST", "/auth/activate", json={"token": links[0], "password": "de-aanvaller-kiest"})
    assert older.status_code == 422 and older.json()["code"] == "invalid_link"
    assert client.login(email, "de-eigenaar-kiest").status_code == 200
    assert client.login(email, "de-aanvaller-kiest").status_code == 401
    new_mail(client, email, 2, "wachtwoord is gewijzigd")


def test_an_older_reset_link_dies_when_a_newer_one_is_used_and_other_sessions_end(client, admin):
    family = new_family(client, admin)
    email = family["email"]
    other_device = client.login(email).json()["refresh_token"]
    seen = len(mails_to(client, email))
    links = []
    for n in range(2):
        assert client.call("POST", "/auth/password/forgot", json={"organisation": DOMAIN, "email": email}
                           ).status_code == 202
        links.append(link_token(new_mail(client, email, seen + n, "Nieuw wachtwoord"), "reset"))
    assert client.call("POST", "/auth/password/reset", json={"token": links[1], "password": "nieuw-en-van-mij"}
                       ).status_code == 204
    older = client.call("POST", "/auth/password/reset", json={"token": links[0], "password": "van-de-aanvaller"})
    assert older.status_code == 422 and older.json()["code"] == "invalid_link"
    assert client.login(email, "van-de-aanvaller").status_code == 401
    assert client.login(email, "nieuw-en-van-mij").status_code == 200
    ended = client.call("POST", "/auth/refresh", json={"refresh_token": other_device})
    assert ended.status_code == 401 and ended.json()["code"] == "invalid_refresh_token"
    new_mail(client, email, seen + 2, "wachtwoord is gewijzigd")


# -- finding 2: a moved child's old group in the new group's feed ------------------------------------------
def test_after_a_move_the_new_groups_staff_see_nothing_of_the_old_group(client, admin):
    family = new_family(client, admin, "grp-rupsen")
    child_id, parent = family["child_id"], client.bearer(family["email"])
    consents = client.call("PUT", f"/auth/children/{child_id}/consents", headers=parent,
                           json={"photos": True, "diary": True, "outings": True})
    assert consents.status_code == 200, consents.text
    staff1 = client.bearer("staff1@demo.ouderportaal.nl")
    from tests.e2e.test_local_stack_uploads import _settled, _upload

    def published_photo() -> str | None:
        state = _settled(client.base, staff1, _upload(client.base, staff1, [child_id, "child-yara"]))
        return state["photo_id"] if state["status"] == "published" else None
    photo_id = eventually(published_photo, "a Rupsen photo of the new child with Yara")
    report = client.call("POST", "/timeline/diary", headers=staff1, json={
        "child_id": child_id, "date": family["today"], "text": "Een dag bij de Rupsen."})
    assert report.status_code == 201, report.text

    moved = client.call("POST", f"/auth/admin/children/{child_id}/placements", headers=admin,
                        json={"group_id": "grp-bijen", "start": family["today"]})
    assert moved.status_code == 201, moved.text
    staff3 = client.bearer("staff3@demo.ouderportaal.nl")

    def feed_of_staff3() -> dict[str, Any] | None:
        answer = client.call("GET", f"/timeline/feed?child_id={child_id}&limit=50", headers=staff3)
        return answer.json() if answer.status_code == 200 else None
    feed = eventually(feed_of_staff3, "the timeline learning of the move")
    assert {item["id"] for item in feed["items"]}.isdisjoint({photo_id, report.json()["id"]})
    assert client.call("GET", f"/timeline/photos/{photo_id}", headers=staff3).status_code == 404
    assert client.call("GET", f"/timeline/diary/{report.json()['id']}", headers=staff3).status_code == 404
    # The old group's staff no longer reach the child; the parent still sees everything of their own child.
    assert client.call("GET", f"/timeline/feed?child_id={child_id}", headers=staff1).status_code == 404
    mine = client.call("GET", f"/timeline/feed?child_id={child_id}&limit=50", headers=parent).json()
    assert {photo_id, report.json()["id"]} <= {item["id"] for item in mine["items"]}


# -- finding 3: a separator in an id -----------------------------------------------------------------------
def test_an_id_with_a_separator_is_refused_before_any_key_is_built(client):
    sanne = client.bearer("parent1@demo.ouderportaal.nl")
    calendar = client.call("GET", "/planning/calendar?from=2026-12-01&to=2026-12-07&child_id=a%23b", headers=sanne)
    assert calendar.status_code == 422 and calendar.json()["code"] == "validation_error"
    for path in ("/timeline/photos/a%23b", "/planning/swap-hours?child_id=x%23y", "/messaging/conversations/c%23d"):
        answer = client.call("GET", path, headers=sanne)
        assert answer.status_code in (404, 422) and answer.status_code < 500, (path, answer.text)
        assert answer.headers["Content-Type"].startswith("application/problem+json")


# -- findings 4 and 5: account recovery reveals nothing and blocks nobody ------------------------------------
def test_forgot_password_answers_alike_and_mails_only_known_accounts_afterwards(client, admin):
    family = new_family(client, admin)
    seen = len(mails_to(client, family["email"]))
    answers = [client.call("POST", "/auth/password/forgot", json={"organisation": DOMAIN, "email": email})
               for email in (family["email"], f"niemand-{uuid.uuid4().hex[:6]}@example.nl")]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    new_mail(client, family["email"], seen, "Nieuw wachtwoord")


def test_many_recovery_requests_from_one_address_do_not_block_a_valid_link_from_it(client, admin):
    tag = uuid.uuid4().hex[:8]
    email = f"geblokkeerd-{tag}@example.nl"
    guardian = client.call("POST", "/auth/admin/guardians", headers=admin, json={
        "name": f"Ouder {tag}", "email": email, "language": "nl", "child_ids": ["child-sem"]})
    assert client.call("POST", f"/auth/admin/users/{guardian.json()['id']}/activation",
                       headers=admin).status_code == 202
    link = link_token(new_mail(client, email, 0, "ctiveer"), "activate")
    for n in range(12):
        assert client.call("POST", "/auth/password/forgot", json={
            "organisation": DOMAIN, "email": f"iemand-{n}@example.nl"}).status_code == 202
    activated = client.call("POST", "/auth/activate", json={"token": link, "password": "toch-gewoon-welkom"})
    assert activated.status_code == 200, activated.text
    # Guessing links from one address is what gets slowed down, and only that.
    guesses = [client.call("POST", "/auth/activate", json={"token": f"geraden-{n}-{tag}", "password": "x" * 12})
               for n in range(12)]
    assert guesses[0].status_code == 422 and guesses[-1].status_code == 429


# -- finding 7: the secret calendar feed dies with the credentials --------------------------------------------
@pytest.mark.parametrize("how", ["reset", "change", "logout_all"])
def test_the_calendar_feed_url_stops_working_when_the_credentials_change(client, admin, how):
    family = new_family(client, admin)
    email, parent = family["email"], client.bearer(family["email"])
    feed_url = eventually(lambda: (client.call("POST", "/planning/calendar-feed", headers=parent).json()
                                    .get("url")), "a calendar feed for the new guardian")
    assert requests.get(feed_url, timeout=15).status_code == 200
    seen = len(mails_to(client, email))
    if how == "reset":
        assert client.call("POST", "/auth/password/forgot", json={"organisation": DOMAIN, "email": email}
                           ).status_code == 202
        token = link_token(new_mail(client, email, seen, "Nieuw wachtwoord"), "reset")
        assert client.call("POST", "/auth/password/reset", json={"token": token, "password": "een-nieuw-begin"}
                           ).status_code == 204
        seen += 1
    elif how == "change":
        assert client.call("POST", "/auth/password/change", headers=parent, json={
            "current_password": PASSWORD, "new_password": "een-nieuw-begin"}).status_code == 204
    else:
        assert client.call("POST", "/auth/logout-all", headers=parent).status_code == 204
    eventually(lambda: requests.get(feed_url, timeout=15).status_code == 404, "the old feed URL answering 404")
    notice = new_mail(client, email, seen, "")
    assert "agenda" in notice["text"].lower() or "kalender" in notice["text"].lower(), notice["text"]
