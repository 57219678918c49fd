"""The authorization matrix's generator: every protected route of the five apps, filled with the victim's
real objects, times every caller, each with the answer the catalogue's rules demand.

Nothing here names a route. A path parameter is filled from the victims by its NAME (`VALUES` for the
few that name no object: a day, a billing kind); a body or query is built from the route's own model:
its object fields (`RELATION_FIELDS`) point at a victim, every other field takes a sample (`SAMPLES`, by
"Model.field" or by field name) or what its type allows (a literal's first choice, a boolean, a nested
model). A route the generator cannot fill raises `Unfillable`, saying what to add.
"""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from infra.local import demo_data as d
from portal_common import authz
from portal_common.authz import Relation, Role
from tests.matrix_world import FAMILY_STRINGS, MIRRORED, Caller, Victim, is_related, is_twin

# Body and query fields that name the object a route acts on, by the victim parameter they take.
RELATION_FIELDS = {"child_id": "child_id", "child_ids": "child_id", "group_id": "group_id",
                   "group_ids": "group_id", "location_id": "location_id", "location_ids": "location_id"}
# Path parameters that name no object of anyone's: any valid value will do.
VALUES = {"day": "2026-12-28", "kind": "invoices"}
# Values for body and query fields no type can guess; "Model.field" wins over "field".
SAMPLES: dict[str, Any] = {
    "text": "Matrix probe", "title": "Matrix probe", "body": "Matrix probe", "name": "Matrix Probe",
    "description": "Matrix probe", "email": "matrix.probe@example.nl", "file_name": "probe.pdf",
    "filename": "probe.pdf", "size": 1000, "token": "matrix-probe-device", "version": "2026.2",
    "current_password": d.PASSWORD, "new_password": "Matrix-Probe-Wachtwoord-2026",
    "birth_date": "2024-03-14", "start": "2026-12-01", "end": "2026-12-31", "valid_from": "2026-12-01",
    "date": "2026-12-08", "from_": "2026-11-01", "to": "2026-11-30", "period": "2026-10",
    "AbsenceIn.from_": "2026-12-07", "AbsenceIn.to": "2026-12-07", "DiaryExportIn.to": "2026-11-24",
    "DiaryIn.date": "2026-11-24", "UploadIn.date": "2026-11-24",
    "age_from_months": 0, "age_to_months": 24, "capacity": {"morning": 12, "afternoon": 12},
    "hourly_rate_cents": 1052, "attachment_id": "att-" + "0" * 26,
    "ContractIn.days": {"2": {"start": "07:30", "end": "18:30"}},
    "ContractTerms.days": {"2": {"start": "07:30", "end": "18:30"}},
    "opening_hours": [{"weekday": 1, "open": "07:30", "close": "18:30"}],
    "days": [{"date": "2026-12-08", "start": "07:30", "end": "13:00"}],
    "swap_hours_notice_hours": 24, "swap_hours_validity_days": 365, "request_min_days_ahead": 1,
    "request_max_days_ahead": 90, "request_max_days": 10, "absence_max_days": 30,
}
# Fields the matrix leaves out although it could fill them: a staff member is invited with groups only.
LEFT_OUT = {"StaffIn.location_ids"}
# A listing's filter that applies another action than the route's (its role check and its relation).
FILTER_ACTIONS = {("messaging", "/conversations", "group_id"): "group.conversations.read",
                  ("planning", "/requests", "group_id"): "group.planning.read",
                  ("planning", "/requests", "child_id"): "child.calendar.read"}
# Listings whose callers of some roles must name a filter (else 422 `*_required`, tested with the feature).
_STAFF_SIDE = (Role.STAFF, Role.MANAGER, Role.ADMIN)
ROLE_FILTERS = {("messaging", "/conversations"): {Role.MANAGER: "group_id", Role.ADMIN: "group_id"},
                ("planning", "/requests"): dict.fromkeys(_STAFF_SIDE, "group_id"),
                ("timeline", "/feed"): dict.fromkeys(_STAFF_SIDE, "child_id")}
