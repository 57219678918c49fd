"""Import one Chalice app and print, as JSON, what the packager needs to know about it.

Run as a script in its own process (never imported by the packager), so each service gets a fresh
interpreter with its own service package and settings read for the target stage:

    python probe.py <dir> [<dir>...]      # the dirs go first on sys.path; `app.py` is in the first

The packager runs it twice per service: on the staged copy with the virtualenv's interpreter
(resources, routes, handlers, before `chalice package`), and as a smoke test with `python -I -S` on the
unzipped deployment package, which has no site-packages: it proves the zip imports on its own and
that every Lambda handler named in the template exists (the Lambda runtime provides boto3; the
library imports it lazily, so it is not needed here).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import traceback


def _probe() -> dict:
    import app as app_module

    app = app_module.app
    from portal_common import errors
    from portal_common.resources import MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT, describe
    from portal_common.settings import get_settings

    settings = get_settings()
    handlers = []
    # Every non-HTTP Lambda chalice generates is deployed as handler `app.<function name>`.
    configs = [*app.builtin_auth_handlers, *app.event_sources]
    for cfg in configs:
        module_name, _, attr = cfg.handler_string.rpartition(".")
        handlers.append({"name": cfg.name, "kind": type(cfg).__name__, "handler": cfg.handler_string,
                         "attribute": attr, "resolves": module_name == "app" and hasattr(app_module, attr),
                         "queue": getattr(cfg, "queue", None)})
    problems = {status: json.loads(errors.problem_body(status)) for status in (400, 401, 404, 413, 415, 429, 500)}
    return {
        "file": app_module.__file__,
        "library": sys.modules["portal_common"].__file__,
        "service": app.service,
        "stage": settings.stage,
        "resources": dataclasses.asdict(describe(app)),
        "main_table": settings.table_name(app.service),
        "topic_name": settings.topic_name,
        "publishes": hasattr(app, "outbox"),
        "max_receive_count": MAX_RECEIVE_COUNT,
        "visibility_timeout": VISIBILITY_TIMEOUT,
        "routes": sorted(app.routes),
        "handlers": handlers,
        "problems": {str(k): v for k, v in problems.items()},
        "unauthorized_detail": errors.Unauthorized(detail_key="error.unauthorized.detail").to_dict()["detail"],
    }


def main() -> int:
    sys.path[:0] = sys.argv[1:]
    try:
        result = {"ok": True, **_probe()}
    except BaseException as exc:  # noqa: BLE001 - reported to the packager, which decides
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
