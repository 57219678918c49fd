"""User-facing texts in Dutch (default) and English.

Services register their own texts with `register`; a missing English text falls back to Dutch, a
missing key is a programming error caught by the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

_TEXTS: dict[str, dict[str, str]] = {
    "error.bad_request": {"nl": "Ongeldig verzoek", "en": "Bad request"},
    "error.malformed_json": {"nl": "De inhoud is geen geldige JSON.", "en": "The body is not valid JSON."},
    "error.validation": {"nl": "Het verzoek bevat ongeldige velden.", "en": "The request has invalid fields."},
    "error.unauthorized": {"nl": "Niet ingelogd", "en": "Not signed in"},
    "error.unauthorized.detail": {
        "nl": "Log opnieuw in: het toegangstoken ontbreekt, is ongeldig of verlopen.",
        "en": "Sign in again: the access token is missing, invalid or expired.",
    },
    "error.forbidden": {"nl": "Geen toegang", "en": "Forbidden"},
    "error.not_found": {"nl": "Niet gevonden", "en": "Not found"},
    "error.method_not_allowed": {"nl": "Methode niet toegestaan", "en": "Method not allowed"},
    "error.conflict": {"nl": "Conflict met de huidige toestand", "en": "Conflict with the current state"},
    "error.too_large": {"nl": "Verzoek te groot", "en": "Request too large"},
    "error.gone": {"nl": "Niet meer beschikbaar", "en": "No longer available"},
    "error.too_large.detail": {
        "nl": "De inhoud is groter dan {limit} bytes.",
        "en": "The body is larger than {limit} bytes.",
    },
    "error.unsupported_media_type": {"nl": "Niet-ondersteund type inhoud", "en": "Unsupported media type"},
    "error.unsupported_media_type.detail": {
        "nl": "Stuur de inhoud als application/json.",
        "en": "Send the body as application/json.",
    },
    "error.unprocessable": {"nl": "Verzoek niet uitvoerbaar", "en": "Unprocessable request"},
    "error.too_many_requests": {"nl": "Te veel verzoeken", "en": "Too many requests"},
    "error.internal": {"nl": "Er ging iets mis", "en": "Something went wrong"},
    "error.invalid_cursor": {
        "nl": "De paginacursor is ongeldig of verlopen.",
        "en": "The paging cursor is invalid or expired.",
    },
}


def register(texts: Mapping[str, Mapping[str, str]]) -> None:
    for key, by_lang in texts.items():
        if "nl" not in by_lang:
            raise ValueError(f"text {key!r} has no Dutch version")
        _TEXTS[key] = dict(by_lang)


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    by_lang = _TEXTS[key]
    template = by_lang.get(lang) or by_lang["nl"]
    return template.format(**values) if values else template


def has(key: str) -> bool:
    return key in _TEXTS


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """Pick `nl` or `en`: a user's stored preference wins, then the Accept-Language header."""
    if preferred in LANGUAGES:
        return preferred  # type: ignore[return-value]
    if accept_language:
        ranked = []
        for part in accept_language.split(","):
            # `en-GB;q=0.8`, also with the optional whitespace RFC 9110 allows (`en ; q=0.8`).
            tag, *params = (piece.strip() for piece in part.split(";"))
            q = 1.0
            for param in params:
                name, _, value = param.partition("=")
                if name.strip().lower() == "q":
                    try:
                        q = float(value.strip())
                    except ValueError:
                        q = 0.0
            if q <= 0:
                continue  # q=0 means "not acceptable"
            ranked.append((q, tag.lower().split("-")[0]))
        for _q, tag in sorted(ranked, key=lambda p: -p[0]):
            if tag in LANGUAGES:
                return tag
    return DEFAULT_LANGUAGE


_WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def long_date(day: date, lang: str = DEFAULT_LANGUAGE) -> str:
    """"maandag 30 november 2026" / "Monday 30 November 2026" (mails; two languages need no Babel)."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return f"{_WEEKDAYS[lang][day.weekday()]} {day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def euros(cents: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """Integer cents as people write money: "€ 1.234,56" in Dutch, "€ 1,234.56" in English; a credit
    reads "-€ 12,30"."""
    grouped = f"{abs(int(cents)) // 100:,}.{abs(int(cents)) % 100:02d}"
    text = grouped.translate(str.maketrans(",.", ".,")) if lang != "en" else grouped
    return f"{'-' if cents < 0 else ''}€ {text}"


def hours(amount: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Decimal hours as people write them: "5,5" in Dutch, "5.5" in English (no trailing zeros)."""
    text = f"{float(str(amount)):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "nl" else text
