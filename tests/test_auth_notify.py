"""Auth mails planning's events to guardians: the absence confirmation and documents (transactional).

A request's decision is a notification: messaging delivers it (tests/test_messaging_notifications.py).
"""

from __future__ import annotations

from portal_common import consumer
from tests.auth_helpers import demo_login_header, sent_mail


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
