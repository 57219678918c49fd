"""Invoices and annual statements through HTTP: runs, amounts in cents, PDFs in S3, who sees what.

The demo's contracts run since 1 September 2025 at € 10,52 an hour, 52 weeks a year. Noor (Mondays and
Wednesdays 07:30-18:30: 22 h a week) costs 22 x 52 / 12 hours a month = 95,33 h, € 1.002,91; Daan
(plus Friday mornings: 27,5 h a week) 119,17 h, € 1.253,63. They are one family (Sanne and Mark).
The clock stands on Tuesday 24 November 2026, so October 2026 can be invoiced and November cannot.
"""

from __future__ import annotations

import io
import threading
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from pypdf import PdfReader

from portal_common import clock as business_clock
from portal_common import store
from tests.auth_helpers import demo_login_header, run_schedule

NOOR_MONTH, DAAN_MONTH = 100291, 125363


@pytest.fixture
def admin(world):
    return demo_login_header(world, "admin@demo.ouderportaal.nl")


def run(world, admin, kind, period):
    started = world.post("/planning/admin/billing-runs", headers=admin, json={"kind": kind, "period": period})
    assert started.status_code == 202, started.json
    state = world.get(f"/planning/admin/billing-runs/{kind}/{period}", headers=admin)
    assert state.status_code == 200 and state.json["status"] == "done", state.json
    return state.json["counts"]


def listed(world, headers, segment="invoices"):
    answer = world.get(f"/planning/{segment}", headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json["items"]


def pdf_text(services, doc_id, tenant="demo"):
    lib = services["planning"].lib
    doc = lib.documents.get(tenant, doc_id)
    obj = lib.documents.aws.client("s3").get_object(Bucket=lib.documents.bucket(), Key=doc.s3_key)
    assert obj["ServerSideEncryption"] == "AES256"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(obj["Body"].read())).pages)
    return " ".join(text.split())  # table cells wrap: compare words, not line breaks


def test_a_month_is_invoiced_per_family_with_hours_rates_and_cents(world, admin, parent, services):
    counts = run(world, admin, "invoices", "2026-10")
    assert counts == {"created": 10, "already_done": 0, "nothing_to_bill": 1, "without_guardian": 0, "lost_race": 0}
    # 11 demo families; Mila's flex contract had no days in October, so nothing to bill
    [invoice] = listed(world, parent)
    assert invoice["period"] == "2026-10" and invoice["amount_cents"] == NOOR_MONTH + DAAN_MONTH
    assert sorted(invoice["child_ids"]) == ["child-daan", "child-noor"]
    detail = world.get(f"/planning/invoices/{invoice['id']}", headers=parent).json
    assert [(line["child_id"], line["kind"], line["hours"], line["rate_cents"], line["amount_cents"])
            for line in detail["lines"]] == [("child-daan", "care", 119.17, 1052, DAAN_MONTH),
                                             ("child-noor", "care", 95.33, 1052, NOOR_MONTH)]
    assert detail["number"].startswith("2026-") and detail["filename"] == f"factuur-{detail['number']}.pdf"
    # The partner sees the same invoice; the PDF is Dutch and names both children and the amounts.
    mark = demo_login_header(world, "parent2@demo.ouderportaal.nl")
    assert [i["id"] for i in listed(world, mark)] == [invoice["id"]]
    text = pdf_text(services, invoice["id"])
    for expected in ("Factuur", detail["number"], "oktober 2026", "Noor de Vries", "Daan de Vries", "€ 1.002,91",
                     "€ 1.253,63", "€ 2.256,54", "Kinderopvang Demo B.V.", "NL91ABNA0417164300"):
        assert expected in text, expected


def test_the_download_is_a_five_minute_attachment_link(world, admin, parent):
    run(world, admin, "invoices", "2026-10")
    [invoice] = listed(world, parent)
    answer = world.get(f"/planning/invoices/{invoice['id']}/download", headers=parent)
    assert answer.status_code == 200
    query = parse_qs(urlparse(answer.json["url"]).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-disposition"][0].startswith("attachment; filename=\"factuur-")
    fetched = requests.get(answer.json["url"], timeout=10)  # moto answers the presigned URL in-process
    assert fetched.status_code == 200 and fetched.content.startswith(b"%PDF-")
    assert datetime.fromisoformat(answer.json["expires_at"]) > business_clock.now()


