"""Everything on the local origin that is not a service: static files, `/docs` and the dev routes.

| route | answer |
|---|---|
| `GET /`, `GET /<file>` | static files from `web/` (`/` is `index.html`) |
| `GET /docs` | the five OpenAPI documents, each route with method, path, summary and action |
| `GET /dev/mail`, `GET /dev/mail.json` | every e-mail sent through SES, newest first |
| `GET /dev/push.json` | every push device endpoint (user, platform) with the texts pushed to it |
| `GET /dev/clock` | `{"now": "<ISO instant>"}`: the business clock every service reads |
| `POST /dev/clock` `{"now": "<ISO instant with offset>"}` | moves it forward (422 backwards), fires what became due |
| `GET /dev/aws` | `endpoint_url` and `region` of the moto server (for scripts and tests) |

Only the local stack serves these; they never exist in the apps or in packaged builds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from portal_common import clock, i18n

from . import pages
from .gateway import problem_response
from .mail import sent_mail
from .push import sent_pushes

JSON = "application/json"
HTML = "text/html; charset=utf-8"
NO_CACHE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type=JSON, headers=NO_CACHE)


def _html(body: str) -> Response:
    return Response(body, content_type=HTML, headers=NO_CACHE)


class ClockMoveRefused(ValueError):
    """The dev clock only moves forward."""


class WebRoutes:
    def __init__(self, web_dir: Path, *, openapi: Callable[[], dict[str, dict[str, Any]]],
                 move_clock: Callable[[datetime], list[str]], aws: dict[str, str]) -> None:
        self.web_dir = web_dir
        self._openapi = openapi
        self._move_clock = move_clock
        self._aws = aws
        self.routes: dict[str, dict[str, Callable[[Request], Response]]] = {
            "/docs": {"GET": self.docs},
            "/dev/mail": {"GET": self.mail_page},
            "/dev/mail.json": {"GET": self.mail_json},
            "/dev/push.json": {"GET": self.push_json},
            "/dev/clock": {"GET": self.clock_get, "POST": self.clock_post},
            "/dev/aws": {"GET": self.aws},
        }

    def __call__(self, request: Request) -> Response | None:
        lang = i18n.negotiate(request.headers.get("Accept-Language"))
        path = request.path.rstrip("/") or "/"
        methods = self.routes.get(path)
        if methods is not None:
            view = methods.get(request.method) or (methods.get("GET") if request.method == "HEAD" else None)
            if view is None:
                return problem_response(405, lang, {"Allow": ", ".join(sorted(methods))})
            return view(request)
        if path.startswith("/dev"):
            return problem_response(404, lang)
        return self.static(request, lang)

    # -- static files ------------------------------------------------------------------------
    def static(self, request: Request, lang: str) -> Response:
        if request.method not in ("GET", "HEAD"):
            return problem_response(405, lang, {"Allow": "GET, HEAD"})
        name = request.path.lstrip("/") or "index.html"
        if name.endswith("/"):
            name += "index.html"
        try:
            response = send_from_directory(self.web_dir, name, request.environ, max_age=0)
        except NotFound:
            return problem_response(404, lang)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    # -- docs --------------------------------------------------------------------------------
    def docs(self, request: Request) -> Response:
        return _html(pages.docs_page(self._openapi()))

    # -- mail --------------------------------------------------------------------------------
    def mail_json(self, request: Request) -> Response:
        return _json(sent_mail())

    def mail_page(self, request: Request) -> Response:
        return _html(pages.mail_page(sent_mail()))

    def push_json(self, request: Request) -> Response:
        return _json(sent_pushes())

    # -- clock -------------------------------------------------------------------------------
    def clock_get(self, request: Request) -> Response:
        return _json({"now": clock.now().isoformat(timespec="seconds")})

    def clock_post(self, request: Request) -> Response:
        lang = i18n.negotiate(request.headers.get("Accept-Language"))
        try:
            data = json.loads(request.get_data(cache=False) or b"null")
        except ValueError:
            return problem_response(400, lang, detail="the body must be JSON: {\"now\": \"<ISO instant>\"}")
        raw = data.get("now") if isinstance(data, dict) else None
        if not isinstance(raw, str):
            return problem_response(400, lang, detail="\"now\" (an ISO 8601 instant with offset) is required")
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            return problem_response(400, lang, detail=f"not an ISO 8601 instant: {raw}")
        if when.tzinfo is None:
            return problem_response(400, lang, detail="the instant needs an offset, e.g. 2026-12-01T09:00:00+01:00")
        try:
            fired = self._move_clock(when)
        except ClockMoveRefused as exc:
            return problem_response(422, lang, detail=str(exc))
        return _json({"now": clock.now().isoformat(timespec="seconds"), "fired": fired})

    def aws(self, request: Request) -> Response:
        return _json(self._aws)
