"""Attachments (the paperclip): presigned uploads checked by their bytes, images cleaned of their metadata,
downloads only for whoever may read what they are attached to.

Demo: Sanne (parent1) is Noor's mother (Rupsen, loc-zonnebloem), Emma (parent3) Liam's; Marieke is the
location's manager. The clock stands on Tuesday 24 November 2026, 09:00.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import pytest
import requests
from PIL import Image

from tests.auth_helpers import demo_login_header, run_schedule
from tests.test_timeline_uploads import jpeg_with_gps

PDF = b"%PDF-1.7\n% het beleid\n1 0 obj << >> endobj\n%%EOF\n"
ATTACHMENTS = "/messaging/attachments"


def login(world, who: str) -> dict[str, str]:
    return demo_login_header(world, f"{who}@demo.ouderportaal.nl")


def ask(world, headers, *, file_name="brief.pdf", content_type="application/pdf", size=None, data=PDF, **extra):
    body = {"file_name": file_name, "content_type": content_type, "size": len(data) if size is None else size, **extra}
    return world.post(ATTACHMENTS, headers=headers, json=body)


def send(form, data) -> None:
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("f", data)}, timeout=10)
    assert sent.status_code == 204, sent.text  # S3 answers a presigned POST without a body


def upload(world, headers, data=PDF, **kwargs) -> str:
    """A completed upload's id."""
    started = ask(world, headers, data=data, **kwargs)
    assert started.status_code == 201, started.json
    send(started.json, data)
    done = world.post(f"{ATTACHMENTS}/{started.json['attachment_id']}/complete", headers=headers)
    assert done.status_code == 200 and done.json["status"] == "ready", done.json
    return started.json["attachment_id"]


def fetch(world, headers, attachment_id) -> requests.Response:
    answer = world.get(f"{ATTACHMENTS}/{attachment_id}", headers=headers)
    assert answer.status_code == 200, answer.json
    return requests.get(answer.json["url"], timeout=10)


def stored_keys(services) -> list[str]:
    lib = services["messaging"].lib.attachments.store
    listed = lib.aws.client("s3").list_objects_v2(Bucket=lib.bucket())
    return sorted(o["Key"] for o in listed.get("Contents", []))


def unclaimed(services) -> list[str]:
    """Every upload not attached to anything (the due index of the expiry job)."""
    lib = services["messaging"].lib.attachments.store
    return [i.attachment_id for i in lib.AttachmentItem.gsi1.query(lib.DUE_INDEX)]


def _with_gps(fmt: str) -> bytes:
    image = Image.open(io.BytesIO(jpeg_with_gps()))
    out = io.BytesIO()
    image.save(out, fmt, exif=image.getexif())
    return out.getvalue()


def png_with_gps() -> bytes:
    return _with_gps("PNG")


def webp_with_gps() -> bytes:
    return _with_gps("WEBP")


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 million pixels in a few kilobytes
    return out.getvalue()


def test_a_pdf_goes_up_through_a_presigned_post_and_down_through_a_short_link(world, parent, services):
    started = ask(world, parent, file_name="Ziekmelding Noor.pdf")
    assert started.status_code == 201, started.json
    form = started.json
    assert form["fields"]["x-amz-server-side-encryption"] == "AES256"
    assert form["fields"]["key"] == f"tmp/demo/{form['attachment_id']}"
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert ["content-length-range", 1, len(PDF)] in policy["conditions"]
    assert {"x-amz-server-side-encryption": "AES256"} in policy["conditions"]
    send(form, PDF)
    done = world.post(f"{ATTACHMENTS}/{form['attachment_id']}/complete", headers=parent)
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["size"], done.json["file_name"]) == ("ready", len(PDF),
                                                                                "Ziekmelding Noor.pdf")
    assert stored_keys(services) == [f"demo/{form['attachment_id']}"]  # the raw upload is gone
    link = world.get(f"{ATTACHMENTS}/{form['attachment_id']}", headers=parent).json
    assert (link["file_name"], link["content_type"], link["size"]) == ("Ziekmelding Noor.pdf", "application/pdf",
                                                                       len(PDF))
    assert "X-Amz-Expires=300" in link["url"]
    got = requests.get(link["url"], timeout=10)
    assert got.content == PDF
    assert got.headers["Content-Disposition"].startswith('attachment; filename="Ziekmelding Noor.pdf"')
    # Nobody else reaches an upload that is not attached to anything yet.
    for other in (login(world, "parent3"), login(world, "manager"), login(world, "admin")):
        assert world.get(f"{ATTACHMENTS}/{form['attachment_id']}", headers=other).status_code == 404
    assert world.post(f"{ATTACHMENTS}/{form['attachment_id']}/complete",
                      headers=login(world, "parent3")).status_code == 404


