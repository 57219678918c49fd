"""Auth mails planning's events to guardians: the absence confirmation and request decisions."""

from __future__ import annotations

from datetime import datetime

from portal_common import clock as business_clock
from portal_common import consumer
from tests.auth_helpers import demo_login_header, run_schedule, sent_mail


def mails_to(address: str) -> list:
    return [m for m in sent_mail() if m.destinations["ToAddresses"] == [address]]


def test_every_guardian_gets_the_absence_confirmation_with_days_hours_and_swap_hours(world, bus, services):
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    answer = world.post("/planning/absences", headers=parent, json={
        "child_ids": ["child-noor"], "from": "2026-11-25", "to": "2026-12-02", "reason": "sick"})
    assert answer.status_code == 201
    for address in ("parent1@demo.ouderportaal.nl", "parent2@demo.ouderportaal.nl"):  # Noor's mother and father
        [message] = mails_to(address)
        assert message.subject == "Afmelding ontvangen voor Noor de Vries"
        assert "woensdag 25 november 2026, 07:30-18:30 (11 uur): te laat gemeld: geen ruiluren" in message.body
        assert "maandag 30 november 2026, 07:30-18:30 (11 uur): 11 ruiluur, te gebruiken t/m dinsdag 30 november 2027" \
            in message.body
        assert "Afgemeld: <b>33 uur</b>. Ruiluren opgebouwd: <b>22 uur</b>." in message.body
    # A redelivered event mails nobody twice.
    [event] = [e for e in bus.published if e.type == "planning.absence.reported"]
    assert consumer.handle_one(services["auth"].app.inbox, event, services["auth"].app.event_handlers)
    assert len(mails_to("parent1@demo.ouderportaal.nl")) == 1


def test_an_english_reader_gets_english(world):
    parent = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    world.post("/planning/absences", headers=parent, json={
        "child_ids": ["child-liam"], "from": "2026-12-01", "to": "2026-12-01", "reason": "holiday"})
    [message] = mails_to("parent3@demo.ouderportaal.nl")
    assert message.subject == "Absence received for Liam Jansen"
    assert "Tuesday 1 December 2026, 07:30-18:30 (11 h): 11 swap hours, usable until Wednesday 1 December 2027" \
        in message.body


def test_decisions_are_mailed_to_the_parent_who_asked_unless_they_turned_it_off(world, bus, services):
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")

    def ask(day):
        return world.post("/planning/requests", headers=parent, json={
            "child_id": "child-noor", "days": [{"date": day, "start": "07:30", "end": "13:00"}],
            "payment": "invoice"}).json["id"]

    first = ask("2026-12-01")
    world.post(f"/planning/requests/{first}/decision", headers=staff, json={"decision": "reject",
                                                                             "reason": "Groep is vol"})
    [message] = mails_to("parent1@demo.ouderportaal.nl")
    assert message.subject == "Je aanvraag voor Noor de Vries is afgewezen"
    assert "dinsdag 1 december 2026, 07:30-13:00" in message.body and "Toelichting: Groep is vol" in message.body
    assert mails_to("parent2@demo.ouderportaal.nl") == []  # the other parent did not ask
    [decided] = [e for e in bus.published if e.type == "planning.request.decided"]
    assert consumer.handle_one(services["auth"].app.inbox, decided, services["auth"].app.event_handlers)
    assert len(mails_to("parent1@demo.ouderportaal.nl")) == 1  # redelivered: not mailed twice
    second = ask("2026-12-03")
    world.post(f"/planning/requests/{second}/cancel", headers=parent)
    assert len(mails_to("parent1@demo.ouderportaal.nl")) == 1  # cancelling is not news to the one who did it
    changed = world.put("/auth/me/notification-settings", headers=parent,
                        json={"request_decisions": {"push": True, "email": False}})
    assert changed.status_code == 200, changed.json
    third = ask("2026-12-08")
    world.post(f"/planning/requests/{third}/decision", headers=staff, json={"decision": "approve"})
    assert len(mails_to("parent1@demo.ouderportaal.nl")) == 1


def test_a_lapsed_request_is_mailed_in_english_to_an_english_reader(world, clock, services):
    parent = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    asked = world.post("/planning/requests", headers=parent, json={
        "child_id": "child-liam", "days": [{"date": "2026-12-02", "start": "07:30", "end": "13:00"}],
        "payment": "invoice", "expires_at": "2026-11-25T12:00:00+01:00"})
    assert asked.status_code == 201, asked.json
    clock.set(datetime(2026, 11, 25, 12, 5, tzinfo=business_clock.AMSTERDAM))
    assert run_schedule(services["planning"].module.expire_requests) == 1
    [message] = mails_to("parent3@demo.ouderportaal.nl")
    assert message.subject == "Your request for Liam Jansen was not decided in time"
    assert "Wednesday 2 December 2026, 07:30-13:00" in message.body


def test_a_request_staff_entered_by_phone_is_mailed_to_every_guardian(world):
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    asked = world.post("/planning/requests", headers=staff, json={
        "child_id": "child-noor", "days": [{"date": "2026-12-01", "start": "07:30", "end": "13:00"}],
        "payment": "invoice"})
    assert asked.status_code == 201, asked.json
    decided = world.post(f"/planning/requests/{asked.json['id']}/decision", headers=staff,
                         json={"decision": "approve"})
    assert decided.status_code == 200, decided.json
    for address in ("parent1@demo.ouderportaal.nl", "parent2@demo.ouderportaal.nl"):
        [message] = mails_to(address)
        assert message.subject == "Je aanvraag voor Noor de Vries is goedgekeurd"
    assert mails_to("staff1@demo.ouderportaal.nl") == []


def test_guardians_are_told_an_invoice_is_ready_without_it_attached(world, bus):
    """`planning.document.published` → one e-mail per guardian, in their language, never the PDF itself."""
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    world.post("/planning/admin/billing-runs", headers=admin, json={"kind": "invoices", "period": "2026-10"})
    assert len(bus.of_type("planning.document.published")) == 10  # one per family invoiced
    for address in ("parent1@demo.ouderportaal.nl", "parent2@demo.ouderportaal.nl"):
        [message] = mails_to(address)
        assert message.subject == "Je factuur staat klaar in het ouderportaal"
        assert "Factuur 2026-" in message.body and "(€ 2.256,54)" in message.body
        assert "niet als bijlage" in message.body and "%PDF" not in message.body
    [english] = mails_to("parent3@demo.ouderportaal.nl")  # Emma reads English
    assert english.subject == "Your invoice is ready in the parent portal" and "(€ 1,002.91)" in english.body
    # The same run again issues nothing, so nobody is mailed twice.
    world.post("/planning/admin/billing-runs", headers=admin, json={"kind": "invoices", "period": "2026-10"})
    assert len(mails_to("parent1@demo.ouderportaal.nl")) == 1
