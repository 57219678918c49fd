"""News and newsletters: written by managers (their location) and admins (any location, the organisation),
read by the guardians and staff of the location, scheduled, pinned, paged; with attachments.

Demo: Sanne (parent1, Noor in Rupsen) and Ilse (staff1, Rupsen) belong to loc-zonnebloem, which Marieke
manages. `seed_second_location` adds loc-elders (Egeltjes, Eef) with its own manager (manager2); a parent
there is a minted token. The clock stands on Tuesday 24 November 2026, 09:00 (08:00 UTC).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from portal_common.testing.calls import count_calls, total
from tests.auth_helpers import demo_login_header, run_schedule, seed_second_location
from tests.test_messaging_attachments import PDF, fetch, stored_keys, upload

NEWS = "/messaging/news"
PUBLISHED = "messaging.publication.published"


def login(world, who: str) -> dict[str, str]:
    return demo_login_header(world, f"{who}@demo.ouderportaal.nl")


@pytest.fixture
def elders(world, services, tokens):
    """A second location; returns a parent there (a minted token)."""
    seed_second_location(services["auth"].module.directory)
    return tokens.header(role="parent", user_id="user-eef-parent", children=("child-elders",),
                         groups=("grp-elders",), locations=("loc-elders",))


def post(world, headers, path=NEWS, **fields):
    body = {"title": "Sint komt op bezoek", "body": "Vrijdag komt de Sint langs bij alle groepen.", **fields}
    return world.post(path, headers=headers, json=body)


def publish(world, headers, path=NEWS, **fields) -> dict:
    answer = post(world, headers, path, **fields)
    assert answer.status_code == 201, answer.json
    return answer.json


def listed(world, headers, path=NEWS, query="") -> list[str]:
    answer = world.get(f"{path}{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    return [item["id"] for item in answer.json["items"]]


def test_a_managers_news_with_a_pdf_reaches_the_locations_parents_only(world, parent, staff, elders, bus, services,
                                                                       clock):
    manager = login(world, "manager")
    pdf = upload(world, manager, file_name="Sinterklaasbrief.pdf")
    item = publish(world, manager, location_id="loc-zonnebloem", attachment_ids=[pdf])
    assert (item["status"], item["location_id"], item["pinned"]) == ("published", "loc-zonnebloem", False)
    assert item["published_at"] == "2026-11-24T09:00:00+01:00"
    [entry] = world.get(NEWS, headers=parent).json["items"]
    assert entry == {"id": item["id"], "title": "Sint komt op bezoek", "published_at": "2026-11-24T09:00:00+01:00",
                     "attachments": [{"id": pdf, "file_name": "Sinterklaasbrief.pdf",
                                      "content_type": "application/pdf", "size": len(PDF)}],
                     "location_id": "loc-zonnebloem", "pinned": False,
                     "excerpt": "Vrijdag komt de Sint langs bij alle groepen."}
    assert fetch(world, parent, pdf).content == PDF  # the paperclip opens
    assert world.get(f"{NEWS}/{item['id']}", headers=parent).json["body"] == item["body"]
    assert listed(world, staff) == [item["id"]]
    assert listed(world, parent, query="?location_id=loc-zonnebloem") == [item["id"]]
    # Another location's parent sees nothing of it, not even that it exists.
    assert listed(world, elders) == []
    assert world.get(f"{NEWS}/{item['id']}", headers=elders).status_code == 404
    assert world.get(f"/messaging/attachments/{pdf}", headers=elders).status_code == 404
    assert world.get(f"{NEWS}?location_id=loc-zonnebloem", headers=elders).status_code == 404
    [event] = bus.of_type(PUBLISHED)
    assert event.payload == {"publication_id": item["id"], "kind": "news", "title": "Sint komt op bezoek",
                             "location_id": "loc-zonnebloem", "published_at": "2026-11-24T09:00:00+01:00"}
    # Attached, it no longer expires like an unused upload.
    assert services["messaging"].lib.attachments.store.get("demo", pdf).expires_at is None
    clock.advance(timedelta(days=3))
    assert run_schedule(services["messaging"].module.expire_attachments) == 0
    assert fetch(world, login(world, "parent1"), pdf).content == PDF


def test_organisation_news_by_an_admin_reaches_everyone_and_a_manager_may_not_write_it(world, parent, staff,
                                                                                      elders, bus):
    admin, manager = login(world, "admin"), login(world, "manager")
    item = publish(world, admin)
    assert item["location_id"] is None
    for reader in (parent, staff, elders, manager, admin):
        assert listed(world, reader) == [item["id"]]
        assert world.get(f"{NEWS}/{item['id']}", headers=reader).status_code == 200
    refused = post(world, manager)
    assert refused.status_code == 403
    assert world.put(f"{NEWS}/{item['id']}", headers=manager, json={"title": "x", "body": "y"}).status_code == 403
    assert world.delete(f"{NEWS}/{item['id']}", headers=manager).status_code == 403
    assert [e.payload["location_id"] for e in bus.of_type(PUBLISHED)] == [None]
    elders_item = publish(world, admin, location_id="loc-elders")  # an admin writes for any location
    assert listed(world, elders) == [elders_item["id"], item["id"]]
    assert listed(world, parent) == [item["id"]]
    assert listed(world, admin) == [elders_item["id"], item["id"]]


def test_scheduled_news_stays_hidden_until_its_moment_and_is_announced_once(world, services, clock, bus):
    manager = login(world, "manager")
    item = publish(world, manager, location_id="loc-zonnebloem", publish_at="2026-11-24T11:30:00+01:00")
    assert item["status"] == "scheduled" and item["published_at"] == "2026-11-24T11:30:00+01:00"
    parent = login(world, "parent1")
    assert listed(world, parent) == []
    assert world.get(f"{NEWS}/{item['id']}", headers=parent).status_code == 404
    assert world.get(f"{NEWS}/{item['id']}", headers=manager).json["status"] == "scheduled"  # its writer sees it
    publish_due = services["messaging"].module.publish_due
    assert run_schedule(publish_due) == 0 and bus.of_type(PUBLISHED) == []
    clock.advance(timedelta(hours=2, minutes=30))
    parent = login(world, "parent1")
    assert listed(world, parent) == [item["id"]]  # visible at its moment, whenever the job runs
    assert run_schedule(publish_due) == 1
    assert run_schedule(publish_due) == 0  # a second run (or an overlapping one) announces nothing again
    assert [e.payload["publication_id"] for e in bus.of_type(PUBLISHED)] == [item["id"]]
    assert world.get(f"{NEWS}/{item['id']}", headers=parent).json["status"] == "published"


def test_a_scheduled_item_moved_or_published_by_an_edit_is_announced_once(world, services, clock, bus):
    manager = login(world, "manager")
    item = publish(world, manager, location_id="loc-zonnebloem", publish_at="2026-11-25T09:00:00+01:00")
    moved = world.put(f"{NEWS}/{item['id']}", headers=manager,
                      json={"title": "Later", "body": "Verplaatst.", "publish_at": "2026-11-26T09:00:00+01:00"})
    assert moved.status_code == 200 and moved.json["published_at"] == "2026-11-26T09:00:00+01:00"
    clock.advance(timedelta(days=1, hours=1))
    assert run_schedule(services["messaging"].module.publish_due) == 0  # not at the old moment
    manager = login(world, "manager")
    now = world.put(f"{NEWS}/{item['id']}", headers=manager,
                    json={"title": "Toch nu", "body": "Nu.", "publish_at": "2026-11-24T09:00:00+01:00"})
    assert now.status_code == 200 and now.json["status"] == "published"
    assert now.json["published_at"] == "2026-11-25T10:00:00+01:00"
    assert run_schedule(services["messaging"].module.publish_due) == 0
    assert [e.payload["title"] for e in bus.of_type(PUBLISHED)] == ["Toch nu"]
    again = world.put(f"{NEWS}/{item['id']}", headers=manager,
                      json={"title": "x", "body": "y", "publish_at": "2026-12-01T09:00:00+01:00"})
    assert again.status_code == 422 and again.json["code"] == "already_published"


def test_pinned_items_come_first_and_the_cursor_pages_without_skipping_or_repeating(world, clock):
    admin = login(world, "admin")
    made = []
    for n in range(7):
        made.append(publish(world, admin, title=f"Bericht {n}", pinned=n in (1, 3))["id"])
        clock.advance(timedelta(minutes=1))
    parent = login(world, "parent1")
    first = world.get(f"{NEWS}?limit=2", headers=parent).json
    assert [i["id"] for i in first["items"]] == [made[3], made[1], made[6], made[5]]
    assert [i["pinned"] for i in first["items"]] == [True, True, False, False]
    seen = [i["id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = world.get(f"{NEWS}?limit=2&cursor={cursor}", headers=parent).json
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [made[3], made[1], made[6], made[5], made[4], made[2], made[0]]
    other = login(world, "parent4")
    assert world.get(f"{NEWS}?limit=2&cursor={first['next_cursor']}", headers=other).status_code == 400
    unpinned = world.put(f"{NEWS}/{made[3]}", headers=admin, json={"title": "Bericht 3", "body": "x"})
    assert unpinned.status_code == 200 and unpinned.json["pinned"] is False
    assert listed(world, parent, query="?limit=3") == [made[1], made[6], made[5], made[4]]


def test_newsletters_are_a_separate_list(world, parent):
    admin = login(world, "admin")
    long_body = "Beste ouders, " + "in november hebben we veel gedaan. " * 20
    letter = publish(world, admin, "/messaging/newsletters", title="Nieuwsbrief november", body=long_body)
    [entry] = world.get("/messaging/newsletters", headers=parent).json["items"]
    shown = entry["excerpt"].removesuffix("…")
    assert entry["excerpt"].endswith("…") and len(shown) <= 200
    assert long_body.startswith(shown) and long_body[len(shown)] == " "  # cut between words
    news = publish(world, admin)
    assert listed(world, parent, "/messaging/newsletters") == [letter["id"]]
    assert listed(world, parent) == [news["id"]]
    assert world.get(f"{NEWS}/{letter['id']}", headers=parent).status_code == 404
    assert world.get(f"/messaging/newsletters/{news['id']}", headers=parent).status_code == 404
    assert world.delete(f"{NEWS}/{letter['id']}", headers=admin).status_code == 404


def test_editing_and_deleting_take_removed_attachments_with_them(world, parent, services):
    manager = login(world, "manager")
    first, second = upload(world, manager, file_name="a.pdf"), upload(world, manager, file_name="b.pdf")
    item = publish(world, manager, location_id="loc-zonnebloem", attachment_ids=[first, second])
    link = world.get(f"/messaging/attachments/{first}", headers=parent).json["url"]
    assert requests.get(link, timeout=10).status_code == 200  # the link works while the file is attached
    third = upload(world, manager, file_name="c.pdf")
    edited = world.put(f"{NEWS}/{item['id']}", headers=manager,
                       json={"title": "Nieuw", "body": "Anders", "attachment_ids": [second, third], "pinned": True})
    assert edited.status_code == 200, edited.json
    assert [a["file_name"] for a in edited.json["attachments"]] == ["b.pdf", "c.pdf"]
    assert world.get(f"/messaging/attachments/{first}", headers=parent).status_code == 404
    # The same link now finds no file: S3 answers a missing key with 403 to a link that may not list the bucket.
    assert requests.get(link, timeout=10).status_code == 403
    [entry] = world.get(NEWS, headers=parent).json["items"]
    assert (entry["title"], entry["pinned"], len(entry["attachments"])) == ("Nieuw", True, 2)
    assert world.delete(f"{NEWS}/{item['id']}", headers=manager).status_code == 204
    assert listed(world, parent) == [] and stored_keys(services) == []
    assert world.get(f"{NEWS}/{item['id']}", headers=manager).status_code == 404
    assert world.get(f"/messaging/attachments/{second}", headers=manager).status_code == 404


def test_claiming_someone_elses_or_a_used_or_unfinished_attachment_stores_nothing(world, parent, bus):
    manager, admin = login(world, "manager"), login(world, "admin")
    theirs = upload(world, parent)
    unfinished = world.post("/messaging/attachments", headers=manager,
                            json={"file_name": "x.pdf", "content_type": "application/pdf", "size": 10}).json
    mine = upload(world, manager)
    refused = post(world, manager, location_id="loc-zonnebloem",
                   attachment_ids=[mine, theirs, unfinished["attachment_id"], f"att-{'0' * 26}"])
    assert refused.status_code == 422 and refused.json["code"] == "unknown_attachment"
    assert [e["loc"] for e in refused.json["errors"]] == [["body", "attachment_ids", n] for n in (1, 2, 3)]
    assert listed(world, admin) == [] and bus.of_type(PUBLISHED) == []
    publish(world, manager, location_id="loc-zonnebloem", attachment_ids=[mine])
    used = post(world, manager, location_id="loc-zonnebloem", title="Nog eens", attachment_ids=[mine])
    assert used.status_code == 422 and used.json["code"] == "unknown_attachment"
    assert len(listed(world, admin)) == 1


INVALID = "validation_error"


@pytest.mark.parametrize("fields, status, code", [
    ({"colour": "red"}, 400, INVALID), ({"title": 12}, 400, INVALID), ({"pinned": "yes"}, 400, INVALID),
    ({"attachment_ids": "att"}, 400, INVALID), ({"title": ""}, 422, INVALID), ({"title": "   "}, 422, INVALID),
    ({"title": "x" * 201}, 422, INVALID), ({"body": "x" * 20001}, 422, INVALID),
    ({"attachment_ids": [f"att-{n:026d}" for n in range(11)]}, 422, INVALID),
    ({"attachment_ids": ["../etc"]}, 422, INVALID), ({"publish_at": "2026-12-01T09:00:00"}, 422, INVALID),
    ({"publish_at": "tomorrow"}, 400, INVALID), ({"location_id": "a#b"}, 422, INVALID),
    ({"publish_at": "2028-01-01T09:00:00+01:00"}, 422, "publish_at_out_of_range"),
])
def test_publications_with_bad_input_are_refused(world, fields, status, code):
    admin = login(world, "admin")
    answer = post(world, admin, **fields)
    assert answer.status_code == status and answer.json["errors"], answer.json
    assert answer.json["code"] == code, answer.json
    assert listed(world, admin) == []


def test_a_page_costs_the_same_with_5_and_with_300_items_of_history(world, services):
    lib = services["messaging"].lib.publications.store
    outbox = services["messaging"].module.outbox

    def page_cost() -> int:
        parent = login(world, "parent1")
        with count_calls() as calls:
            answer = world.get(f"{NEWS}?limit=20", headers=parent)
        assert answer.status_code == 200
        return total(calls, "dynamodb")

    def add(n: int) -> None:
        from tests.bus_helpers import bus_where, nobody

        with bus_where(services, nobody):  # the news lists are what is measured: no notices fanned out
            for i in range(n):
                location = "loc-zonnebloem" if i % 2 else None
                lib.create(outbox, "demo", "user-admin", "news", location,
                           lib.Draft(f"Bericht {i}", "Tekst", [], i == 0, None))

    add(5)
    small = page_cost()
    add(295)
    assert page_cost() == small <= 4  # pinned and newest of the organisation's and the location's lists


def test_publication_routes_refuse_parents_staff_other_locations_and_other_tenants(world, parent, staff, elders,
                                                                                   tokens):
    manager, admin = login(world, "manager"), login(world, "admin")
    manager2 = tokens.header(role="manager", user_id="user-manager2", locations=("loc-elders",))
    for path in (NEWS, "/messaging/newsletters"):
        ours = publish(world, manager, path, location_id="loc-zonnebloem")
        theirs = publish(world, admin, path, location_id="loc-elders")
        item, edit = f"{path}/{ours['id']}", {"title": "Overgenomen", "body": "x"}
        # Parents and staff may not write at all.
        for caller in (parent, staff):
            assert post(world, caller, path, location_id="loc-zonnebloem").status_code == 403
            assert post(world, caller, path).status_code == 403
            assert world.put(item, headers=caller, json=edit).status_code == 403
            assert world.delete(item, headers=caller).status_code == 403
        # A manager of another location: neither writes for nor reads this location.
        assert post(world, manager2, path, location_id="loc-zonnebloem").status_code == 404
        assert post(world, manager, path, location_id="loc-elders").status_code == 404
        assert world.put(item, headers=manager2, json=edit).status_code == 404
        assert world.delete(item, headers=manager2).status_code == 404
        assert world.get(item, headers=manager2).status_code == 404
        assert world.get(f"{path}/{theirs['id']}", headers=parent).status_code == 404
        assert world.get(f"{path}?location_id=loc-elders", headers=staff).status_code == 404
        # Another tenant: nothing exists there, whatever the role.
        for other in (tokens.header(tenant="other", role="admin", user_id="user-admin"),
                      tokens.header(tenant="other", role="parent", user_id="user-parent1", children=("child-noor",),
                                    locations=("loc-zonnebloem",))):
            assert world.get(item, headers=other).status_code == 404
            assert world.get(path, headers=other).json["items"] == []
        other_admin = tokens.header(tenant="other", role="admin", user_id="user-admin")
        assert world.put(item, headers=other_admin, json=edit).status_code == 404
        assert world.delete(item, headers=other_admin).status_code == 404
        assert post(world, other_admin, path, location_id="loc-zonnebloem").status_code == 404
        assert world.get(item, headers=parent).json["title"] == "Sint komt op bezoek"  # untouched
