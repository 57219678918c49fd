"""Guard tests: conventions that keep the system safe, enforced on every route, event and file.

A route that names no action, a protected route without the token authorizer, a consumed event type
without a schema or a test, a Scan on a request path, a late `chalicelib` import or a top-level
`import boto3` cannot be merged. Who each protected route refuses is not listed by hand: the
authorization matrix (tests/test_authz_matrix.py) generates its probes from the route table itself.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from portal_common import authz, events, i18n
from portal_common.service import AUTHORIZER_NAME
from portal_common.settings import SERVICES

REPO = Path(__file__).resolve().parents[1]
SERVICE_FILES = sorted(p for p in (REPO / "services").glob("*/**/*.py") if "vendor" not in p.parts)
LIB_FILES = sorted((REPO / "libs" / "portal_common" / "portal_common").rglob("*.py"))

# Routes anyone may call without a token. Adding one here is a deliberate, reviewed decision.
PUBLIC_ROUTES = {
    (svc, "GET", path) for svc in SERVICES for path in ("/health", "/openapi.json")
} | {
    # Sign-in and account recovery: the caller has no token yet. Each answers without revealing
    # whether an account exists, and is throttled per account and per source address.
    ("auth", "POST", path) for path in (
        "/login", "/refresh", "/logout", "/activate", "/activation/resend", "/password/forgot", "/password/reset",
    )
} | {
    # The secret calendar feed: calendar apps fetch it without a token; its 256-bit secret is the
    # credential (stored hashed), rotated by its owner, and an unknown secret is a plain 404.
    ("planning", "GET", "/calendar-feed/{secret}"),
}

# Files allowed to Scan a table: offline jobs only, each with its reason. Request paths never scan.
SCAN_ALLOWED: dict[str, str] = {}


def _all_routes(services):
    for name, svc in services.items():
        for path, methods in svc.app.routes.items():
            for method, entry in methods.items():
                yield name, svc.app, path, method, entry


def test_every_route_names_an_action_or_is_explicitly_public(services):
    for name, app, path, method, _entry in _all_routes(services):
        specs = [s for s in app.portal_routes if s.path == path and s.method == method]
        assert len(specs) == 1, f"{name} {method} {path} was not declared with app.endpoint()"
        spec = specs[0]
        if spec.public:
            assert (name, method, path) in PUBLIC_ROUTES, f"{name} {method} {path} is public but not allow-listed"
        else:
            assert spec.action in authz.ACTIONS, f"{name} {method} {path} names unknown action {spec.action}"


def test_every_protected_route_sits_behind_the_token_authorizer(services):
    for name, _app, path, method, entry in _all_routes(services):
        if (name, method, path) in PUBLIC_ROUTES:
            assert entry.authorizer is None
        else:
            assert entry.authorizer is not None and entry.authorizer.name == AUTHORIZER_NAME, (name, method, path)


def test_every_service_serves_health_and_openapi(services):
    for name, svc in services.items():
        assert {"/health", "/openapi.json"} <= set(svc.app.routes), name


def test_every_action_in_the_catalogue_is_well_formed():
    for name, action in authz.ACTIONS.items():
        assert re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", name), name
        assert action.roles, name
        assert action.description, name


def test_every_published_event_type_has_a_schema_and_one_owner(services):
    import importlib

    for name in SERVICES:
        module = importlib.import_module(f"portal_common.contracts.{name}")  # the family's contracts
        assert module.PUBLISHES, name
        for payload in module.PUBLISHES:
            kind = payload.__event_type__
            assert events.OWNERS[kind] == name, f"{kind} is published by {name} but owned by {events.OWNERS[kind]}"
            assert kind.split(".")[0] == name, f"{kind} must start with its owner {name}"
            assert (kind, payload.__event_version__) in events.SCHEMAS


def test_every_consumed_event_type_has_a_schema_and_a_consumer_test(services):
    test_texts = {p: p.read_text() for p in (REPO / "tests").rglob("test_*.py")}
    for name, svc in services.items():
        for kind in svc.app.consumed_event_types:
            assert kind in events.OWNERS, f"{name} consumes {kind}, which no service publishes"
            covering = [p for p, text in test_texts.items() if name in p.name and f'"{kind}"' in text]
            assert covering, f"{name} consumes {kind} but no tests/**/test_*{name}*.py mentions it"


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def test_no_code_imports_chalicelib():
    """Each service is a package with its own name (`<name>_service`), imported like any other package."""
    for path in [*SERVICE_FILES, *LIB_FILES, *(REPO / "tests").rglob("*.py"), *(REPO / "infra").rglob("*.py"),
                 *(REPO / "bench").rglob("*.py")]:
        for node in ast.walk(_parse(path)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(n.split(".")[0] == "chalicelib" for n in names), f"{path}:{node.lineno}"


def test_every_lambda_handler_an_app_registers_is_named_in_its_app_py(services):
    """`chalice package` points each Lambda at `app.<name>` of the service's app.py (its entry module)."""
    import importlib.util

    for name, svc in services.items():
        spec = importlib.util.spec_from_file_location(f"entry_{name}", REPO / "services" / name / "app.py")
        assert spec and spec.loader
        entry = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(entry)
        handlers = svc.app.lambda_handlers()
        assert handlers, name
        for handler_name, handler in handlers.items():
            assert getattr(entry, handler_name, None) is handler, f"services/{name}/app.py lacks {handler_name}"
        assert entry.app is svc.app


@pytest.mark.parametrize("path", SERVICE_FILES + LIB_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_top_level_boto3_import_and_no_scan_on_request_paths(path):
    tree = _parse(path)
    for node in tree.body:
        if isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] != "boto3" for a in node.names), f"{path}: import boto3 lazily"
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] != "boto3", f"{path}: import boto3 lazily"
    rel = str(path.relative_to(REPO))
    if rel in SCAN_ALLOWED:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "scan":
            pytest.fail(f"{rel}:{node.lineno} scans a table; query a key or an index instead")


@pytest.mark.parametrize("path", SERVICE_FILES + LIB_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_files_stay_small(path):
    assert len(path.read_text().splitlines()) <= 400, f"{path} is over 400 lines: split it"


def test_every_user_facing_text_exists_in_dutch_and_english(services):
    for key, by_lang in i18n._TEXTS.items():
        assert set(by_lang) >= {"nl", "en"}, key
        assert all(v.strip() for v in by_lang.values()), key
