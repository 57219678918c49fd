"""Messaging's "done when" on the real local stack (`python -m infra.local`), the parts the notifications'
e2e leaves out: staff see a parent's message unread and answer, the parent sees the answer with its date and
time and read state; a manager's news item with a PDF attachment reaches the location's parents, who
download the PDF; the demo's location page, news and conversations are there for a newcomer.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from tests.e2e.helpers import Client, eventually, new_family
from tests.e2e.test_local_stack_uploads import _headers

pytestmark = pytest.mark.e2e


def test_staff_see_the_message_unread_answer_and_the_parent_reads_the_answer(stack):
    base = stack.base_url
    with Client(base) as client:  # a family of the test's own: the stack is shared
        family = new_family(client, client.bearer("admin@demo.ouderportaal.nl"))
        fatima = client.bearer(family["email"])
    ilse = _headers(base, "staff1@demo.ouderportaal.nl")
    before = requests.get(f"{base}/messaging/unread", headers=ilse, timeout=10).json()["total"]

    def start():  # messaging learns of the new family through the queues
        answer = requests.post(f"{base}/messaging/conversations", headers=fatima, timeout=10,
                               json={"child_id": family["child_id"], "text": "Heeft Yara haar knuffel laten liggen?"})
        return answer if answer.status_code != 404 else None
    started = eventually(start, "messaging knowing the new family")
    assert started.status_code == 201, started.text  # the family's first conversation
    conversation = started.json()["id"]
    assert requests.get(f"{base}/messaging/unread", headers=ilse, timeout=10).json()["total"] == before + 1
    inbox = requests.get(f"{base}/messaging/conversations?group_id=grp-rupsen&unread=true", headers=ilse,
                         timeout=10).json()["items"]
    mine = next(i for i in inbox if i["id"] == conversation)
    assert mine["child"]["name"] == family["name"] and mine["unread_count"] == 1
    assert requests.post(f"{base}/messaging/conversations/{conversation}/read", headers=ilse,
                         timeout=10).status_code == 204
    answer = requests.post(f"{base}/messaging/conversations/{conversation}/messages", headers=ilse, timeout=10,
                           json={"text": "Ja, hij ligt in haar bakje."})
    assert answer.status_code == 201, answer.text
    assert requests.get(f"{base}/messaging/unread", headers=fatima, timeout=10).json()["total"] == 1
    messages = requests.get(f"{base}/messaging/conversations/{conversation}/messages", headers=fatima,
                            timeout=10).json()["items"]
    newest = messages[0]
    assert newest["text"] == "Ja, hij ligt in haar bakje." and newest["sender"]["role"] == "staff"
    assert newest["sender"]["name"] == "Ilse van Dam"
    assert datetime.fromisoformat(newest["sent_at"]).tzinfo is not None  # date and time, with its offset
    asked = next(m for m in messages if m["text"] == "Heeft Yara haar knuffel laten liggen?")
    assert "user-staff1" in [r["id"] for r in asked["read_by"]]  # Fatima sees the staff read it


def test_a_managers_news_with_a_pdf_reaches_the_locations_parents(stack):
    base = stack.base_url
    manager = _headers(base, "manager@demo.ouderportaal.nl")
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
          b"trailer<</Root 1 0 R>>\n%%EOF\n"
    form = requests.post(f"{base}/messaging/attachments", headers=manager, timeout=10,
                         json={"file_name": "programma.pdf", "content_type": "application/pdf", "size": len(pdf)})
    assert form.status_code == 201, form.text
    sent = requests.post(form.json()["url"], data=form.json()["fields"], files={"file": ("programma.pdf", pdf)},
                         timeout=10)
    assert sent.status_code in (200, 204), sent.text
    attachment = form.json()["attachment_id"]
    assert requests.post(f"{base}/messaging/attachments/{attachment}/complete", headers=manager,
                         timeout=10).status_code == 200
    posted = requests.post(f"{base}/messaging/news", headers=manager, timeout=10, json={
        "title": "Ouderavond", "body": "Het programma zit in de bijlage.", "location_id": "loc-zonnebloem",
        "attachment_ids": [attachment]})
    assert posted.status_code == 201, posted.text
    sanne = _headers(base, "parent1@demo.ouderportaal.nl")
    news = requests.get(f"{base}/messaging/news", headers=sanne, timeout=10).json()["items"]
    item = next(n for n in news if n["title"] == "Ouderavond")
    assert [a["file_name"] for a in item["attachments"]] == ["programma.pdf"]
    link = requests.get(f"{base}/messaging/attachments/{attachment}", headers=sanne, timeout=10)
    assert link.status_code == 200, link.text
    assert requests.get(link.json()["url"], timeout=10).content == pdf
    # The demo's own content is there too: the pinned holiday news with its PDF, and the location page.
    pinned = next(n for n in news if n["title"] == "Openingstijden rond de feestdagen")
    assert pinned["pinned"] and pinned["attachments"][0]["content_type"] == "application/pdf"
    page = requests.get(f"{base}/messaging/locations/loc-zonnebloem", headers=sanne, timeout=10).json()
    assert len(page["opening_hours"]) == 5 and page["policies"]["safety_health"][0]["current"]
    assert requests.get(f"{base}/messaging/newsletters", headers=sanne, timeout=10).json()["items"]
