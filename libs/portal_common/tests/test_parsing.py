"""Request bodies and query strings: 400 for shape, 413 too large, 415 wrong type, 422 rule broken."""

from __future__ import annotations

from datetime import date

import pytest
from pc_fakes import FakeRequest
from pydantic import Field, field_validator

from portal_common import errors
from portal_common.parsing import Body, Query, parse_body, parse_query

LIMIT = 1024


class Rhythm(Body):
    kind: str = Field(max_length=10)
    time: str


class DiaryIn(Body):
    child_id: str = Field(min_length=1, max_length=20)
    hours: int = Field(ge=0, le=12)
    day: date
    rhythm: list[Rhythm] = []

    @field_validator("child_id")
    @classmethod
    def no_spaces(cls, value: str) -> str:
        if " " in value:
            raise ValueError("no spaces allowed")
        return value


class ListQuery(Query):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None
    from_: date | None = Field(default=None, alias="from")


VALID = {"child_id": "c1", "hours": 5, "day": "2026-03-03"}


def parse(value: object, **kwargs: object) -> DiaryIn:
    return parse_body(FakeRequest.json(value, **kwargs), DiaryIn, LIMIT)  # type: ignore[arg-type]


def refused(request: FakeRequest, max_bytes: int = LIMIT) -> errors.Problem:
    with pytest.raises(errors.Problem) as info:
        parse_body(request, DiaryIn, max_bytes)
    return info.value


def locs(problem: errors.Problem) -> list[list[object]]:
    return [e["loc"] for e in problem.errors or []]


def test_valid_body_is_parsed_with_dates_from_strings():
    parsed = parse({**VALID, "rhythm": [{"kind": "sleep", "time": "12:00"}]})
    assert parsed.child_id == "c1" and parsed.hours == 5 and parsed.day == date(2026, 3, 3)
    assert parsed.rhythm[0].kind == "sleep"


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "Application/JSON", "application/problem+json",
    "application/merge-patch+json",
])
def test_json_media_types_are_accepted(content_type):
    assert parse(VALID, content_type=content_type).hours == 5


def test_str_raw_body_is_accepted():
    request = FakeRequest('{"child_id": "c1", "hours": 1, "day": "2026-03-03"}')
    assert parse_body(request, DiaryIn, LIMIT).hours == 1


def test_unknown_field_is_400_with_its_path():
    problem = refused(FakeRequest.json({**VALID, "colour": "red"}))
    assert problem.status == 400 and problem.code == "validation_error"
    assert locs(problem) == [["body", "colour"]]


def test_unknown_nested_field_has_the_full_path():
    problem = refused(FakeRequest.json({**VALID, "rhythm": [{"kind": "a", "time": "1", "x": 1}]}))
    assert problem.status == 400
    assert locs(problem) == [["body", "rhythm", 0, "x"]]


@pytest.mark.parametrize("field,value", [("hours", "5"), ("hours", 5.5), ("hours", True), ("child_id", 7),
                                         ("child_id", None), ("rhythm", {"kind": "a"})])
def test_wrong_types_are_400_not_coerced(field, value):
    problem = refused(FakeRequest.json({**VALID, field: value}))
    assert problem.status == 400
    assert ["body", field] in [loc[:2] for loc in locs(problem)]


def test_missing_field_is_400():
    problem = refused(FakeRequest.json({"child_id": "c1", "day": "2026-03-03"}))
    assert problem.status == 400
    assert locs(problem) == [["body", "hours"]]
    assert problem.errors[0]["type"] == "missing"  # type: ignore[index]


@pytest.mark.parametrize("value", [[VALID], "text", 5, None])
def test_a_body_that_is_not_an_object_is_400(value):
    assert refused(FakeRequest.json(value)).status == 400


@pytest.mark.parametrize("raw", [b'{"child_id": "c1",', b"{'a': 1}", b"<xml/>", b"\xff\xfe{}"])
def test_malformed_json_is_400_malformed_json(raw):
    problem = refused(FakeRequest(raw))
    assert (problem.status, problem.code) == (400, "malformed_json")
    assert problem.to_dict("en")["detail"] == "The body is not valid JSON."


