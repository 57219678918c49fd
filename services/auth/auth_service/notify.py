"""Transactional e-mails about planning's events, sent by auth because it holds guardians' addresses.

- `planning.absence.reported` → the absence confirmation to every guardian of the child, each in their
  language, listing the days with times, hours deregistered and swap hours earned (transactional:
  always sent, whatever the notification settings say);
- `planning.document.published` → "your invoice / annual statement / document is ready" to each
  guardian it is addressed to (transactional: these are shared only through the portal). The mail
  never carries the document, only where to find it.

A request's decision (`planning.request.decided`) is a notification, not a transactional mail: the
messaging service delivers it (push and e-mail, per the user's settings), like every notification.

The consumer is idempotent on event ids, so a redelivered event mails nobody twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from auth_service import mails  # noqa: F401 - registers the templates
from auth_service.store import ChildItem, GuardianLinkItem, UserItem
from portal_common import i18n, mail, store
from portal_common.events import Envelope

REASONS = {"sick": {"nl": "ziek", "en": "sick"}, "holiday": {"nl": "vakantie", "en": "holiday"},
           "other": {"nl": "overig", "en": "other"}}
LATE = {"nl": "te laat gemeld: geen ruiluren", "en": "reported late: no swap hours"}
EARNED = {"nl": "{hours} ruiluur, te gebruiken t/m {until}", "en": "{hours} swap hours, usable until {until}"}


def _child_name(tenant: str, child_id: str) -> str:
    try:
        return ChildItem.get(store.key(tenant, "CHILD", child_id), "CHILD").name
    except ChildItem.DoesNotExist:
        return child_id


def _user(tenant: str, user_id: str) -> UserItem | None:
    try:
        user = UserItem.get(store.key(tenant, "USER", user_id), "USER")
    except UserItem.DoesNotExist:
        return None
    return user if user.status != "deactivated" else None


def guardians(tenant: str, child_id: str) -> list[UserItem]:
    links = GuardianLinkItem.query(store.key(tenant, "CHILD", child_id), GuardianLinkItem.sk.startswith("GUARDIAN#"))
    found = [_user(tenant, link.user_id) for link in links]
    return [user for user in found if user is not None]


def _absence_days(days: list[dict[str, Any]], lang: str) -> str:
    lines = []
    for d in days:
        when = f"{i18n.long_date(date.fromisoformat(d['date']), lang)}, {d['start']}-{d['end']}"
        if d.get("outcome") == "late":
            note = LATE[lang]
        else:
            until = i18n.long_date(date.fromisoformat(d["valid_until"]), lang) if d.get("valid_until") else "-"
            note = EARNED[lang].format(hours=i18n.hours(d["earned_hours"], lang), until=until)
        lines.append(f"- {when} ({i18n.hours(d['hours'], lang)} {'uur' if lang == 'nl' else 'h'}): {note}")
    return "\n".join(lines)


def on_absence_reported(env: Envelope) -> None:
    payload = env.payload
    child = _child_name(env.tenant, payload["child_id"])
    for user in guardians(env.tenant, payload["child_id"]):
        lang = user.language
        mail.send("planning.absence_confirmation", to=user.email, lang=lang, name=user.name, child=child,
                  reason=REASONS.get(payload["reason"], REASONS["other"])[lang],
                  days=_absence_days(payload["days"], lang), hours=i18n.hours(payload["hours_deregistered"], lang),
                  earned=i18n.hours(payload["swap_hours_earned"], lang))


DOCUMENT_KINDS = {
    "invoice": ({"nl": "Je factuur", "en": "Your invoice"}, {"nl": "je facturen", "en": "your invoices"}),
    "annual_statement": ({"nl": "Je jaaropgave", "en": "Your annual statement"},
                         {"nl": "je jaaropgaven", "en": "your annual statements"}),
    "document": ({"nl": "Een document", "en": "A document"}, {"nl": "je documenten", "en": "your documents"}),
}


def on_document_published(env: Envelope) -> None:
    payload = env.payload
    what, where = DOCUMENT_KINDS.get(payload["kind"], DOCUMENT_KINDS["document"])
    for user_id in payload["guardian_ids"]:
        user = _user(env.tenant, user_id)
        if user is None:
            continue
        lang = user.language
        cents = payload.get("amount_cents")
        amount = f" ({i18n.euros(int(cents), lang)})" if cents is not None and payload["kind"] == "invoice" else ""
        mail.send("planning.document_published", to=user.email, lang=lang, name=user.name, what=what[lang],
                  where=where[lang], title=payload["title"], amount=amount)


HANDLERS = {"planning.absence.reported": on_absence_reported, "planning.document.published": on_document_published}
