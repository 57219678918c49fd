"""Problem documents (RFC 9457) and language negotiation."""

from __future__ import annotations

import json

import pytest

from portal_common import errors, i18n


def test_problem_document_is_dutch_by_default():
    body = errors.NotFound().to_dict()
    assert body == {
        "type": "urn:ouderportaal:problem:not_found",
        "title": "Niet gevonden",
        "status": 404,
        "code": "not_found",
        "detail": "Niet gevonden",
    }


def test_problem_document_in_english_on_request():
    body = errors.Forbidden(code="action_not_allowed").to_dict("en")
    assert body["title"] == "Forbidden"
    assert body["code"] == "action_not_allowed"
    assert body["type"] == "urn:ouderportaal:problem:action_not_allowed"
    assert body["status"] == 403


def test_detail_key_follows_the_language_and_fills_values():
    problem = errors.PayloadTooLarge(detail_key="error.too_large.detail", detail_values={"limit": 2048})
    assert problem.to_dict("nl")["detail"] == "De inhoud is groter dan 2048 bytes."
    assert problem.to_dict("en")["detail"] == "The body is larger than 2048 bytes."


def test_unknown_language_falls_back_to_dutch():
    assert errors.Conflict().to_dict("de")["title"] == "Conflict met de huidige toestand"


def test_errors_list_is_included_only_when_given():
    assert "errors" not in errors.BadRequest().to_dict()
    items = [{"loc": ["body", "x"], "msg": "bad"}]
    assert errors.BadRequest(errors=items).to_dict()["errors"] == items


def test_plain_detail_is_kept():
    assert errors.Conflict("request is no longer pending").to_dict("en")["detail"] == "request is no longer pending"


@pytest.mark.parametrize("cls", sorted(set(errors.BY_STATUS.values()), key=lambda c: c.status))
def test_every_problem_class_has_dutch_and_english_titles(cls):
    problem = cls(5) if cls is errors.TooManyRequests else cls()
    nl, en = problem.to_dict("nl"), problem.to_dict("en")
    assert nl["status"] == en["status"] == cls.status
    assert nl["title"] and en["title"] and nl["title"] != en["title"]


def test_too_many_requests_sets_retry_after():
    problem = errors.TooManyRequests(30)
    assert problem.status == 429
    assert problem.headers == {"Retry-After": "30"}
    assert problem.to_dict("en")["title"] == "Too many requests"


@pytest.mark.parametrize("seconds,header", [(0, "1"), (-5, "1"), (2.7, "2")])
def test_retry_after_is_a_positive_whole_number(seconds, header):
    assert errors.TooManyRequests(seconds).headers["Retry-After"] == header  # type: ignore[arg-type]


@pytest.mark.parametrize("status,code,title_en", [
    (401, "unauthorized", "Not signed in"), (404, "not_found", "Not found"),
    (405, "method_not_allowed", "Method not allowed"), (415, "unsupported_media_type", "Unsupported media type"),
    (500, "internal", "Something went wrong"),
])
def test_problem_body_for_bare_statuses(status, code, title_en):
    body = json.loads(errors.problem_body(status, "en"))
    assert (body["status"], body["code"], body["title"]) == (status, code, title_en)
    assert body["type"] == errors.TYPE_PREFIX + code
    assert body["detail"]


def test_problem_body_for_an_unlisted_status_keeps_that_status():
    body = json.loads(errors.problem_body(502, detail="upstream down"))
    assert body["status"] == 502 and body["detail"] == "upstream down"
    assert body["title"] == "Er ging iets mis"
    # The class attribute of the generic problem is untouched.
    assert errors.Problem.status == 500 and errors.Problem().status == 500


# -- texts and negotiation -------------------------------------------------------------------------

@pytest.fixture
def texts():
    """Texts registered by a test are forgotten afterwards (a guard test checks every registered text)."""
    before = {k: dict(v) for k, v in i18n._TEXTS.items()}
    yield
    i18n._TEXTS.clear()
    i18n._TEXTS.update(before)


def test_missing_english_text_falls_back_to_dutch(texts):
    i18n.register({"pctest.only_dutch": {"nl": "Alleen Nederlands"}})
    assert i18n.t("pctest.only_dutch", "en") == "Alleen Nederlands"


def test_text_without_dutch_is_refused(texts):
    with pytest.raises(ValueError, match="Dutch"):
        i18n.register({"pctest.only_english": {"en": "Only English"}})
    assert not i18n.has("pctest.only_english")


def test_missing_key_is_an_error():
    with pytest.raises(KeyError):
        i18n.t("pctest.never.registered")


@pytest.mark.parametrize("header,preferred,expected", [
    ("en-GB,en;q=0.9", "nl", "nl"),          # the stored preference wins
    ("nl", "en", "en"),
    ("en-US,en;q=0.9,nl;q=0.8", None, "en"),
    ("de-DE,nl;q=0.8,en;q=0.5", None, "nl"),  # the first known language by weight
    ("nl;q=0.3,en;q=0.7", None, "en"),
    ("EN", None, "en"),
    ("fr-FR,de;q=0.9", None, "nl"),           # unknown languages: Dutch
    ("", None, "nl"),
    (None, None, "nl"),
    ("*", None, "nl"),
    (";;;,,,q=", None, "nl"),
    ("en;q=abc", None, "nl"),                 # a broken weight counts as refused, not as an error
    ("fr", "de", "nl"),                       # an unknown preference is ignored
    ("en", "de", "en"),
])
def test_negotiate(header, preferred, expected):
    assert i18n.negotiate(header, preferred) == expected


def test_negotiate_ignores_languages_refused_with_q_zero():
    # RFC 9110: q=0 means "not acceptable".
    assert i18n.negotiate("en;q=0") == "nl"
    assert i18n.negotiate("en;q=0, nl;q=0") == "nl"


def test_negotiate_accepts_whitespace_around_parameters():
    # RFC 9110 allows optional whitespace around ';' (some HTTP clients send it).
    assert i18n.negotiate("en; q=0.1, nl; q=0.9") == "nl"
    assert i18n.negotiate("nl ;q=0.2 , en ; q=0.8") == "en"


def test_a_domain_refusal_becomes_the_problem_of_its_kind_with_its_code():
    from portal_common import domain

    fields = [{"loc": ["body", "days", 0], "msg": "closed"}]
    for refusal, status in ((domain.RuleBroken("day_closed", errors=fields), 422),
                            (domain.StateConflict("not_pending"), 409), (domain.Missing("no_such_request"), 404)):
        problem = errors.from_domain(refusal)
        body = problem.to_dict("en")
        assert (problem.status, body["code"], body["status"]) == (status, refusal.code, status)
    assert errors.from_domain(domain.RuleBroken("day_closed", errors=fields)).to_dict()["errors"] == fields
