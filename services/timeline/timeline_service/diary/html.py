"""A diary report or entry as one self-contained HTML page: text, the day's rhythm and its photos.

The download of a report (`GET /timeline/diary/{id}/download`) embeds its photos as data URIs, so the
file opens offline in any browser, forever, with nothing to fetch; the diary archive of the exports
service renders the same page with the photos as files beside it (`image_src`). Every text is escaped:
a report's text is user input.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from html import escape
from typing import Any

from portal_common import i18n

RHYTHM = {
    "meal": {"nl": "Eten", "en": "Meal"}, "bottle": {"nl": "Fles", "en": "Bottle"},
    "sleep": {"nl": "Slapen", "en": "Sleep"}, "diaper": {"nl": "Verschoning", "en": "Diaper"},
    "toilet": {"nl": "Toilet", "en": "Toilet"}, "activity": {"nl": "Activiteit", "en": "Activity"},
    "medication": {"nl": "Medicatie", "en": "Medication"}, "temperature": {"nl": "Temperatuur", "en": "Temperature"},
    "note": {"nl": "Notitie", "en": "Note"},
}
TITLES = {"report": {"nl": "Dagverslag", "en": "Daily report"},
          "parent_entry": {"nl": "Dagboekbericht van ouder", "en": "Parent's diary entry"}}
RHYTHM_HEADING = {"nl": "Dagritme", "en": "The day's rhythm"}
STYLE = ("body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}"
         "h1{font-size:1.5rem;margin-bottom:.2rem}.meta{color:#666;margin-top:0}"
         "p.text{white-space:pre-wrap;line-height:1.5}table{border-collapse:collapse}"
         "td{padding:.2rem .8rem .2rem 0;vertical-align:top}figure{margin:1rem 0}"
         "img{max-width:100%;height:auto;border-radius:6px}")


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def render(entry: Any, *, child_name: str, group_name: str, lang: str, photo_ids: list[str],
           image_src: Callable[[str], str]) -> str:
    """The page of one diary item (`DiaryItem`); `image_src(photo_id)` says where each photo comes from."""
    lang = lang if lang in ("nl", "en") else "nl"
    title = TITLES.get(entry.kind, TITLES["report"])[lang]
    day = i18n.long_date(date.fromisoformat(entry.date), lang)
    parts = [
        "<!DOCTYPE html>", f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)} {escape(child_name)} {escape(entry.date)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}: {escape(child_name)}</h1>",
        f'<p class="meta">{escape(day)} · {escape(group_name)}</p>',
        f'<p class="text">{escape(entry.text)}</p>',
    ]
    rhythm = list(entry.rhythm or [])
    if rhythm:
        parts.append(f"<h2>{RHYTHM_HEADING[lang]}</h2><table>")
        for row in sorted(rhythm, key=lambda r: r["time"]):
            label = RHYTHM.get(row["kind"], {}).get(lang, row["kind"])
            parts.append(f"<tr><td>{escape(row['time'])}</td><td>{escape(label)}</td>"
                         f"<td>{escape(row.get('note') or '')}</td></tr>")
        parts.append("</table>")
    for n, photo_id in enumerate(photo_ids, start=1):
        parts.append(f'<figure><img src="{escape(image_src(photo_id))}" alt="{escape(child_name)} {n}"></figure>')
    parts.append("</body></html>")
    return "\n".join(parts)
