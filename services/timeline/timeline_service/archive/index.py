"""The archive's `index.html`: the period by month, each day with its reports and photos, offline.

One file with its style inline and every link relative to the archive's root, so it opens from the
unpacked folder in any browser with no network. Photos are shown by their full file, lazily loaded and
scaled down by the browser (the archive holds no second copy of any photo).
"""

from __future__ import annotations

from datetime import date
from html import escape
from itertools import groupby
from typing import Any

from portal_common import i18n
from timeline_service.diary.html import TITLES

_MONTHS = {"nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                  "oktober", "november", "december"),
           "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December")}
_HEAD = {"nl": "Dagboek van {name}", "en": "Diary of {name}"}
_PERIOD = {"nl": "{start} t/m {end} · {photos} foto's, {pages} dagboekpagina's",
           "en": "{start} to {end} · {photos} photos, {pages} diary pages"}
_EMPTY = {"nl": "Er zijn in deze periode geen foto's of verslagen.", "en": "No photos or reports in this period."}
STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
         "nav a{margin-right:.8rem}h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2rem}"
         "h3{font-size:1rem;margin:1.2rem 0 .4rem}.photos{display:flex;flex-wrap:wrap;gap:6px}"
         ".photos img{width:180px;height:135px;object-fit:cover;border-radius:4px}")


def _month_label(month: str, lang: str) -> str:
    year, number = month.split("-")
    return f"{_MONTHS[lang][int(number) - 1]} {year}"


def render_index(manifest: list[dict[str, Any]], *, child_name: str, start: str, end: str, lang: str) -> str:
    lang = lang if lang in ("nl", "en") else "nl"
    photos = sum(1 for e in manifest if e["kind"] == "photo")
    months = sorted({e["date"][:7] for e in manifest}, reverse=True)
    period = _PERIOD[lang].format(start=i18n.long_date(date.fromisoformat(start), lang),
                                  end=i18n.long_date(date.fromisoformat(end), lang), photos=photos,
                                  pages=len(manifest) - photos)
    parts = ["<!DOCTYPE html>", f'<html lang="{lang}"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(_HEAD[lang].format(name=child_name))}</title><style>{STYLE}</style></head><body>",
             f"<h1>{escape(_HEAD[lang].format(name=child_name))}</h1>", f"<p>{escape(period)}</p>"]
    if not manifest:
        parts.append(f"<p>{_EMPTY[lang]}</p>")
    parts.append("<nav>" + "".join(f'<a href="#m{m}">{escape(_month_label(m, lang))}</a>' for m in months) + "</nav>")
    by_month = sorted(manifest, key=lambda e: (e["date"], e["path"]), reverse=True)
    for month, in_month in groupby(by_month, key=lambda e: e["date"][:7]):
        parts.append(f'<h2 id="m{month}">{escape(_month_label(month, lang))}</h2>')
        for day, on_day in groupby(in_month, key=lambda e: e["date"]):
            items = list(on_day)
            parts.append(f"<h3>{escape(i18n.long_date(date.fromisoformat(day), lang))}</h3>")
            for page in sorted((e for e in items if e["kind"] == "diary"), key=lambda e: e["path"]):
                title = TITLES.get(page.get("diary_kind", "report"), TITLES["report"])[lang]
                parts.append(f'<p><a href="{escape(page["path"])}">{escape(title)}</a></p>')
            shots = sorted((e for e in items if e["kind"] == "photo"), key=lambda e: e["path"])
            if shots:
                parts.append('<div class="photos">' + "".join(
                    f'<a href="{escape(s["path"])}"><img src="{escape(s["path"])}" loading="lazy" alt=""></a>'
                    for s in shots) + "</div>")
    parts.append("</body></html>")
    return "\n".join(parts)
