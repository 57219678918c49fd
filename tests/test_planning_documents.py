"""Family documents an admin uploads (e.g. the signed contract), and the refusals of every document route.

An upload is a presigned POST straight to S3 (moto answers it in-process), then `complete`, which
checks the file really is a PDF within the declared size before any guardian sees it.
"""

from __future__ import annotations

import pytest
import requests

from tests.auth_helpers import demo_login_header

PDF = b"%PDF-1.4\n% a signed contract\n%%EOF\n"


@pytest.fixture
def admin(world):
    return demo_login_header(world, "admin@demo.ouderportaal.nl")


def start(world, admin, **overrides):
    body = {"child_id": "child-noor", "title": "Getekend contract 2026", "filename": "contract-noor.pdf",
            "content_type": "application/pdf", "size": len(PDF), **overrides}
    return world.post("/planning/admin/documents", headers=admin, json=body)


def upload(form, data=PDF):
    answer = requests.post(form["url"], data=form["fields"], files={"file": ("contract.pdf", data)}, timeout=10)
    assert answer.status_code in (200, 204), answer.text


def test_an_admin_uploads_a_document_the_family_lists_and_downloads(world, admin, parent):
    started = start(world, admin)
    assert started.status_code == 201, started.json
    form = started.json
    assert form["fields"]["x-amz-server-side-encryption"] == "AES256"
    assert form["fields"]["Content-Type"] == "application/pdf"
    assert world.get("/planning/documents", headers=parent).json["items"] == []  # not before it is complete
    upload(form)
    done = world.post(f"/planning/admin/documents/{form['id']}/complete", headers=admin)
    assert done.status_code == 200 and done.json["status"] == "available", done.json
    assert done.json["guardian_ids"] == ["user-parent1", "user-parent2"]
    [listed] = world.get("/planning/documents", headers=parent).json["items"]
    assert (listed["id"], listed["title"], listed["kind"], listed["amount_cents"]) == (
        form["id"], "Getekend contract 2026", "document", None)
    link = world.get(f"/planning/documents/{form['id']}/download", headers=parent).json["url"]
    fetched = requests.get(link, timeout=10)
    assert fetched.content == PDF and 'filename="contract-noor.pdf"' in fetched.headers["Content-Disposition"]
    # Completing again changes nothing; withdrawing removes it from the list and from S3.
    assert world.post(f"/planning/admin/documents/{form['id']}/complete", headers=admin).status_code == 200
    assert world.delete(f"/planning/admin/documents/{form['id']}", headers=admin).status_code == 204
    assert world.get("/planning/documents", headers=parent).json["items"] == []
    assert world.get(f"/planning/documents/{form['id']}/download", headers=parent).status_code == 404
    assert requests.get(link, timeout=10).status_code in (403, 404)  # S3 says 403 for a missing key


@pytest.mark.parametrize("data", [b"<html>not a pdf</html>", PDF + b"x" * 100])
def test_a_file_that_is_not_a_pdf_or_larger_than_declared_is_not_shared(world, admin, parent, data):
    form = start(world, admin).json
    upload(form, data)
    refused = world.post(f"/planning/admin/documents/{form['id']}/complete", headers=admin)
    assert refused.status_code == 422 and refused.json["code"] == "upload_not_a_pdf"
    assert world.get(f"/planning/admin/documents/{form['id']}", headers=admin).json["status"] == "uploading"
    assert world.get("/planning/documents", headers=parent).json["items"] == []


def test_completing_before_uploading_is_refused(world, admin):
    form = start(world, admin).json
    refused = world.post(f"/planning/admin/documents/{form['id']}/complete", headers=admin)
    assert refused.status_code == 422 and refused.json["code"] == "upload_not_a_pdf"


@pytest.mark.parametrize("overrides", [
    {"content_type": "image/jpeg"}, {"size": 0}, {"size": 10 * 1024 * 1024 + 1}, {"size": "large"},
    {"filename": "../../etc/passwd"}, {"filename": "contract.exe"}, {"child_id": "a#b"}, {"title": ""},
    {"owner": "me"},
])
def test_upload_requests_with_bad_input_are_refused(world, admin, overrides):
    answer = start(world, admin, **overrides)
    assert answer.status_code in (400, 422) and answer.json["errors"], answer.json
    assert answer.headers["Content-Type"].startswith("application/problem+json")


def test_uploads_for_an_unknown_child_or_a_child_without_guardians_are_refused(world, admin, services):
    assert start(world, admin, child_id="child-nobody").status_code == 404
    auth = services["auth"].module
    auth.directory.create_child("demo", "child-alone", "Alleen", "2024-01-01", group_id="grp-rupsen",
                                start="2026-01-01")
    alone = start(world, admin, child_id="child-alone")
    assert alone.status_code == 422 and alone.json["code"] == "no_guardians"