@pytest.mark.parametrize("make, content_type, file_name", [
    (jpeg_with_gps, "image/jpeg", "foto.jpg"), (png_with_gps, "image/png", "foto.png"),
    (webp_with_gps, "image/webp", "foto.webp")])
def test_images_lose_their_gps_and_every_other_metadata(world, parent, make, content_type, file_name):
    original = make()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the fixture really has GPS
    attachment_id = upload(world, parent, data=original, file_name=file_name, content_type=content_type)
    got = fetch(world, parent, attachment_id).content
    cleaned = Image.open(io.BytesIO(got))
    assert cleaned.format == content_type.split("/")[1].upper()
    assert cleaned.size == (800, 600)
    assert not cleaned.getexif() and not cleaned.getexif().get_ifd(0x8825)
    assert b"SpyCam" not in got and b"Exif" not in got


def test_an_image_is_turned_upright_before_its_orientation_tag_goes(world, parent):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    out = io.BytesIO()
    Image.new("RGB", (400, 200), (10, 200, 10)).save(out, "JPEG", exif=exif)
    attachment_id = upload(world, parent, data=out.getvalue(), file_name="scheef.jpeg", content_type="image/jpeg")
    assert Image.open(io.BytesIO(fetch(world, parent, attachment_id).content)).size == (200, 400)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("data, content_type, file_name, size, reason", [
    (b"just some text, honestly a pdf", "application/pdf", "echt.pdf", None, "not_a_pdf"),
    (_png(), "image/jpeg", "foto.jpg", None, "type_mismatch"),
    (PDF, "image/png", "plaatje.png", None, "type_mismatch"),
    (PDF + b"x" * 100, "application/pdf", "groot.pdf", len(PDF), "too_large"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg", "kapot.jpg", None, "unreadable_image"),
    (_bomb(), "image/png", "groot.png", None, "too_many_pixels"),
])
def test_files_that_are_not_what_they_claim_are_refused_and_deleted(world, parent, services, data, content_type,
                                                                     file_name, size, reason):
    started = ask(world, parent, data=data, file_name=file_name, content_type=content_type, size=size).json
    send(started, data)
    path = f"{ATTACHMENTS}/{started['attachment_id']}"
    refused = world.post(f"{path}/complete", headers=parent)
    assert refused.status_code == 422 and refused.json["code"] == reason, refused.json
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert stored_keys(services) == []
    again = world.post(f"{path}/complete", headers=parent)
    assert again.status_code == 422 and again.json["code"] == reason
    assert world.get(path, headers=parent).status_code == 404


def test_completing_before_uploading_is_refused_and_the_form_still_works(world, parent):
    started = ask(world, parent).json
    early = world.post(f"{ATTACHMENTS}/{started['attachment_id']}/complete", headers=parent)
    assert early.status_code == 422 and early.json["code"] == "not_uploaded"
    assert early.json["detail"] == "Het bestand is nog niet geüpload."
    send(started, PDF)
    assert world.post(f"{ATTACHMENTS}/{started['attachment_id']}/complete", headers=parent).json["status"] == "ready"


INVALID = "validation_error"


@pytest.mark.parametrize("overrides, status, code", [
    ({"size": 10 * 1024 * 1024 + 1}, 422, INVALID), ({"size": 0}, 422, INVALID), ({"size": "large"}, 400, INVALID),
    ({"size": 1.5}, 400, INVALID), ({"content_type": "text/plain"}, 400, INVALID),
    ({"content_type": "image/gif", "file_name": "x.gif"}, 400, INVALID),
    ({"file_name": "../../etc/passwd.pdf"}, 422, INVALID), ({"file_name": ""}, 422, INVALID),
    ({"file_name": "a" * 201}, 422, INVALID), ({"file_name": 'say "hi".pdf'}, 422, INVALID),
    ({"file_name": "virus.exe"}, 422, "extension_mismatch"), ({"owner": "me"}, 400, INVALID),
])
def test_upload_requests_with_bad_input_are_refused(world, parent, services, overrides, status, code):
    answer = ask(world, parent, **overrides)
    assert answer.status_code == status and answer.json["errors"], answer.json
    assert answer.json["code"] == code, answer.json
    assert unclaimed(services) == []


def test_an_unclaimed_upload_expires_with_its_file(world, parent, services, clock):
    attachment_id = upload(world, parent)
    assert world.get(f"{ATTACHMENTS}/{attachment_id}", headers=parent).status_code == 200
    messaging = services["messaging"].module
    assert run_schedule(messaging.expire_attachments) == 0
    clock.advance(timedelta(days=1, minutes=1))
    parent = login(world, "parent1")
    assert world.get(f"{ATTACHMENTS}/{attachment_id}", headers=parent).status_code == 404
    clock.advance(timedelta(minutes=15))
    assert run_schedule(messaging.expire_attachments) == 1
    assert stored_keys(services) == []
    assert services["messaging"].lib.attachments.store.get("demo", attachment_id) is None
    assert run_schedule(messaging.expire_attachments) == 0


def test_attachment_routes_refuse_other_users_and_other_tenants(world, parent, tokens):
    attachment_id = upload(world, parent)
    pending = ask(world, parent).json["attachment_id"]
    path = f"{ATTACHMENTS}/{attachment_id}"
    others = [login(world, "parent3"), login(world, "staff1"), login(world, "manager"), login(world, "admin"),
              tokens.header(tenant="other", role="parent", user_id="user-parent1", children=("child-noor",),
                            locations=("loc-zonnebloem",)),
              tokens.header(tenant="other", role="admin", user_id="user-admin")]
    for other in others:
        assert world.get(path, headers=other).status_code == 404
        assert world.post(f"{ATTACHMENTS}/{pending}/complete", headers=other).status_code == 404
        assert world.get(f"{ATTACHMENTS}/att-{'0' * 26}", headers=other).status_code == 404
    assert world.get(f"{ATTACHMENTS}/..%2Fsecret", headers=parent).status_code == 404
    assert world.post(ATTACHMENTS, json={"file_name": "a.pdf", "content_type": "application/pdf",
                                         "size": 10}).status_code == 401
    assert world.get(path, headers=parent).status_code == 200  # the uploader, untouched by all of it


def test_an_attachment_of_a_message_reaches_the_conversations_participants_only(world, parent, staff):
    conversation = world.post("/messaging/conversations", headers=parent,
                              json={"child_id": "child-noor", "text": "Zie de brief van de huisarts."})
    assert conversation.status_code == 201, conversation.json
    letter = upload(world, parent, file_name="huisarts.pdf")
    sent = world.post(f"/messaging/conversations/{conversation.json['id']}/messages", headers=parent,
                      json={"text": "In de bijlage.", "attachment_ids": [letter]})
    assert sent.status_code == 201, sent.json
    assert fetch(world, staff, letter).content == PDF  # Noor's group staff
    assert fetch(world, login(world, "parent2"), letter).content == PDF  # Noor's father
    for other in (login(world, "parent3"), login(world, "staff2")):  # another family, another group
        assert world.get(f"{ATTACHMENTS}/{letter}", headers=other).status_code == 404
    again = world.post(f"/messaging/conversations/{conversation.json['id']}/messages", headers=parent,
                       json={"text": "Nog eens.", "attachment_ids": [letter]})
    assert again.status_code == 422 and again.json["code"] == "unknown_attachment"
