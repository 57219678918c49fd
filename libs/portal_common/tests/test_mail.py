"""Transactional e-mail: templates in Dutch and English, escaped HTML, sent through SES (moto)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from portal_common import aws as pc_aws
from portal_common import mail, settings

KEY = "pctest.welcome"
NAME = '<script>alert("x")</script> Sanne & Co'


@pytest.fixture(autouse=True)
def template():
    before = dict(mail.TEMPLATES)
    mail.register_template(
        KEY,
        subject={"nl": "Welkom, {name}", "en": "Welcome, {name}"},
        text={"nl": "Hallo {name}, activeer: {link}", "en": "Hello {name}, activate: {link}"},
        html={"nl": '<p>Hallo {name}, <a href="{link}">activeer</a></p>',
              "en": '<p>Hello {name}, <a href="{link}">activate</a></p>'},
    )
    yield
    mail.TEMPLATES.clear()
    mail.TEMPLATES.update(before)


def test_render_dutch_and_english():
    nl = mail.render(KEY, "nl", {"name": "Sanne", "link": "https://x/a"})
    en = mail.render(KEY, "en", {"name": "Sanne", "link": "https://x/a"})
    assert nl.subject == "Welkom, Sanne" and en.subject == "Welcome, Sanne"
    assert nl.text.startswith("Hallo Sanne, activeer: https://x/a") and mail.FOOTER["nl"] in nl.text
    assert en.text.startswith("Hello Sanne") and mail.FOOTER["en"] in en.text
    assert '<html lang="nl">' in nl.html and '<html lang="en">' in en.html
    assert mail.FOOTER["en"] in en.html


def test_unknown_language_falls_back_to_dutch():
    assert mail.render(KEY, "fr", {"name": "A", "link": "L"}).subject == "Welkom, A"


def test_values_are_escaped_in_html_only():
    link = 'https://x/?a=1&b="2"'
    rendered = mail.render(KEY, "en", {"name": NAME, "link": link})
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Sanne &amp; Co" in rendered.html
    assert 'href="https://x/?a=1&amp;b=&quot;2&quot;"' in rendered.html
    # The subject appears escaped in the HTML title and heading, as is in the Subject header.
    assert rendered.subject == f"Welcome, {NAME}"
    assert f"<title>Welcome, {html.escape(NAME)}</title>" in rendered.html
    assert f"<h1 style=\"font-size:20px\">Welcome, {html.escape(NAME)}</h1>" in rendered.html
    # Plain text is not HTML: no entities there.
    assert NAME in rendered.text and link in rendered.text and "&amp;" not in rendered.text


@pytest.mark.parametrize("part", ["subject", "text", "html"])
def test_template_lacking_a_language_is_refused(part):
    parts: dict[str, Any] = {"subject": {"nl": "a", "en": "a"}, "text": {"nl": "b", "en": "b"},
                             "html": {"nl": "c", "en": "c"}}
    parts[part] = {"nl": "only Dutch"}
    with pytest.raises(ValueError, match="en"):
        mail.register_template("pctest.incomplete", **parts)
    assert "pctest.incomplete" not in mail.TEMPLATES


def test_missing_value_is_an_error():
    with pytest.raises(KeyError):
        mail.render(KEY, "nl", {"name": "Sanne"})


def test_send_through_ses(aws):
    sender = settings.get_settings().mail_sender
    aws("ses").verify_email_identity(EmailAddress=sender)
    sent_params: list[dict[str, Any]] = []
    pc_aws.client("ses").meta.events.register(
        "provide-client-params.ses.SendEmail", lambda params, **_: sent_params.append(params))

    message_id = mail.send(KEY, to="ouder@example.nl", lang="en", name=NAME, link="https://x/a")

    backend = ses_backends[DEFAULT_ACCOUNT_ID][settings.get_settings().region]
    (message,) = backend.sent_messages
    assert message.id == message_id
    assert message.source == sender
    assert message.destinations == {"ToAddresses": ["ouder@example.nl"]}
    assert message.subject == f"Welcome, {NAME}"
    assert "&lt;script&gt;" in message.body and "<script>" not in message.body  # moto keeps the HTML part
    (params,) = sent_params
    body = params["Message"]["Body"]
    assert body["Text"]["Data"].startswith(f"Hello {NAME}, activate: https://x/a")
    assert body["Html"]["Data"] == message.body
    assert body["Text"]["Charset"] == body["Html"]["Charset"] == params["Message"]["Subject"]["Charset"] == "UTF-8"


def test_send_from_an_unverified_sender_fails(aws):
    with pytest.raises(ClientError, match="MessageRejected"):
        mail.send(KEY, to="ouder@example.nl", lang="nl", name="Sanne", link="https://x/a")
