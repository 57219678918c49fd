"""Notifications: push and e-mail per the user's settings and language, once per event and user, bursts
folded, a failing channel not blocking the other.

Through the HTTP API and events on the bus; delivery is the messaging service's minute schedule
(`deliver_notifications`), run here by hand after moving the clock. Demo: Sanne (parent1, nl) and Mark
(parent2, nl) are Noor's (Rupsen) and Daan's (Vlinders) parents; Emma (parent3, en) is Liam's (Bijen);
Fatima (parent4) is Yara's (Rupsen). Ilse (staff1) works in Rupsen, Priya (staff3) in Bijen. The clock
stands on Tuesday 24 November 2026, 09:00.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import portal_common.contracts.auth
import portal_common.contracts.exports
import portal_common.contracts.timeline
from portal_common import consumer, settings
from portal_common.events import make_event
from portal_common.testing.calls import count_calls
from tests.auth_helpers import demo_login_header, run_schedule, seed_second_location, sent_mail

CONVERSATIONS = "/messaging/conversations"
ACCOUNT, REGION = "123456789012", "eu-west-1"
# Every event type the notification side of messaging consumes (tests/test_guards.py looks for them here).
CONSUMED = ("messaging.message.sent", "messaging.publication.published", "timeline.photo.published",
            "timeline.diary.published", "planning.request.decided", "auth.user.changed",
            "auth.notification_settings.changed", "auth.device.registered", "auth.device.removed",
            "auth.organisation.changed", "auth.location.changed", "exports.export.ready")


def login(world, who: str) -> dict[str, str]:
    return demo_login_header(world, f"{who}@demo.ouderportaal.nl")


def address(who: str) -> str:
    return f"{who}@demo.ouderportaal.nl"


def mails_to(who: str) -> list:
    return [m for m in sent_mail() if m.destinations["ToAddresses"] == [address(who)]]


def deliver(services, clock, after=timedelta(0)) -> int:
    clock.advance(after)
    return run_schedule(services["messaging"].module.deliver_notifications)


@pytest.fixture
def push(aws, monkeypatch):
    """SNS platform applications for APNs and FCM, as a deployment with push credentials has them."""
    sns = aws["sns"]
    apps = {name: sns.create_platform_application(Name=f"portal-{name}", Platform=platform, Attributes={})[
        "PlatformApplicationArn"] for name, platform in (("apns", "APNS"), ("fcm", "GCM"))}
    monkeypatch.setenv("PORTAL_PUSH_APPLICATIONS", json.dumps(apps))
    settings.reset_settings()
    yield sns
    monkeypatch.undo()
    settings.reset_settings()


def register_device(world, bus, headers, token: str, platform: str = "fcm") -> str:
    """Register a device through auth; returns its SNS endpoint."""
    answer = world.post("/auth/me/devices", headers=headers, json={"platform": platform, "token": token})
    assert answer.status_code == 201, answer.json
    return bus.of_type("auth.device.registered")[-1].payload["endpoint_arn"]


def pushes(endpoint_arn: str) -> list[str]:
    """The texts pushed to a device (moto keeps what SNS published to a platform endpoint)."""
    from moto.sns.models import sns_backends

    endpoint = sns_backends[ACCOUNT][REGION].platform_endpoints[endpoint_arn]
    return [json.loads(message)["default"] for message in endpoint.messages.values()]


def start(world, headers, text="Noor heeft slecht geslapen.", child_id="child-noor") -> str:
    answer = world.post(CONVERSATIONS, headers=headers, json={"child_id": child_id, "text": text})
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def answer(world, headers, conversation_id, text="We houden haar in de gaten.") -> None:
    sent = world.post(f"{CONVERSATIONS}/{conversation_id}/messages", headers=headers, json={"text": text})
    assert sent.status_code == 201, sent.json


def publish(bus, payload) -> None:
    """Publish an event as its owning service would (the bus hands it to every consumer)."""
    owner = type(payload).__event_type__.split(".")[0]  # type: ignore[attr-defined]
    bus.publish([make_event(payload, tenant="demo", source=owner)])


def timeline_events(services):
    return portal_common.contracts.timeline


def photo(services, child_ids=("child-noor",), group_id="grp-rupsen", n=1):
    return timeline_events(services).PhotoPublished(photo_id=f"pho-{n}", group_id=group_id,
                                                    location_id="loc-zonnebloem", date="2026-11-24",
                                                    child_ids=list(child_ids))


# -- messages -------------------------------------------------------------------------------------
def test_a_staff_answer_reaches_the_parents_mail_and_devices_in_dutch_once_the_window_closes(
        world, parent, staff, bus, clock, services, push):
    endpoint = register_device(world, bus, parent, "sanne-phone-token-1")
    conversation = start(world, parent)
    clock.advance(timedelta(minutes=3))
    assert deliver(services, clock) == 2  # Ilse and Mark hear of Sanne's question
    [question] = mails_to("staff1")
    assert question.subject == "Nieuw bericht van Sanne de Vries over Noor de Vries"
    answer(world, staff, conversation, "Ze heeft goed gegeten en lekker geslapen.")
    assert deliver(services, clock, timedelta(seconds=30)) == 0  # the window (1 minute) is still open
    assert deliver(services, clock, timedelta(seconds=30)) == 2  # Sanne and Mark
    [mail] = mails_to("parent1")
    assert mail.subject == "Nieuw bericht van de Rupsen over Noor de Vries"
    assert "Beste Sanne de Vries" in mail.body and "onder Berichten" in mail.body
    assert "geslapen" not in mail.body  # the message itself stays in the portal
    assert pushes(endpoint) == ["Nieuw bericht van de Rupsen over Noor"]
    assert mails_to("parent2")[-1].subject == "Nieuw bericht van de Rupsen over Noor de Vries"
    assert len(mails_to("staff1")) == 1  # nobody hears of their own message
    assert deliver(services, clock, timedelta(minutes=5)) == 0


def test_an_english_reader_gets_english(world, bus, clock, services):
    emma, priya = login(world, "parent3"), login(world, "staff3")
    conversation = start(world, emma, "Liam has a cold.", child_id="child-liam")
    answer(world, priya, conversation, "Thank you, we will keep him warm.")
    deliver(services, clock, timedelta(minutes=1))
    [mail] = mails_to("parent3")
    assert mail.subject == "New message from Bijen about Liam Jansen"
    assert "Dear Emma Jansen" in mail.body and "under Messages" in mail.body


def test_settings_off_means_no_mail_but_the_push_still_comes(world, parent, staff, bus, clock, services, push):
    endpoint = register_device(world, bus, parent, "sanne-phone-token-2")
    changed = world.put("/auth/me/notification-settings", headers=parent,
                        json={"messages": {"push": True, "email": False}})
    assert changed.status_code == 200, changed.json
    conversation = start(world, parent)
    deliver(services, clock, timedelta(minutes=2))
    answer(world, staff, conversation)
    deliver(services, clock, timedelta(minutes=1))
    assert mails_to("parent1") == [] and pushes(endpoint) == ["Nieuw bericht van de Rupsen over Noor"]
    assert [m.subject for m in mails_to("parent2")] == [  # Mark turned nothing off
        "Nieuw bericht van Sanne de Vries over Noor de Vries", "Nieuw bericht van de Rupsen over Noor de Vries"]
    world.put("/auth/me/notification-settings", headers=parent, json={"messages": {"push": False, "email": False}})
    answer(world, staff, conversation, "Nog een vraag?")
    deliver(services, clock, timedelta(minutes=1))
    assert mails_to("parent1") == [] and len(pushes(endpoint)) == 1  # everything off: nothing at all
    assert len(mails_to("parent2")) == 3


# -- exactly once ---------------------------------------------------------------------------------
def test_a_redelivered_event_notifies_once_also_after_a_crash_halfway(world, bus, services, clock, push,
                                                                      monkeypatch):
    phones = {who: register_device(world, bus, login(world, who), f"{who}-phone-token")  # Rupsen's guardians
              for who in ("parent1", "parent2", "parent4", "parent7", "parent10")}
    app = services["messaging"].app
    store = services["messaging"].lib.notifications.store
    event = make_event(photo(services, child_ids=()), tenant="demo", source="timeline")  # all of Rupsen
    monkeypatch.setattr(store, "PER_TRANSACTION", 2)  # 5 guardians: 3 transactions
    real, calls = store._open_rows, []

    def crash_after_two_transactions(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the Lambda timed out")
        return real(*args)

    monkeypatch.setattr(store, "_open_rows", crash_after_two_transactions)
    assert consumer.handle_one(app.inbox, event, app.event_handlers) is False  # failed: SQS will redeliver
    assert consumer.handle_one(app.inbox, event, app.event_handlers) is True  # the retry records the rest
    assert consumer.handle_one(app.inbox, event, app.event_handlers) is True  # a plain redelivery: nothing
    assert deliver(services, clock, timedelta(minutes=2)) == 5
    for phone in phones.values():  # those recorded before the crash too: not "2 nieuwe foto's"
        assert pushes(phone) == ["Nieuwe foto bij de Rupsen"]
    # Redelivered after delivery too (the inbox forgot it): the markers still say it was recorded.
    app.inbox.release(event.event_id)
    assert consumer.handle_one(app.inbox, event, app.event_handlers) is True
    assert deliver(services, clock, timedelta(minutes=2)) == 0 and len(pushes(phones["parent1"])) == 1


def test_overlapping_schedule_runs_deliver_once_and_a_late_fold_is_not_lost(world, staff, bus, clock, services,
                                                                           monkeypatch):
    store = services["messaging"].lib.notifications.store
    conversation = start(world, login(world, "parent4"), "Yara is ziek.", child_id="child-yara")
    answer(world, staff, conversation)
    clock.advance(timedelta(minutes=1))
    first_run, second_run = store.due(clock.now()), store.due(clock.now())  # both runs read the index
    runs = iter([first_run, second_run])
    monkeypatch.setattr(store, "due", lambda now: next(runs))
    assert deliver(services, clock) == 2 and deliver(services, clock) == 0  # Fatima and Ilse, once each
    assert len(mails_to("parent4")) == 1
    # An answer folding in between a run's read of the index and its claim is delivered with it.
    answer(world, staff, conversation, "Beterschap!")
    clock.advance(timedelta(minutes=1))
    monkeypatch.undo()
    stale = store.due(clock.now())
    answer(world, staff, conversation, "Tot morgen.")
    monkeypatch.setattr(store, "due", lambda now: stale)
    assert deliver(services, clock) == 1
    assert mails_to("parent4")[-1].subject == "2 nieuwe berichten van de Rupsen over Yara El Amrani"


def test_a_run_out_of_time_leaves_the_rest_for_the_next_minute(world, services, clock):
    posted = world.post("/messaging/newsletters", headers=login(world, "admin"), json={"title": "Jaarplanning",
                                                                                      "body": "2027."})
    assert posted.status_code == 201, posted.json
    notifications = services["messaging"].lib.notifications.delivery
    assert notifications.deliver_due(clock.now(), budget_seconds=-1) == 0 and sent_mail() == []
    assert deliver(services, clock, timedelta(minutes=1)) == 12 and deliver(services, clock) == 0
    assert [m.subject for m in mails_to("parent3")] == ["Newsletter from Kinderopvang Demo: Jaarplanning"]


# -- folding --------------------------------------------------------------------------------------
def test_five_photos_of_noor_within_the_window_make_one_push(world, parent, bus, clock, services, push):
    endpoint = register_device(world, bus, parent, "sanne-phone-token-3", platform="apns")
    for n in range(5):
        publish(bus, photo(services, n=n))
        clock.advance(timedelta(seconds=20))
    assert deliver(services, clock) == 0  # 100 s after the first: its 2-minute window is open
    assert deliver(services, clock, timedelta(seconds=20)) == 1
    assert pushes(endpoint) == ["5 nieuwe foto's van Noor"]
    assert mails_to("parent1") == []  # photos: push only, unless one turns e-mail on
    message = json.loads(json.loads(next(iter(_messages(endpoint))))["APNS"])
    assert message["aps"]["alert"]["body"] == "5 nieuwe foto's van Noor" and message["data"] == {
        "topic": "photos", "child_id": "child-noor"}  # where the app opens; never the photo itself
    publish(bus, photo(services, n=6))  # the next one opens a new burst
    deliver(services, clock, timedelta(minutes=2))
    assert pushes(endpoint) == ["5 nieuwe foto's van Noor", "Nieuwe foto van Noor"]


def _messages(endpoint_arn: str):
    from moto.sns.models import sns_backends

    return sns_backends[ACCOUNT][REGION].platform_endpoints[endpoint_arn].messages.values()


def test_a_group_photo_reaches_the_groups_families_and_a_diary_its_readers(world, bus, clock, services, push):
    fatima = register_device(world, bus, login(world, "parent4"), "fatima-phone-token")
    emma = register_device(world, bus, login(world, "parent3"), "emma-phone-token")
    ilse = register_device(world, bus, login(world, "staff1"), "ilse-phone-token")
    publish(bus, photo(services, child_ids=()))  # the whole of Rupsen
    publish(bus, photo(services, child_ids=(), n=2))
    diary = timeline_events(services).DiaryPublished
    publish(bus, diary(diary_id="d-1", kind="report", child_id="child-yara", group_id="grp-rupsen",
                       location_id="loc-zonnebloem", date="2026-11-24", author_id="user-staff1"))
    publish(bus, diary(diary_id="d-2", kind="parent_entry", child_id="child-yara", group_id="grp-rupsen",
                       location_id="loc-zonnebloem", date="2026-11-24", author_id="user-parent4"))
    publish(bus, diary(diary_id="d-3", kind="report", child_id="child-liam", group_id="grp-bijen",
                       location_id="loc-zonnebloem", date="2026-11-24", author_id="user-staff3"))
    deliver(services, clock, timedelta(minutes=2))
    assert sorted(pushes(fatima)) == ["2 nieuwe foto's bij de Rupsen", "Dagverslag van Yara staat klaar"]
    assert pushes(emma) == ["Liam's daily report is ready"]
    assert pushes(ilse) == ["Nieuwe aantekening van de ouders van Yara"]  # not her own report


# -- channels -------------------------------------------------------------------------------------
def test_a_failing_push_endpoint_does_not_stop_the_mail_or_the_other_device(world, parent, staff, bus, clock,
                                                                            services, push, monkeypatch):
    broken = register_device(world, bus, parent, "sanne-old-phone-token")
    working = register_device(world, bus, parent, "sanne-new-phone-token", platform="apns")
    push.set_endpoint_attributes(EndpointArn=broken, Attributes={"Enabled": "false"})  # app uninstalled
    conversation = start(world, login(world, "parent2"), "Noor wordt om 15:00 gehaald.")
    answer(world, staff, conversation)  # folds with Mark's message for Sanne: two senders, so no name
    deliver(services, clock, timedelta(minutes=1))
    assert pushes(working) == ["2 nieuwe berichten over Noor"] and pushes(broken) == []
    assert [m.subject for m in mails_to("parent1")] == ["2 nieuwe berichten over Noor de Vries"]
    notifications = services["messaging"].lib.notifications
    rules, recipients = notifications.rules, notifications.recipients
    assert broken not in rules.endpoints(recipients.profile("demo", "user-parent1")).values()  # remembered
    # SES refusing one mail: that user's push still goes, the other users' mail too.
    from botocore.exceptions import ClientError

    mail = services["messaging"].lib.notifications.delivery.mail
    real_send = mail.send

    def refuse_sanne(key, *, to, **values):
        if to == address("parent1"):
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded"}},
                              "SendEmail")
        return real_send(key, to=to, **values)

    monkeypatch.setattr(mail, "send", refuse_sanne)
    answer(world, staff, conversation, "Nog iets.")
    with count_calls() as calls:
        assert deliver(services, clock, timedelta(minutes=1)) == 2  # Sanne (push) and Mark (e-mail)
    assert calls["sns.Publish"] == 1  # the disabled endpoint is not tried again
    assert pushes(working)[-1] == "Nieuw bericht van de Rupsen over Noor"
    assert len(mails_to("parent1")) == 1 and len(mails_to("parent2")) == 2


def test_a_removed_device_gets_no_push(world, parent, staff, bus, clock, services, push):
    register_device(world, bus, parent, "sanne-phone-token-4")
    device_id = bus.of_type("auth.device.registered")[-1].payload["device_id"]
    assert world.delete(f"/auth/me/devices/{device_id}", headers=parent).status_code == 204
    answer(world, staff, start(world, login(world, "parent2")))
    clock.advance(timedelta(minutes=1))
    with count_calls() as calls:
        assert deliver(services, clock) == 3  # e-mail to Sanne, Ilse (Mark's message) and Mark (Ilse's answer)
    assert calls["sns.Publish"] == 0 and len(mails_to("parent1")) == 1  # no push tried to the removed device


def test_a_deactivated_user_gets_nothing(world, parent, staff, bus, clock, services, push):
    endpoint = register_device(world, bus, parent, "sanne-phone-token-5")
    changed = portal_common.contracts.auth.UserChanged
    contact = {"user_id": "user-parent1", "name": "Sanne de Vries", "email": address("parent1"), "language": "nl",
               "role": "parent"}
    older = make_event(changed(**contact, status="active"), tenant="demo", source="auth")
    clock.advance(timedelta(seconds=1))
    publish(bus, changed(**contact, status="deactivated"))
    app = services["messaging"].app
    assert consumer.handle_one(app.inbox, older, app.event_handlers)  # an older event arriving late changes nothing
    answer(world, staff, start(world, login(world, "parent2")))
    deliver(services, clock, timedelta(minutes=1))
    assert mails_to("parent1") == [] and pushes(endpoint) == []
    assert len(mails_to("staff1")) == 1  # Mark's message reached Ilse


# -- news -----------------------------------------------------------------------------------------
def test_news_for_a_location_reaches_that_locations_guardians_only(world, parent, bus, clock, services, push):
    directory = services["auth"].module.directory
    seed_second_location(directory)
    directory.create_user("demo", "user-eef-parent", email="eef.parent@example.nl", name="Eva Elders",
                          role="parent", language="en", password_hash="x")
    directory.link_guardian("demo", "child-elders", "user-eef-parent")
    sanne = register_device(world, bus, parent, "sanne-phone-token-6")
    manager = login(world, "manager")
    posted = world.post("/messaging/newsletters", headers=manager, json={
        "title": "December", "body": "Alles over december.", "location_id": "loc-zonnebloem"})
    assert posted.status_code == 201, posted.json
    posted = world.post("/messaging/news", headers=manager, json={
        "title": "Sint komt op bezoek", "body": "Vrijdag.", "location_id": "loc-zonnebloem"})
    assert posted.status_code == 201, posted.json
    assert deliver(services, clock) == 13  # at once (no window): 12 newsletter e-mails, Sanne's news push
    assert [m.subject for m in mails_to("parent1")] == ["Nieuwsbrief van Kindcentrum De Zonnebloem: December"]
    assert [m.subject for m in mails_to("parent3")] == ["Newsletter from Kindcentrum De Zonnebloem: December"]
    assert sorted(pushes(sanne)) == ["Nieuws van Kindcentrum De Zonnebloem: Sint komt op bezoek",
                                     "Nieuwsbrief van Kindcentrum De Zonnebloem: December"]
    elsewhere = [m for m in sent_mail() if m.destinations["ToAddresses"] == ["eef.parent@example.nl"]]
    assert elsewhere == [] and mails_to("staff1") == [] and mails_to("manager") == []
    admin = login(world, "admin")
    posted = world.post("/messaging/newsletters", headers=admin, json={"title": "Jaarplanning", "body": "2027."})
    assert posted.status_code == 201, posted.json
    deliver(services, clock)
    elsewhere = [m for m in sent_mail() if m.destinations["ToAddresses"] == ["eef.parent@example.nl"]]
    assert [m.subject for m in elsewhere] == ["Newsletter from Kinderopvang Demo: Jaarplanning"]
    assert mails_to("parent1")[-1].subject == "Nieuwsbrief van Kinderopvang Demo: Jaarplanning"


# -- request decisions (moved here from auth, same wording) -------------------------------------------
def ask(world, headers, day, child_id="child-noor", **extra):
    answer = world.post("/planning/requests", headers=headers, json={
        "child_id": child_id, "days": [{"date": day, "start": "07:30", "end": "13:00"}], "payment": "invoice",
        **extra})
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def test_decisions_reach_the_parent_who_asked_unless_they_turned_it_off(world, parent, staff, bus, clock,
                                                                         services, push):
    endpoint = register_device(world, bus, parent, "sanne-phone-token-7")
    first = ask(world, parent, "2026-12-01")
    world.post(f"/planning/requests/{first}/decision", headers=staff, json={"decision": "reject",
                                                                             "reason": "Groep is vol"})
    deliver(services, clock)
    [message] = mails_to("parent1")
    assert message.subject == "Je aanvraag voor Noor de Vries is afgewezen"
    assert "dinsdag 1 december 2026, 07:30-13:00" in message.body and "Toelichting: Groep is vol" in message.body
    assert pushes(endpoint) == ["Je aanvraag voor Noor is afgewezen"]
    assert mails_to("parent2") == []  # the other parent did not ask
    second = ask(world, parent, "2026-12-03")
    world.post(f"/planning/requests/{second}/cancel", headers=parent)
    deliver(services, clock)
    assert len(mails_to("parent1")) == 1  # cancelling is not news to the one who did it
    world.put("/auth/me/notification-settings", headers=parent,
              json={"request_decisions": {"push": True, "email": False}})
    third = ask(world, parent, "2026-12-08")
    world.post(f"/planning/requests/{third}/decision", headers=staff, json={"decision": "approve"})
    deliver(services, clock)
    assert len(mails_to("parent1")) == 1
    assert pushes(endpoint) == ["Je aanvraag voor Noor is afgewezen", "Je aanvraag voor Noor is goedgekeurd"]
    assert mails_to("staff1") == []


def test_a_lapsed_request_reaches_an_english_reader_in_english(world, clock, services):
    emma = login(world, "parent3")
    ask(world, emma, "2026-12-02", child_id="child-liam", expires_at="2026-11-25T12:00:00+01:00")
    clock.advance(timedelta(days=1, hours=3, minutes=5))
    assert run_schedule(services["planning"].module.expire_requests) == 1
    deliver(services, clock)
    [message] = mails_to("parent3")
    assert message.subject == "Your request for Liam Jansen was not decided in time"
    assert "Wednesday 2 December 2026, 07:30-13:00" in message.body


def test_a_request_staff_entered_by_phone_reaches_every_guardian_and_auth_no_longer_mails_it(world, staff, clock,
                                                                                              services):
    asked = ask(world, staff, "2026-12-01")
    assert world.post(f"/planning/requests/{asked}/decision", headers=staff,
                      json={"decision": "approve"}).status_code == 200
    assert mails_to("parent1") == []  # not before messaging's schedule: auth sends nothing any more
    deliver(services, clock)
    for who in ("parent1", "parent2"):
        [message] = mails_to(who)
        assert message.subject == "Je aanvraag voor Noor de Vries is goedgekeurd"
    assert mails_to("staff1") == []
    assert "planning.request.decided" not in services["auth"].app.consumed_event_types


# -- the copies -----------------------------------------------------------------------------------
def test_every_demo_account_has_a_copy_with_its_language_and_auths_defaults(world, services):
    from infra.local import demo_data as d

    user_copy = services["messaging"].lib.notifications.recipients
    ids = [f"user-parent{n}" for n in range(1, 13)] + ["user-staff1", "user-manager", "user-admin"]
    known = user_copy.profiles("demo", ids)
    assert sorted(known) == sorted(ids)
    assert {(u.status, u.email.endswith("@demo.ouderportaal.nl")) for u in known.values()} == {("active", True)}
    assert known["user-parent3"].language == "en" and known["user-parent1"].name == "Sanne de Vries"
    assert user_copy.organisation("demo").name == d.ORGANISATION_NAME
    rules = services["messaging"].lib.notifications.rules
    assert rules.DEFAULT_SETTINGS == services["auth"].lib.api.DEFAULT_NOTIFICATIONS  # one rule, two copies


def test_every_consumed_type_is_named_here(services):
    assert set(CONSUMED) <= services["messaging"].app.consumed_event_types


def test_an_export_ready_reaches_only_its_owner_in_their_language(world, services, clock, bus):
    """`exports.export.ready`: the guardian who asked, not the other guardian; Emma reads English."""
    handle = services["messaging"].module.app.event_handlers["exports.export.ready"]
    for who, child, export_id in (("parent1", "child-noor", "exp-" + "a" * 26), ("parent3", "child-liam",
                                                                              "exp-" + "b" * 26)):
        payload = portal_common.contracts.exports.ExportReady(export_id=export_id, kind="diary",
                                                             user_id=f"user-{who}", child_id=child,
                                                             available_until="2026-12-01T09:00:00+01:00")
        handle(make_event(payload, tenant="demo", source="exports"))
    assert deliver(services, clock) == 2
    (sanne,) = mails_to("parent1")
    assert sanne.subject == "Het dagboek van Noor de Vries staat klaar om te downloaden"
    assert "/exports/exp-aaaaaaaaaaaaaaaaaaaaaaaaaa/download" in sanne.body
    (emma,) = mails_to("parent3")
    assert emma.subject == "Liam Jansen's diary is ready to download" and "Tuesday 1 December 2026 09:00" in emma.body
    assert mails_to("parent2") == []  # Noor's father did not ask for it
