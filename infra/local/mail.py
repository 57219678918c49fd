"""Mail sent through SES, read back from moto's in-process backend (`GET /dev/mail`, `/dev/mail.json`).

moto keeps only one body per `SendEmail` (the HTML part when there is one) and no timestamp, so the
local stack wraps moto's SES `send_email` response handler once per process to attach the text part,
the HTML part and the business-clock time to moto's own message record. Raw messages
(`SendRawEmail`) are parsed from their MIME source.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import logging
import threading
from typing import Any

from portal_common import clock

log = logging.getLogger("infra.local")
_patched = False
_patch_lock = threading.Lock()
_sequence = itertools.count(1)


def keep_both_parts() -> None:
    """Make moto remember the text and HTML part and the send time of every SendEmail (idempotent)."""
    global _patched
    with _patch_lock:
        if _patched:
            return
        from moto.ses.responses import EmailResponse

        original = EmailResponse.send_email

        def send_email(self: Any) -> Any:
            result: Any = original(self)
            try:
                message_id = result.result["MessageId"]
                for message in reversed(self.backend.sent_messages):
                    if getattr(message, "id", None) == message_id:
                        message.portal_text = self._get_param("Message.Body.Text.Data")
                        message.portal_html = self._get_param("Message.Body.Html.Data")
                        message.portal_sent_at = clock.now().isoformat(timespec="seconds")
                        message.portal_seq = next(_sequence)
                        break
            except (AttributeError, KeyError, TypeError):  # moto's internals changed: keep its one body
                log.debug("could not attach both mail parts", exc_info=True)
            return result

        EmailResponse.send_email = send_email  # type: ignore[method-assign]
        _patched = True


def _addresses(destinations: Any) -> list[str]:
    if isinstance(destinations, dict):
        return list(destinations.get("ToAddresses") or []) + list(destinations.get("CcAddresses") or [])
    return [str(d) for d in destinations or []]


def _from_raw(raw: str) -> tuple[str, str, str | None, str | None]:
    msg = email.message_from_string(raw, policy=email.policy.default)
    text = html = None
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and text is None:
            text = part.get_content()
        elif kind == "text/html" and html is None:
            html = part.get_content()
    return str(msg.get("To", "")), str(msg.get("Subject", "")), text, html


def _as_dict(message: Any) -> dict[str, Any]:
    if not hasattr(message, "portal_seq"):
        # Sent before the patch, or a kind the patch does not see: number it when first read.
        message.portal_seq = next(_sequence)
        message.portal_sent_at = clock.now().isoformat(timespec="seconds")
    text: str | None
    html: str | None
    if hasattr(message, "raw_data"):
        to, subject, text, html = _from_raw(message.raw_data)
        to = to or ", ".join(_addresses(message.destinations))
    else:
        to = ", ".join(_addresses(getattr(message, "destinations", {})))
        subject = str(getattr(message, "subject", None) or getattr(message, "template", ""))
        body = getattr(message, "body", None) or getattr(message, "template_data", "") or ""
        text = getattr(message, "portal_text", None)
        html = getattr(message, "portal_html", None)
        if text is None and html is None:
            looks_html = body.lstrip()[:1] == "<"
            text, html = (None, body) if looks_html else (body, None)
    return {
        "id": getattr(message, "id", None) or ",".join(getattr(message, "ids", [])),
        "from": getattr(message, "source", ""),
        "to": to,
        "subject": subject,
        "text": text,
        "html": html,
        "sent_at": message.portal_sent_at,
        "_seq": message.portal_seq,
    }


def sent_mail() -> list[dict[str, Any]]:
    """Every e-mail moto's SES accepted, in every account and region, newest first."""
    from moto.ses.models import ses_backends

    found = []
    for account_id in list(ses_backends.keys()):
        per_region = ses_backends[account_id]
        for region in list(per_region.keys()):
            for message in list(per_region[region].sent_messages):
                found.append(_as_dict(message))
    found.sort(key=lambda m: m["_seq"], reverse=True)
    for item in found:
        del item["_seq"]
    return found
