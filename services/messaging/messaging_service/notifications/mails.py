"""What a notification says, in Dutch and English: the push text and the e-mail.

Short, and never the content itself (no message text, no photo, no diary text): a lock screen or a
mailbox is not the portal. Push names a child by first name; e-mail by full name. A folded burst
says how many ("5 nieuwe foto's van Noor"). The request decision e-mail keeps the wording it had when
auth sent it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from portal_common import clock, i18n, mail

APP_NAME = {"nl": "Ouderportaal", "en": "Parent portal"}

i18n.register({
    "notify.messages.staff.one": {"nl": "Nieuw bericht van de {group} over {child}",
                                  "en": "New message from {group} about {child}"},
    "notify.messages.staff.many": {"nl": "{count} nieuwe berichten van de {group} over {child}",
                                   "en": "{count} new messages from {group} about {child}"},
    "notify.messages.person.one": {"nl": "Nieuw bericht van {sender} over {child}",
                                   "en": "New message from {sender} about {child}"},
    "notify.messages.person.many": {"nl": "{count} nieuwe berichten van {sender} over {child}",
                                    "en": "{count} new messages from {sender} about {child}"},
    "notify.messages.anyone.one": {"nl": "Nieuw bericht over {child}", "en": "New message about {child}"},
    "notify.messages.anyone.many": {"nl": "{count} nieuwe berichten over {child}",
                                    "en": "{count} new messages about {child}"},
    "notify.photos.child.one": {"nl": "Nieuwe foto van {child}", "en": "New photo of {child}"},
    "notify.photos.child.many": {"nl": "{count} nieuwe foto's van {child}", "en": "{count} new photos of {child}"},
    "notify.photos.group.one": {"nl": "Nieuwe foto bij de {group}", "en": "New photo in {group}"},
    "notify.photos.group.many": {"nl": "{count} nieuwe foto's bij de {group}", "en": "{count} new photos in {group}"},
    "notify.diary.report.one": {"nl": "Dagverslag van {child} staat klaar", "en": "{child}'s daily report is ready"},
    "notify.diary.report.many": {"nl": "{count} dagverslagen van {child} staan klaar",
                                 "en": "{count} daily reports on {child} are ready"},
    "notify.diary.parent_entry.one": {"nl": "Nieuwe aantekening van de ouders van {child}",
                                      "en": "New note from {child}'s parents"},
    "notify.diary.parent_entry.many": {"nl": "{count} nieuwe aantekeningen van de ouders van {child}",
                                       "en": "{count} new notes from {child}'s parents"},
    "notify.news.one": {"nl": "Nieuws van {source}: {title}", "en": "News from {source}: {title}"},
    "notify.newsletters.one": {"nl": "Nieuwsbrief van {source}: {title}", "en": "Newsletter from {source}: {title}"},
    "notify.request_decisions.one": {"nl": "Je aanvraag voor {child} is {status}",
                                     "en": "Your request for {child} was {status}"},
    "notify.exports.diary.one": {"nl": "Het dagboek van {child} staat klaar om te downloaden",
                                 "en": "{child}'s diary is ready to download"},
    "notify.exports.personal_data.one": {"nl": "Je gegevensoverzicht staat klaar om te downloaden",
                                         "en": "Your personal data export is ready to download"},
    # Where to read it (the e-mail's second line) and what the setting is called (its footer).
    "notify.where.messages": {"nl": "Je leest het in de app onder Berichten.",
                              "en": "You can read it in the app under Messages."},
    "notify.where.photos": {"nl": "Je ziet ze in de app op de tijdlijn.",
                            "en": "You find them in the app's timeline."},
    "notify.where.diary": {"nl": "Je leest het in de app onder Dagboek.",
                           "en": "You can read it in the app under Diary."},
    "notify.where.news": {"nl": "Je leest het in de app onder Nieuws.",
                          "en": "You can read it in the app under News."},
    "notify.where.newsletters": {"nl": "Je leest hem in de app onder Nieuwsbrieven.",
                                 "en": "You can read it in the app under Newsletters."},
    "notify.topic.messages": {"nl": "berichten", "en": "messages"},
    "notify.topic.photos": {"nl": "foto's", "en": "photos"},
    "notify.topic.diary": {"nl": "het dagboek", "en": "the diary"},
    "notify.topic.news": {"nl": "nieuws", "en": "news"},
    "notify.topic.newsletters": {"nl": "nieuwsbrieven", "en": "newsletters"},
    "notify.topic.exports": {"nl": "downloads", "en": "downloads"},
    "notify.status.approved": {"nl": "goedgekeurd", "en": "approved"},
    "notify.status.rejected": {"nl": "afgewezen", "en": "rejected"},
    "notify.status.expired": {"nl": "verlopen", "en": "not decided in time"},  # "was expired" reads oddly
})

mail.register_template(
    "messaging.notification",
    subject={"nl": "{headline}", "en": "{headline}"},
    text={
        "nl": "Beste {name},\n\n{headline}\n\n{where}\n\nJe krijgt deze e-mail omdat e-mail voor {topic} aanstaat. "
              "Je zet dat uit in de app onder Account, Meldingen.",
        "en": "Dear {name},\n\n{headline}\n\n{where}\n\nYou get this e-mail because e-mail is on for {topic}. "
              "You turn it off in the app under Account, Notifications.",
    },
    html={
        "nl": "<p>Beste {name},</p><p><b>{headline}</b></p><p>{where}</p><p style=\"font-size:12px\">Je krijgt "
              "deze e-mail omdat e-mail voor {topic} aanstaat. Je zet dat uit in de app onder Account, "
              "Meldingen.</p>",
        "en": "<p>Dear {name},</p><p><b>{headline}</b></p><p>{where}</p><p style=\"font-size:12px\">You get this "
              "e-mail because e-mail is on for {topic}. You turn it off in the app under Account, "
              "Notifications.</p>",
    },
)

mail.register_template(
    "messaging.request_decision",
    subject={"nl": "Je aanvraag voor {child} is {status}", "en": "Your request for {child} was {status}"},
    text={
        "nl": "Beste {name},\n\nJe aanvraag voor {child} is {status}:\n\n{days}\n\n{reason}Je ziet al je "
              "aanvragen in de app onder Aanvragenoverzicht.",
        "en": "Dear {name},\n\nYour request for {child} was {status}:\n\n{days}\n\n{reason}You find all your "
              "requests in the app under Requests overview.",
    },
    html={
        "nl": "<p>Beste {name},</p><p>Je aanvraag voor {child} is <b>{status}</b>:</p>"
              "<p style=\"white-space:pre-line\">{days}</p><p style=\"white-space:pre-line\">{reason}</p>"
              "<p>Je ziet al je aanvragen in de app onder Aanvragenoverzicht.</p>",
        "en": "<p>Dear {name},</p><p>Your request for {child} was <b>{status}</b>:</p>"
              "<p style=\"white-space:pre-line\">{days}</p><p style=\"white-space:pre-line\">{reason}</p>"
              "<p>You find all your requests in the app under Requests overview.</p>",
    },
)


mail.register_template(
    "messaging.export_ready",
    subject={"nl": "{headline}", "en": "{headline}"},
    text={
        "nl": "Beste {name},\n\n{headline}.\n\nDownload het via {url} (log in als daarom gevraagd wordt). "
              "Het bestand blijft beschikbaar tot {until}; daarna vraag je in de app een nieuw aan.",
        "en": "Dear {name},\n\n{headline}.\n\nDownload it at {url} (sign in when asked). The file stays "
              "available until {until}; after that, ask for a new one in the app.",
    },
    html={
        "nl": "<p>Beste {name},</p><p><b>{headline}</b>.</p><p><a href=\"{url}\">Download het hier</a> (log in als "
              "daarom gevraagd wordt). Het bestand blijft beschikbaar tot {until}; daarna vraag je in de app een "
              "nieuw aan.</p>",
        "en": "<p>Dear {name},</p><p><b>{headline}</b>.</p><p><a href=\"{url}\">Download it here</a> (sign in "
              "when asked). The file stays available until {until}; after that, ask for a new one in the app.</p>",
    },
)


@dataclass(frozen=True)
class Rendered:
    title: str  # the push's title
    push: str  # the push's text
    template: str  # the e-mail
    values: dict[str, Any] = field(default_factory=dict)


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else name


def _variant(topic: str, facts: dict[str, Any]) -> str:
    """Which wording of the topic fits the facts (`notify.<topic>.<variant>.<one|many>`)."""
    if topic == "messages":  # a burst from the group's staff and the parents, or from two parents: no name
        varied = set(facts.get("varied", ()))
        if "from_staff" in varied or (not facts.get("from_staff") and "sender" in varied):
            return ".anyone"
        return ".staff" if facts.get("from_staff") and facts.get("group") else ".person"
    if topic == "photos":
        return ".child" if facts.get("child") else ".group"
    if topic in ("diary", "exports"):
        return f".{facts.get('kind', 'report')}"
    return ""


def headline(topic: str, facts: dict[str, Any], count: int, lang: str, *, short: bool) -> str:
    base = f"notify.{topic}{_variant(topic, facts)}"
    key = f"{base}.many" if count > 1 and i18n.has(f"{base}.many") else f"{base}.one"
    child = str(facts.get("child") or "")
    values = {"count": count, "child": first_name(child) if short else child, "group": facts.get("group", ""),
              "sender": facts.get("sender", ""), "title": facts.get("title", ""), "source": facts.get("source", ""),
              "status": i18n.t(f"notify.status.{facts['status']}", lang) if "status" in facts else ""}
    return i18n.t(key, lang, **values)


def _request_decision(facts: dict[str, Any], lang: str) -> dict[str, Any]:
    days = "\n".join(f"- {i18n.long_date(date.fromisoformat(d['date']), lang)}, {d['start']}-{d['end']}"
                     for d in facts.get("days", []))
    reason = facts.get("reason")
    said = (f"Toelichting: {reason}\n\n" if lang == "nl" else f"Note: {reason}\n\n") if reason else ""
    return {"child": facts.get("child", ""), "status": i18n.t(f"notify.status.{facts['status']}", lang),
            "days": days, "reason": said}


def _export_ready(facts: dict[str, Any], lang: str) -> dict[str, Any]:
    until = clock.local(datetime.fromisoformat(facts["until"]))
    return {"headline": headline("exports", facts, 1, lang, short=False), "url": facts["url"],
            "until": f"{i18n.long_date(until.date(), lang)} {until:%H:%M}"}


# Topics whose e-mail is not the common one: topic → (template, values from the facts).
SPECIAL_MAILS: dict[str, tuple[str, Callable[[dict[str, Any], str], dict[str, Any]]]] = {
    "request_decisions": ("messaging.request_decision", _request_decision),
    "exports": ("messaging.export_ready", _export_ready),
}


def render(topic: str, facts: dict[str, Any], count: int, lang: str) -> Rendered:
    lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    push = headline(topic, facts, count, lang, short=True)
    if topic in SPECIAL_MAILS:
        template, values = SPECIAL_MAILS[topic]
        return Rendered(APP_NAME[lang], push, template, values(facts, lang))
    return Rendered(APP_NAME[lang], push, "messaging.notification",
                    {"headline": headline(topic, facts, count, lang, short=False),
                     "where": i18n.t(f"notify.where.{topic}", lang), "topic": i18n.t(f"notify.topic.{topic}", lang)})
