"""The local stack's demo planning history: what a newcomer sees in the overview and on the to-do list."""

from __future__ import annotations

from infra.local.demo import seed_demo
from infra.local.demo_activity import seed_activity, seed_billing
from tests.auth_helpers import demo_login_header, sent_mail


def test_the_demo_shows_an_absence_a_pending_request_and_an_approved_extra_day(api, bus):
    seed_demo()
    [line] = seed_activity()
    assert "pending for staff2" in line
    assert seed_activity() == []  # once
    sara = demo_login_header(api, "parent11@demo.ouderportaal.nl")
    items = api.get("/planning/requests", headers=sara).json["items"]
    assert [(i["kind"], i["status"]) for i in items] == [("extra", "pending"), ("absence", "reported")]
    balance = api.get("/planning/swap-hours?child_id=child-sara", headers=sara).json
    assert (balance["balance_hours"], balance["held_hours"]) == (11.0, 5.5)
    staff2 = demo_login_header(api, "staff2@demo.ouderportaal.nl")
    todo = api.get("/planning/requests?group_id=grp-vlinders&status=pending", headers=staff2).json["items"]
    assert [i["child_id"] for i in todo] == ["child-sara"]
    bram = demo_login_header(api, "parent12@demo.ouderportaal.nl")
    assert api.get("/planning/requests", headers=bram).json["items"][0]["status"] == "approved"
    assert any(m.destinations["ToAddresses"] == ["parent11@demo.ouderportaal.nl"] for m in sent_mail())


def test_the_demo_families_have_last_months_invoice_and_last_years_statements(api, bus):
    seed_demo()
    seed_activity()
    [line] = seed_billing()
    assert line == "demo billing: 140 invoices (September 2025 to last month), 11 annual statements"
    sanne = demo_login_header(api, "parent1@demo.ouderportaal.nl")  # the clock: 24 November 2026
    invoices = api.get("/planning/invoices?limit=100", headers=sanne).json["items"]
    assert invoices[0]["period"] == "2026-10" and invoices[-1]["period"] == "2025-09" and len(invoices) == 14
    statements = api.get("/planning/annual-statements", headers=sanne).json["items"]
    assert sorted(s["title"] for s in statements) == ["Jaaropgave 2025 Daan de Vries", "Jaaropgave 2025 Noor de Vries"]
    link = api.get(f"/planning/annual-statements/{statements[0]['id']}/download", headers=sanne)
    assert link.status_code == 200 and "X-Amz-Expires=300" in link.json["url"]


def test_the_demo_groups_have_photos_and_luuks_are_blocked_without_consent(api, bus):
    from infra.local.demo_photos import seed_photos

    seed_demo()
    [line] = seed_photos(days=2)
    assert line == "demo photos: 1 blocked, 11 published (Luuk has no photo consent); 24 diary reports"
    sanne = demo_login_header(api, "parent1@demo.ouderportaal.nl")
    feed = api.get("/timeline/feed?limit=50", headers=sanne).json["items"]
    assert feed and all(set(item["child_ids"]) <= {"child-noor", "child-daan"} for item in feed)
    reports = [i for i in feed if i["kind"] == "diary" and i["diary_kind"] == "report"]
    assert {(r["child_ids"][0], r["date"]) for r in reports} == {
        (c, d) for c in ("child-noor", "child-daan") for d in ("2026-11-23", "2026-11-24")}
    assert [i["text"] for i in feed if i.get("diary_kind") == "parent_entry"] == [
        "Noor heeft vannacht slecht geslapen, ze kan vandaag wat hangerig zijn. Opa haalt haar om 17:00 op."]
    photo = next(i for i in feed if i["kind"] == "photo")
    thumb = photo["photos"][0]["thumb_url"]
    import requests

    assert requests.get(thumb, timeout=10).content.startswith(b"\xff\xd8")  # a JPEG