def test_running_a_month_twice_or_twice_at_once_never_duplicates_an_invoice(world, admin, parent, services,
                                                                           monkeypatch):
    from tests.test_planning_ledger import serialize_moto

    serialize_moto(monkeypatch)  # DynamoDB's per-request atomicity; the two runs interleave freely
    lib, outbox = services["planning"].lib, services["planning"].module.outbox
    results = []
    threads = [threading.Thread(target=lambda: results.append(lib.invoicing.run_invoices(outbox, "demo", "2026-09")))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and sum(r.created for r in results) == 10
    again = run(world, admin, "invoices", "2026-09")
    assert again["created"] == 0 and again["already_done"] == 11  # every child is on one invoice already
    claims = list(lib.store.ClaimItem.query(store.key("demo", "CLAIM", "invoice", "2026-09")))
    assert len(claims) == 11 and len({c.doc_id for c in claims}) == 10
    numbers = sorted(lib.documents.get("demo", c.doc_id).number for c in claims)
    assert sorted(set(numbers)) == [f"2026-{n:05d}" for n in range(1, 11)]  # no gaps, no repeats
    assert len(listed(world, parent)) == 1


def test_an_approved_extra_day_on_invoice_is_a_line_of_its_month(world, admin, services, clock):
    clock.set(datetime(2026, 10, 5, 9, 0, tzinfo=business_clock.AMSTERDAM))
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    asked = world.post("/planning/requests", headers=parent, json={
        "child_id": "child-noor", "payment": "invoice", "days": [{"date": "2026-10-06", "start": "07:30",
                                                                  "end": "13:00"}]})
    assert asked.status_code == 201, asked.json
    assert world.post(f"/planning/requests/{asked.json['id']}/decision", headers=staff,
                      json={"decision": "approve"}).status_code == 200
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=business_clock.AMSTERDAM))
    admin = demo_login_header(world, "admin@demo.ouderportaal.nl")
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    run(world, admin, "invoices", "2026-10")
    [invoice] = listed(world, parent)
    extra = 5786  # 5,5 h x € 10,52 = € 57,86
    assert invoice["amount_cents"] == NOOR_MONTH + DAAN_MONTH + extra
    lines = world.get(f"/planning/invoices/{invoice['id']}", headers=parent).json["lines"]
    assert [(li["kind"], li.get("date"), li["hours"], li["amount_cents"]) for li in lines if li["kind"] != "care"] == [
        ("extra", "2026-10-06", 5.5, extra)]
    assert "Extra dag Noor de Vries, 6 oktober 2026" in pdf_text(services, invoice["id"])


def test_used_flex_hours_are_invoiced_at_the_contract_rate(world, admin, services, clock):
    clock.set(datetime(2026, 9, 15, 9, 0, tzinfo=business_clock.AMSTERDAM))  # November is still open
    lotte = demo_login_header(world, "parent6@demo.ouderportaal.nl")
    staff = demo_login_header(world, "staff3@demo.ouderportaal.nl")
    asked = world.post("/planning/flex-requests", headers=lotte, json={"child_id": "child-mila", "days": [
        {"date": "2026-11-03", "start": "07:30", "end": "18:30"},
        {"date": "2026-11-05", "start": "13:00", "end": "18:30"}]})
    assert asked.status_code == 201, asked.json
    world.post(f"/planning/requests/{asked.json['id']}/decision", headers=staff, json={"decision": "approve"})
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=business_clock.AMSTERDAM))
    run(world, demo_login_header(world, "admin@demo.ouderportaal.nl"), "invoices", "2026-11")
    [invoice] = listed(world, demo_login_header(world, "parent6@demo.ouderportaal.nl"))
    assert invoice["amount_cents"] == 11572 + 5786  # 11 h and 5,5 h at € 10,52; a flex contract has no fixed part


def test_a_contract_that_starts_in_the_month_pays_pro_rata_by_days(world, admin, services):
    lib = services["planning"].lib
    contract = lib.contracts.contracts_of_child("demo", "child-noor")[0]
    contract.start = "2026-10-17"  # 15 of October's 31 days
    line = lib.billing.care_line(contract, "2026-10", 52)
    assert (line.start, line.end, line.minutes, line.amount_cents) == ("2026-10-17", "2026-10-31", 2768, 48528)
    # 68640 min a year x 15/372 = 2767.74 → 2768 min; x € 10,52/60 = 48528.39 → 48528 cents