@pytest.mark.parametrize("raw", [b"", None, b"   \n"])
def test_empty_body_is_400(raw):
    problem = refused(FakeRequest(raw))
    assert problem.status == 400
    assert locs(problem) == [["body"]]


def test_body_over_the_limit_is_413_counted_in_bytes():
    text = "é" * 40  # 40 characters, 80 bytes
    request = FakeRequest.json({**VALID, "child_id": text})
    assert len(request.raw_body) > 90  # type: ignore[arg-type]
    problem = refused(request, max_bytes=90)
    assert problem.status == 413
    assert "90" in problem.to_dict()["detail"]


def test_body_exactly_at_the_limit_is_accepted():
    request = FakeRequest.json(VALID)
    assert parse_body(request, DiaryIn, len(request.raw_body)).hours == 5  # type: ignore[arg-type]


def test_size_is_checked_before_anything_else():
    problem = refused(FakeRequest(b"x" * 100, {"content-type": "text/plain"}), max_bytes=10)
    assert problem.status == 413


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/jsonp", "text/json"])
def test_wrong_content_type_is_415(content_type):
    problem = refused(FakeRequest.json(VALID, content_type=content_type))
    assert problem.status == 415
    assert problem.to_dict("en")["detail"] == "Send the body as application/json."


@pytest.mark.parametrize("field,value", [("child_id", "x" * 21), ("child_id", ""), ("hours", -1), ("hours", 13),
                                         ("child_id", "a b")])
def test_constraint_violations_are_422_with_the_field_path(field, value):
    problem = refused(FakeRequest.json({**VALID, field: value}))
    assert problem.status == 422 and problem.code == "validation_error"
    assert locs(problem) == [["body", field]]


def test_nested_constraint_violation_is_422_with_index_in_path():
    problem = refused(FakeRequest.json({**VALID, "rhythm": [{"kind": "ok", "time": "1"},
                                                            {"kind": "k" * 11, "time": "2"}]}))
    assert problem.status == 422
    assert locs(problem) == [["body", "rhythm", 1, "kind"]]


def test_shape_errors_win_over_rule_errors():
    problem = refused(FakeRequest.json({**VALID, "hours": 99, "extra": 1}))
    assert problem.status == 400
    assert sorted(map(str, locs(problem))) == sorted(map(str, [["body", "hours"], ["body", "extra"]]))


def test_validation_problem_document_lists_errors():
    body = refused(FakeRequest.json({**VALID, "hours": -1})).to_dict("en")
    assert body["status"] == 422
    assert body["detail"] == "The request has invalid fields."
    assert body["errors"][0]["loc"] == ["body", "hours"] and body["errors"][0]["msg"]


# -- query strings ---------------------------------------------------------------------------------

def test_query_strings_are_coerced():
    parsed = parse_query(FakeRequest(query_params={"limit": "5", "from": "2026-03-01"}), ListQuery)
    assert parsed.limit == 5 and parsed.from_ == date(2026, 3, 1)


def test_query_defaults_when_absent():
    parsed = parse_query(FakeRequest(query_params=None), ListQuery)
    assert parsed.limit == 20 and parsed.cursor is None


def test_unknown_query_key_is_400():
    with pytest.raises(errors.BadRequest) as info:
        parse_query(FakeRequest(query_params={"limit": "5", "tenant": "other"}), ListQuery)
    assert locs(info.value) == [["query", "tenant"]]


def test_unparsable_query_value_is_400():
    with pytest.raises(errors.Problem) as info:
        parse_query(FakeRequest(query_params={"limit": "many"}), ListQuery)
    assert info.value.status == 400
    assert locs(info.value) == [["query", "limit"]]


def test_query_value_out_of_range_is_422():
    with pytest.raises(errors.Problem) as info:
        parse_query(FakeRequest(query_params={"limit": "1000"}), ListQuery)
    assert info.value.status == 422
    assert locs(info.value) == [["query", "limit"]]