def test_invoices_and_statements_cannot_be_withdrawn(world, admin, services):
    world.post("/planning/admin/billing-runs", headers=admin, json={"kind": "invoices", "period": "2026-10"})
    sanne = demo_login_header(world, "parent1@demo.ouderportaal.nl")
    [invoice] = world.get("/planning/invoices", headers=sanne).json["items"]
    refused = world.delete(f"/planning/admin/documents/{invoice['id']}", headers=admin)
    assert refused.status_code == 422 and refused.json["code"] == "issued_documents_stay"


def test_document_routes_refuse_other_families_non_admins_and_other_tenants(world, admin, parent, tokens):
    form = start(world, admin).json
    upload(form)
    world.post(f"/planning/admin/documents/{form['id']}/complete", headers=admin)
    world.post("/planning/admin/billing-runs", headers=admin, json={"kind": "invoices", "period": "2025-12"})
    world.post("/planning/admin/billing-runs", headers=admin, json={"kind": "invoices", "period": "2026-10"})
    [statement, _] = world.get("/planning/annual-statements", headers=parent).json["items"]
    [invoice, _] = world.get("/planning/invoices", headers=parent).json["items"]
    doc_id = form["id"]
    # Another family: every object route answers 404, the lists hold nothing of ours.
    emma = demo_login_header(world, "parent3@demo.ouderportaal.nl")
    for path in (f"/planning/documents/{doc_id}", f"/planning/documents/{doc_id}/download",
                 f"/planning/annual-statements/{statement['id']}", f"/planning/annual-statements/{statement['id']}/"
                 "download", f"/planning/invoices/{invoice['id']}", f"/planning/invoices/{invoice['id']}/download"):
        assert world.get(path, headers=emma).status_code == 404, path
    for segment in ("documents", "annual-statements", "invoices"):
        assert all("child-noor" not in i["child_ids"] for i in
                   world.get(f"/planning/{segment}", headers=emma).json["items"])
    # A document of one kind is not found under another kind's route.
    assert world.get(f"/planning/invoices/{statement['id']}", headers=parent).status_code == 404
    # Staff and managers have neither the parents' lists nor the admin routes.
    staff = demo_login_header(world, "staff1@demo.ouderportaal.nl")
    manager = demo_login_header(world, "manager@demo.ouderportaal.nl")
    admin_routes = [("GET", "/planning/admin/billing-profile", None),
                    ("PUT", "/planning/admin/billing-profile", {"name": "Overname B.V."}),
                    ("POST", "/planning/admin/billing-runs", {"kind": "invoices", "period": "2026-10"}),
                    ("GET", "/planning/admin/billing-runs/invoices/2026-10", None),
                    ("POST", "/planning/admin/documents", {"child_id": "child-noor", "title": "x",
                                                           "filename": "x.pdf", "content_type": "application/pdf",
                                                           "size": 10}),
                    ("GET", f"/planning/admin/documents/{doc_id}", None),
                    ("POST", f"/planning/admin/documents/{doc_id}/complete", None),
                    ("DELETE", f"/planning/admin/documents/{doc_id}", None)]
    for caller in (parent, staff, manager):
        assert world.get("/planning/documents", headers=caller).status_code == (200 if caller is parent else 403)
        for method, path, body in admin_routes:
            assert world.open(path, method=method, headers=caller, json=body).status_code == 403, (method, path)
    # Another tenant's admin: the objects do not exist there, and its runs and profile are its own.
    other = tokens.header(tenant="other", user_id="user-admin", role="admin")
    for method, path, _ in admin_routes[5:]:
        assert world.open(path, method=method, headers=other).status_code == 404, (method, path)
    assert world.get("/planning/admin/billing-runs/invoices/2026-10", headers=other).status_code == 404
    assert world.get("/planning/admin/billing-profile", headers=other).json["name"] == ""
    assert world.post("/planning/admin/documents", headers=other, json=admin_routes[4][2]).status_code == 404
    twin = tokens.header(tenant="other", user_id="user-parent1", children=("child-noor",))
    assert world.get(f"/planning/documents/{doc_id}/download", headers=twin).status_code == 404
    # Ours is untouched by all of it.
    assert world.get(f"/planning/documents/{doc_id}/download", headers=parent).status_code == 200
    assert world.get("/planning/admin/billing-profile", headers=admin).json["name"] == "Kinderopvang Demo B.V."