OMIT = object()


class Unfillable(Exception):
    """A route the matrix cannot probe yet: the message says what to add."""


@dataclass(frozen=True)
class Request:
    service: str
    method: str
    template: str
    url: str
    body: Any
    victims: tuple[Victim, ...]
    action: str
    filters: frozenset[str] = frozenset()  # the object fields set in the query or body

    @property
    def route(self) -> str:
        return f"{self.service} {self.method} {self.template}"

    @property
    def sent(self) -> str:
        return self.url + json.dumps(self.body)


@dataclass(frozen=True)
class Probe:
    request: Request
    caller: Caller
    expect: str  # "403", "404", "self" (2xx, nothing of the victim), "twin" (the caller's own namesake) or
    # "absent" (the same answer as for an id that names nothing: another organisation's admin)


def _sample(model: type[BaseModel], name: str) -> Any:
    for key in (f"{model.__name__}.{name}", name):
        if key in SAMPLES:
            return SAMPLES[key]
    return OMIT


def _from_type(annotation: Any) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return args[0]
    if annotation is bool:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return build(annotation, {})
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return [build(args[0], {})]
    return OMIT


def build(model: type[BaseModel], refs: dict[str, str]) -> dict[str, Any]:
    """A valid instance of `model` as JSON, its object fields set from `refs` (field → victim value)."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if name in RELATION_FIELDS:
            if name in refs:
                out[key] = [refs[name]] if name.endswith("s") else refs[name]
            continue
        value = _sample(model, name)
        if value is OMIT and info.is_required():
            value = _from_type(info.annotation)
            if value is OMIT:
                raise Unfillable(f"{model.__name__}.{name} is required and the matrix cannot guess it: add a value "
                                 f'for "{model.__name__}.{name}" to SAMPLES in tests/matrix_probes.py')
        if value is not OMIT:
            out[key] = value
    try:
        model.model_validate_json(json.dumps(out))
    except ValidationError as invalid:
        raise Unfillable(f"the matrix built an invalid {model.__name__} {out}: fix SAMPLES in "
                         f"tests/matrix_probes.py ({invalid.errors()[0]})") from invalid
    return out


def _victims_for(route: str, param: str, victims: dict[str, list[Victim]]) -> list[Victim]:
    found = [v for v in victims.get(param, []) if route.startswith(v.where)]
    if not found:
        raise Unfillable(f"{route}: no victim for {param!r}: add the victim's real objects for {param!r} "
                         f"(where={route.split('{')[0]!r} if they differ per route) to tests/matrix_world.py "
                         f"victims(), or the parameter to VALUES in tests/matrix_probes.py if it names no object")
    return found


def _ref_fields(model: type[BaseModel] | None) -> list[tuple[str, bool]]:
    if model is None:
        return []
    return [(n, f.is_required()) for n, f in model.model_fields.items()
            if n in RELATION_FIELDS and f"{model.__name__}.{n}" not in LEFT_OUT]


def requests_of(service: str, spec: Any, victims: dict[str, list[Victim]]) -> list[Request]:
    """Every request of the matrix for one route: each victim object of each of its object slots."""
    route = f"{service} {spec.path}"
    action = authz.ACTIONS[spec.action]
    params = re.findall(r"{(\w+)}", spec.path)
    fixed = {p: VALUES[p] for p in params if p in VALUES}
    slots = {p: _victims_for(route, p, victims) for p in params if p not in VALUES}
    optional: list[str] = []
    for where, model in (("query", spec.query), ("body", spec.body)):
        for name, required in _ref_fields(model):
            if name in slots or f"{where}.{name}" in slots:
                continue
            listing = action.relation in (Relation.SELF, Relation.TENANT) and not required
            (optional if listing else []).append(f"{where}.{name}")
            if not listing:
                slots[f"{where}.{name}"] = _victims_for(route, RELATION_FIELDS[name], victims)
    # A listing's optional filters: without any, then each alone with each victim.
    variants = [dict(slots)] + [{**slots, o: _victims_for(route, RELATION_FIELDS[o.split(".")[1]], victims)}
                                for o in optional]
    out = []
    for variant in variants:
        width = max((len(c) for c in variant.values()), default=1)
        for i in range(width):
            chosen = {slot: cands[i % len(cands)] for slot, cands in variant.items()}
            out.append(_request(service, spec, fixed, chosen))
    return list({(r.url, json.dumps(r.body)): r for r in out}.values())


def _request(service: str, spec: Any, fixed: dict[str, str], chosen: dict[str, Victim]) -> Request:
    path = spec.path
    for p, value in {**fixed, **{k: v.value for k, v in chosen.items() if "." not in k}}.items():
        path = path.replace(f"{{{p}}}", value)
    refs = {where: {k.split(".")[1]: v.value for k, v in chosen.items() if k.startswith(f"{where}.")}
            for where in ("query", "body")}
    url = f"/{service}{path}"
    if spec.query is not None:
        query = build(spec.query, refs["query"])
        if query:
            url += "?" + "&".join(f"{k}={v.isoformat() if isinstance(v, date) else v}" for k, v in query.items())
    body = build(spec.body, refs["body"]) if spec.body is not None else None
    return Request(service, spec.method, spec.path, url, body, tuple(chosen.values()), spec.action,
                   frozenset(k.split(".")[1] for k in chosen if "." in k))


def expectation(request: Request, caller: Caller) -> str | None:
    """What the rules demand of `caller` on `request` (None: the caller may legitimately reach it)."""
    p, key = caller.principal, (request.service, request.template)
    if request.method != "GET":
        key = ("", "")  # the filter tables are about listings
    needed = ROLE_FILTERS.get(key, {}).get(p.role)
    if needed and needed not in request.filters:
        return None
    action = authz.ACTIONS[request.action]
    if any(p.role not in authz.ACTIONS[FILTER_ACTIONS[(*key, f)]].roles
           for f in request.filters if (*key, f) in FILTER_ACTIONS):
        return "403"
    if p.role not in action.roles:
        return "403"
    if caller.column == "role may not":
        return None  # their own family's, group's or location's objects: they may
    if not request.victims:
        return "self" if action.relation in (Relation.SELF, Relation.TENANT) else None
    if is_twin(p, [v.value for v in request.victims]):
        return "twin"
    if p.tenant != d.TENANT and p.role is Role.ADMIN:
        # The whole of their own organisation is theirs: the victim's id names nothing there, so the answer
        # must be exactly the one any id that names nothing gets (404 in a path, 422 `unknown_*` in a body).
        return "absent"
    for victim in request.victims:
        level = victim.level if action.relation in (Relation.SELF, Relation.TENANT) else action.relation
        if is_related(p, level, victim):
            return None
    return "404"


def leak_strings(caller: Caller, every_victim: list[Victim], sent: str) -> list[str]:
    """What of the victim may not appear in `caller`'s answer: the family's names, e-mail addresses and
    ids, and the ids of every victim object the caller is not related to, except what the caller sent."""
    own_ids = MIRRORED if caller.principal.tenant != d.TENANT else frozenset()
    strings = set(FAMILY_STRINGS) | {v.value for v in every_victim
                                     if v.param not in ("child_id", "group_id", "location_id", "placement_id",
                                                        "contract_id", "user_id")
                                     and not is_related(caller.principal, v.level, v)}
    return sorted(s for s in strings if s not in sent and s not in own_ids)


def order(probe: Probe) -> tuple[int, str]:
    """Reads first, then refusals of writes, then the caller's own writes; signing out everywhere last."""
    r = probe.request
    last = r.template in ("/logout-all", "/password/change")
    return (3 if last else 2 if probe.expect == "self" and r.method != "GET" else 0 if r.method == "GET" else 1,
            r.url)