@pytest.mark.parametrize("numerator, denominator, expected", [
    (5, 2, 3), (4, 2, 2), (1, 3, 0), (2, 3, 1), (0, 7, 0), (1, 2, 1), (10**15 + 1, 2, 5 * 10**14 + 1)])
def test_cents_round_half_up_without_floats(services, numerator, denominator, expected):
    assert services["planning"].lib.billing.half_up(numerator, denominator) == expected


def test_a_half_cent_rounds_up_on_an_invoice_line(services):
    lib = services["planning"].lib

    class Contract:  # 30 minutes a week x 52 weeks at 3 cents an hour: 6,5 cents a month
        product, child_id, location_id, start, end = "regular", "c", "loc", "2026-01-01", None
        hourly_rate_cents, days = 3, {"1": {"start": "07:30", "end": "08:00"}}

    assert lib.billing.care_line(Contract, "2026-10", 52).amount_cents == 7
    Contract.hourly_rate_cents = 1
    assert lib.billing.care_line(Contract, "2026-10", 52).amount_cents == 2  # 2,1666… → 2


def test_annual_statements_sum_the_years_invoices_per_child(world, admin, parent, services):
    for month in ("2025-09", "2025-10", "2025-11", "2025-12"):
        run(world, admin, "invoices", month)
    # December completing the year starts its statements by itself.
    state = world.get("/planning/admin/billing-runs/annual_statements/2025", headers=admin).json
    assert state["status"] == "done" and state["counts"]["created"] == 11  # Mila had no invoice
    statements = listed(world, parent, "annual-statements")
    assert sorted((s["title"], s["amount_cents"]) for s in statements) == [
        ("Jaaropgave 2025 Daan de Vries", 4 * DAAN_MONTH), ("Jaaropgave 2025 Noor de Vries", 4 * NOOR_MONTH)]
    noor = next(s for s in statements if "Noor" in s["title"])
    detail = world.get(f"/planning/annual-statements/{noor['id']}", headers=parent).json
    assert [(li["kind"], li["hours"], li["rate_cents"], li["amount_cents"]) for li in detail["lines"]] == [
        ("care", 381.33, 1052, 4 * NOOR_MONTH)]
    text = pdf_text(services, noor["id"])
    for expected in ("Jaaropgave", "2025", "Noor de Vries", "14 maart 2024", "123456789", "Kindcentrum De Zonnebloem",
                     "381,33", "€ 10,52", "€ 4.011,64", "12345678", "kinderopvangtoeslag"):
        assert expected in text, expected
    assert run(world, admin, "annual_statements", "2025")["created"] == 0  # once per child and year
    assert world.get(f"/planning/annual-statements/{noor['id']}/download", headers=parent).status_code == 200


@pytest.mark.parametrize("body, code", [
    ({"kind": "invoices", "period": "2026-11"}, "month_not_over"),
    ({"kind": "invoices", "period": "2027-01"}, "month_not_over"),
    ({"kind": "invoices", "period": "2026"}, "invalid_period"),
    ({"kind": "annual_statements", "period": "2026"}, "year_not_over"),
    ({"kind": "annual_statements", "period": "2025-12"}, "invalid_period"),
])
def test_runs_refuse_periods_that_are_not_over(world, admin, body, code):
    answer = world.post("/planning/admin/billing-runs", headers=admin, json=body)
    assert answer.status_code == 422 and answer.json["code"] == code, answer.json


@pytest.mark.parametrize("body", [
    {"kind": "invoices", "period": "2026-13"}, {"kind": "refunds", "period": "2026-10"},
    {"kind": "invoices", "period": "2026-10", "dry_run": True}, {"kind": "invoices"}, {"kind": "invoices",
                                                                                      "period": 202610}])
def test_runs_refuse_malformed_bodies(world, admin, body):
    answer = world.post("/planning/admin/billing-runs", headers=admin, json=body)
    assert answer.status_code in (400, 422) and answer.json["errors"], answer.json


def test_a_run_without_a_billing_profile_is_refused(world, tokens):
    other_admin = tokens.header(tenant="other", user_id="user-admin-x", role="admin")
    answer = world.post("/planning/admin/billing-runs", headers=other_admin,
                        json={"kind": "invoices", "period": "2026-10"})
    assert answer.status_code == 422 and answer.json["code"] == "billing_profile_missing"
    profile = world.put("/planning/admin/billing-profile", headers=other_admin, json={
        "name": "Andere Opvang B.V.", "kvk_number": "87654321", "iban": "NL02RABO0123456789"})
    assert profile.status_code == 200 and profile.json["weeks_per_year"] == 52
    assert world.get("/planning/admin/billing-profile", headers=other_admin).json["name"] == "Andere Opvang B.V."
    bad = world.put("/planning/admin/billing-profile", headers=other_admin, json={"name": "X", "kvk_number": "12"})
    assert bad.status_code in (400, 422)


