"""Server-rendered HTML of the developer pages (`/docs`, `/dev/mail`). Everything user-supplied is escaped."""

from __future__ import annotations

import html
import re
from typing import Any

_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}"
METHOD_ORDER = ("get", "post", "put", "patch", "delete")

STYLE = """
:root { color-scheme: light; --ink:#1f2933; --muted:#627d98; --line:#d9e2ec; --accent:#0b6e4f; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1000px; padding: 24px; }
header { display: flex; align-items: baseline; gap: 16px; border-bottom: 1px solid var(--line); margin-bottom: 24px; }
header h1 { font-size: 22px; margin: 0 0 12px; }
header nav a { margin-right: 12px; }
a { color: var(--accent); }
h2 { font-size: 18px; margin-top: 32px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.method { font-weight: 600; font-family: ui-monospace, monospace; }
.public { color: var(--muted); font-style: italic; }
.muted { color: var(--muted); }
article.mail { border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin-bottom: 20px; }
article.mail h2 { margin: 0 0 4px; }
article.mail dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
article.mail dt { color: var(--muted); }
article.mail dd { margin: 0; }
pre.text { white-space: pre-wrap; word-break: break-word; background: #f5f7fa; padding: 12px; border-radius: 6px; }
iframe.html { width: 100%; height: 420px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
"""


def layout(title: str, body: str) -> str:
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} · ouderportaal local</title><style>{STYLE}</style></head>\n<body>"
            f'<header><h1>{html.escape(title)}</h1><nav><a href="/">home</a><a href="/docs">docs</a>'
            f'<a href="/dev/mail">mail</a><a href="/dev/clock">clock</a></nav></header>\n{body}\n</body></html>\n')


def linkify(text: str) -> str:
    """Escape text for HTML and turn every http(s) URL in it into a link."""
    out = []
    pos = 0
    for match in _URL.finditer(text):
        url = match.group(0)
        trail = ""
        while url and url[-1] in _TRAILING:
            url, trail = url[:-1], url[-1] + trail
        out.append(html.escape(text[pos:match.start()]))
        out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>{html.escape(trail)}')
        pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def docs_page(documents: dict[str, dict[str, Any]]) -> str:
    parts = ['<p class="muted">Every service serves its own OpenAPI 3.1 document; the routes below are read '
             "from those documents. Protected routes need <code>Authorization: Bearer &lt;access token&gt;</code>"
             " from <code>POST /auth/login</code>.</p>"]
    for service, doc in documents.items():
        info = doc.get("info", {})
        base = (doc.get("servers") or [{"url": f"/{service}"}])[0]["url"].rstrip("/")
        parts.append(f'<h2 id="{html.escape(service)}">{html.escape(info.get("title", service))} '
                     f'<small class="muted">{html.escape(str(info.get("version", "")))}</small></h2>')
        parts.append(f'<p><a href="/{html.escape(service)}/openapi.json">/{html.escape(service)}/openapi.json</a>'
                     f' <span class="muted">(OpenAPI {html.escape(str(doc.get("openapi", "?")))})</span></p>')
        rows = []
        for path, operations in sorted(doc.get("paths", {}).items()):
            for method in sorted(operations, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99):
                op = operations[method]
                action = op.get("x-action")
                action_cell = (f"<code>{html.escape(action)}</code>" if action
                               else '<span class="public">public</span>')
                rows.append(f'<tr><td class="method">{html.escape(method.upper())}</td>'
                            f"<td><code>{html.escape(base + path)}</code></td>"
                            f"<td>{html.escape(op.get('summary', ''))}</td><td>{action_cell}</td></tr>")
        parts.append("<table><thead><tr><th>method</th><th>path</th><th>summary</th><th>action</th></tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table>")
    return layout("API documentation", "\n".join(parts))


def _mail_html_frame(body: str) -> str:
    framed = '<base target="_blank">' + body  # links in the mail open in a new tab, outside the sandbox
    return (f'<iframe class="html" sandbox="allow-popups allow-popups-to-escape-sandbox" '
            f'srcdoc="{html.escape(framed, quote=True)}" title="HTML part"></iframe>')


def mail_page(messages: list[dict[str, Any]]) -> str:
    if not messages:
        body = '<p class="muted">No e-mail sent yet. <a href="/dev/mail">Refresh</a></p>'
        return layout("Sent e-mail", body)
    parts = [f'<p class="muted">{len(messages)} message(s), newest first. <a href="/dev/mail">Refresh</a> · '
             '<a href="/dev/mail.json">JSON</a></p>']
    for m in messages:
        parts.append('<article class="mail">')
        parts.append(f"<h2>{html.escape(m.get('subject') or '(no subject)')}</h2><dl>"
                     f"<dt>to</dt><dd>{html.escape(m.get('to') or '')}</dd>"
                     f"<dt>from</dt><dd>{html.escape(m.get('from') or '')}</dd>"
                     f"<dt>sent at</dt><dd>{html.escape(m.get('sent_at') or '')}</dd></dl>")
        if m.get("text"):
            parts.append(f'<pre class="text">{linkify(m["text"])}</pre>')
        if m.get("html"):
            parts.append(_mail_html_frame(m["html"]))
        parts.append("</article>")
    return layout("Sent e-mail", "\n".join(parts))
