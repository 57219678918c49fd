"""One id type with one alphabet on every route (security review, finding 3).

`GET /planning/calendar?child_id=a%23b` once answered 500: the id reached `store.key`, which refuses the
separator. Now every id a client sends is a `portal_common.ids.Id`: a path parameter outside the alphabet
is a 404 and a query or body field a 422 `validation_error` (like every broken constraint), before any key
is built. These tests are derived from the route table, so a new route or field is covered without anyone
remembering to.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from portal_common import authz, ids

BAD_IDS = ["a#b", "a b", "a/b", "", "x" * (ids.ID_MAX_LENGTH + 1), "noor\u00e9", "a\nb"]
GOOD_IDS = ["child-noor", "pho-01jd2k3m4n5p6q7r8s9t0v1w2x", "child-noor.2026-11-24.staff", "2026-11",
            "e4Zk_3-mQ9"]


def _routes(services) -> Iterator[tuple[str, Any]]:
    for name, svc in services.items():
        for spec in svc.app.portal_routes:
            yield name, spec


def _is_id_name(field_name: str) -> bool:
    return field_name == "id" or field_name.endswith("_id") or field_name.endswith("_ids")


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def _id_fields(model: type[BaseModel], seen: set[type] | None = None) -> Iterator[tuple[str, Any]]:
    """(dotted name, type adapter) of every id-named field of a model and of the models nested in it."""
    seen = seen if seen is not None else set()
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        annotation = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
        if _is_id_name(name):
            yield f"{model.__name__}.{name}", TypeAdapter(annotation)
        for nested in _models_in(field.annotation):
            yield from _id_fields(nested, seen)


def _id_field_cases(services) -> list[tuple[str, Any, bool]]:
    cases: dict[str, tuple[Any, bool]] = {}
    for _service, spec in _routes(services):
        for model in (spec.query, spec.body):
            if model is not None:
                for name, adapter in _id_fields(model):
                    cases[name] = (adapter, name.endswith("_ids"))
    return [(name, adapter, plural) for name, (adapter, plural) in sorted(cases.items())]


def test_every_id_field_of_every_query_and_body_refuses_anything_outside_the_alphabet(services):
    cases = _id_field_cases(services)
    assert len(cases) > 30, "the route table's models were not found"
    accepting = []
    for name, adapter, plural in cases:
        for bad in BAD_IDS:
            try:
                adapter.validate_python([bad] if plural else bad)
            except ValidationError:
                continue
            accepting.append(f"{name} accepts {bad!r}")
    assert not accepting, "id fields that are not a portal_common.ids.Id:\n" + "\n".join(accepting)


def test_the_id_type_takes_every_shape_of_id_the_services_mint():
    for good in GOOD_IDS:
        assert ids.is_id(good), good
        assert TypeAdapter(ids.Id).validate_python(good) == good
    for bad in BAD_IDS:
        assert not ids.is_id(bad), bad
        with pytest.raises(ValidationError):
            TypeAdapter(ids.Id).validate_python(bad)


def _caller_for(tokens, spec) -> dict[str, str]:
    action = authz.ACTIONS[spec.action]
    role = sorted(action.roles)[0]
    return tokens.header(role=role, user_id="user-probe", children=("child-noor",), groups=("grp-rupsen",),
                         locations=("loc-zonnebloem",))


def test_a_path_parameter_outside_the_alphabet_is_a_404_before_anything_is_read(services, api, tokens):
    """Every protected route with a path parameter, each parameter given `a#b` (URL-encoded), in turn."""
    from portal_common.testing.calls import count_calls

    probed = 0
    wrong = []
    for service, spec in _routes(services):
        if spec.public or "{" not in spec.path:
            continue
        names = [part[1:-1] for part in spec.path.split("/") if part.startswith("{")]
        for bad_name in names:
            path = spec.path
            for name in names:
                path = path.replace("{" + name + "}", "a%23b" if name == bad_name else "child-noor")
            with count_calls() as calls:
                answer = api.open(f"/{service}{path}", method=spec.method, headers=_caller_for(tokens, spec),
                                  json={} if spec.method in ("POST", "PUT") else None)
            probed += 1
            dynamodb = sum(n for call, n in calls.items() if call.startswith("dynamodb."))
            if answer.status_code != 404 or answer.json.get("code") != "not_found" or dynamodb:
                wrong.append(f"{spec.method} /{service}{path}: {answer.status_code} {answer.json} "
                             f"after {dynamodb} DynamoDB calls")
    assert probed > 40
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("bad", ["a#b", "a%23b", "a b", "x" * 200])
def test_a_query_id_outside_the_alphabet_is_a_422_naming_the_parameter(world, parent, bad):
    """The security review's probe: the calendar once answered 500 on `child_id=a#b`."""
    answer = world.get(f"/planning/calendar?from=2026-11-23&to=2026-11-29&child_id={quote(bad)}", headers=parent)
    assert answer.status_code == 422, answer.json["errors"]
    assert answer.json["code"] == "validation_error"
    assert ["query", "child_id"] in [e["loc"] for e in answer.json["errors"]]