def test_nobody_reaches_another_familys_invoice(world, admin, parent, tokens, services):
    run(world, admin, "invoices", "2026-10")
    [mine] = listed(world, parent)
    emma = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    [theirs] = listed(world, emma)
    for path in (f"/planning/invoices/{theirs['id']}", f"/planning/invoices/{theirs['id']}/download",
                 f"/planning/annual-statements/{mine['id']}", f"/planning/documents/{mine['id']}/download",
                 "/planning/invoices/inv-does-not-exist", "/planning/invoices/a%23b/download"):
        assert world.get(path, headers=parent).status_code == 404, path
    # A token of another tenant naming the same child and user ids sees nothing.
    twin = tokens.header(tenant="other", user_id="user-parent1", children=("child-noor", "child-daan"))
    assert world.get(f"/planning/invoices/{mine['id']}", headers=twin).status_code == 404
    assert world.get("/planning/invoices", headers=twin).json["items"] == []
    # Staff and admins have no parent's list; a parent has no admin route.
    assert world.get("/planning/invoices", headers=demo_login_header(world, "staff1@demo.ouderportaal.nl")
                     ).status_code == 403
    assert world.get("/planning/invoices", headers=admin).status_code == 403
    assert world.post("/planning/admin/billing-runs", headers=parent,
                      json={"kind": "invoices", "period": "2026-10"}).status_code == 403


def test_a_guardian_who_no_longer_holds_the_children_loses_their_invoices(world, admin, parent, tokens):
    run(world, admin, "invoices", "2026-10")
    [invoice] = listed(world, parent)
    unlinked = tokens.header(user_id="user-parent1", children=("child-liam",))  # as after an unlink
    assert world.get("/planning/invoices", headers=unlinked).json["items"] == []
    assert world.get(f"/planning/invoices/{invoice['id']}/download", headers=unlinked).status_code == 404


def test_lists_are_paged_newest_first(world, admin, parent):
    for month in ("2026-07", "2026-08", "2026-09", "2026-10"):
        run(world, admin, "invoices", month)
    first = world.get("/planning/invoices?limit=3", headers=parent).json
    assert [i["period"] for i in first["items"]] == ["2026-10", "2026-09", "2026-08"] and first["next_cursor"]
    rest = world.get(f"/planning/invoices?limit=3&cursor={first['next_cursor']}", headers=parent).json
    assert [i["period"] for i in rest["items"]] == ["2026-07"] and rest["next_cursor"] is None
    mark = demo_login_header(world, "parent2@demo.ouderportaal.nl")
    assert world.get(f"/planning/invoices?cursor={first['next_cursor']}", headers=mark).status_code == 400


def test_the_monthly_schedule_invoices_last_month_for_every_organisation(world, services, clock):
    clock.set(datetime(2026, 11, 1, 5, 0, tzinfo=business_clock.AMSTERDAM))
    assert run_schedule(services["planning"].module.monthly_billing) == 1  # the demo organisation
    parent = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    assert [i["period"] for i in listed(world, parent)] == ["2026-10"]


def test_a_long_run_continues_itself_through_planning_billing_run_requested(world, admin, parent, services, bus,
                                                                             monkeypatch):
    """A run stops at its time budget and publishes `planning.billing_run.requested` to continue in a fresh
    invocation; with a budget of nothing, each invocation issues one invoice and hands over."""
    monkeypatch.setattr(services["planning"].lib.routes_billing, "RUN_BUDGET_SECONDS", 1e-9)
    counts = run(world, admin, "invoices", "2026-10")
    assert counts == {"created": 10, "already_done": 0, "nothing_to_bill": 1, "without_guardian": 0, "lost_race": 0}
    requested = [e for e in bus.published if e.type == "planning.billing_run.requested"]
    assert len(requested) == 10  # the admin's request and nine continuations, one invoice each
    assert [e.payload["continuation"] for e in requested] == [False] + [True] * 9
    assert len(listed(world, parent)) == 1
    assert len(list(services["planning"].lib.store.ClaimItem.query("demo#CLAIM#invoice#2026-10"))) == 11
