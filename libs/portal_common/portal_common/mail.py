"""Transactional e-mail through SES, in Dutch and English, as HTML and plain text.

For the mails that go out whatever a user's notification settings say (activation, password reset,
confirmations). Services register templates; values are HTML-escaped in the HTML part.

    mail.register_template("auth.activation", subject={...}, text={...}, html={...})
    mail.send("auth.activation", to="a@b.nl", lang="en", name="Sanne", link="https://…")
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import aws
from .i18n import DEFAULT_LANGUAGE, LANGUAGES
from .settings import get_settings


@dataclass(frozen=True)
class Template:
    subject: Mapping[str, str]
    text: Mapping[str, str]
    html: Mapping[str, str]


TEMPLATES: dict[str, Template] = {}

LAYOUT = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{subject}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#1f2933;max-width:560px;
margin:0 auto;padding:24px">
<h1 style="font-size:20px">{subject}</h1>
{content}
<hr style="border:none;border-top:1px solid #d9e2ec;margin-top:32px">
<p style="font-size:12px;color:#627d98">{footer}</p>
</body></html>"""

FOOTER = {
    "nl": "Dit is een automatisch bericht van het ouderportaal. Je kunt er niet op antwoorden.",
    "en": "This is an automatic message from the parent portal. Replies are not read.",
}


def register_template(key: str, *, subject: Mapping[str, str], text: Mapping[str, str],
                      html: Mapping[str, str]) -> None:
    for part in (subject, text, html):
        missing = set(LANGUAGES) - set(part)
        if missing:
            raise ValueError(f"template {key} lacks {sorted(missing)}")
    TEMPLATES[key] = Template(subject, text, html)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(key: str, lang: str, values: Mapping[str, Any]) -> Rendered:
    template = TEMPLATES[key]
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    subject = template.subject[lang].format(**values)
    text = template.text[lang].format(**values) + "\n\n-- \n" + FOOTER[lang] + "\n"
    escaped = {k: html.escape(str(v)) for k, v in values.items()}
    content = template.html[lang].format(**escaped)
    body = LAYOUT.format(lang=lang, subject=html.escape(subject), content=content, footer=FOOTER[lang])
    return Rendered(subject, text, body)


def send(key: str, *, to: str, lang: str, **values: Any) -> str:
    """Render and send one e-mail; returns SES's message id."""
    rendered = render(key, lang, values)
    result = aws.client("ses").send_email(
        Source=get_settings().mail_sender,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": rendered.subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": rendered.text, "Charset": "UTF-8"},
                "Html": {"Data": rendered.html, "Charset": "UTF-8"},
            },
        },
    )
    return str(result["MessageId"])
