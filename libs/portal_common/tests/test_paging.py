"""Sealed paging cursors: usable only by the same subject, tenant and list, unedited, for 24 hours."""

from __future__ import annotations

import base64
import string
from datetime import timedelta

import pytest

from portal_common import errors, settings
from portal_common.paging import Page, open_cursor, seal

SCOPE = {"scope": "planning:list_requests", "tenant": "t1", "subject": "u1"}
POSITION = {"pk": "t1#CHILD#c1", "sk": "REQ#01J00000000000000000000000"}
ALPHABET = string.ascii_letters + string.digits + "-_"


@pytest.fixture(autouse=True)
def _clock(clock):
    return clock


def refused(cursor: str, **scope: str) -> None:
    with pytest.raises(errors.BadRequest) as info:
        open_cursor(cursor, **{**SCOPE, **scope})
    assert info.value.code == "invalid_cursor"
    assert info.value.errors == [{"loc": ["query", "cursor"], "msg": "invalid cursor"}]


def test_round_trip_for_the_same_scope_tenant_and_subject():
    cursor = seal(POSITION, **SCOPE)
    assert open_cursor(cursor, **SCOPE) == POSITION


def test_cursor_is_opaque():
    cursor = seal(POSITION, **SCOPE)
    assert set(cursor) <= set(ALPHABET)
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert b"t1#CHILD#c1" not in decoded and b"REQ#" not in decoded  # encrypted, not just encoded
    assert seal(POSITION, **SCOPE) != cursor  # fresh nonce every time


@pytest.mark.parametrize("other", [{"subject": "u2"}, {"tenant": "t2"}, {"scope": "planning:list_invoices"},
                                   {"scope": "timeline:list_requests"}])
def test_refused_elsewhere(other):
    refused(seal(POSITION, **SCOPE), **other)


def test_refused_after_editing_any_character():
    cursor = seal(POSITION, **SCOPE)
    for i, char in enumerate(cursor):
        for replacement in {ALPHABET[(ALPHABET.index(char) + 1) % len(ALPHABET)], "A" if char != "A" else "B"}:
            refused(cursor[:i] + replacement + cursor[i + 1:])


@pytest.mark.parametrize("edit", [
    lambda c: c.replace("-", "+").replace("_", "/") if ("-" in c or "_" in c) else c + "+",  # other alphabet
    lambda c: c[:5] + "." + c[5:],     # characters base64 decoding would silently skip
    lambda c: c[:5] + "\n" + c[5:],
    lambda c: c + "=",
    lambda c: c + "==",
    lambda c: c + "AAAA",
])
def test_refused_in_any_other_spelling(edit):
    cursor = seal(POSITION, **SCOPE)
    assert edit(cursor) != cursor
    refused(edit(cursor))


@pytest.mark.parametrize("cut", [1, 2, 10, 30])
def test_refused_when_truncated(cut):
    cursor = seal(POSITION, **SCOPE)
    refused(cursor[:-cut])


@pytest.mark.parametrize("garbage", ["", "x", "not-a-cursor", "%%%%", "é" * 10, "A" * 40, "A" * 3000,
                                     base64.urlsafe_b64encode(b"\x00" * 64).decode()])
def test_refused_when_garbage(garbage):
    refused(garbage)


def test_valid_for_24_hours_then_refused(clock):
    cursor = seal(POSITION, **SCOPE)
    clock.advance(timedelta(hours=24))
    assert open_cursor(cursor, **SCOPE) == POSITION
    clock.advance(timedelta(seconds=1))
    refused(cursor)


def test_refused_after_the_key_changes(monkeypatch):
    cursor = seal(POSITION, **SCOPE)
    monkeypatch.setenv("PORTAL_CURSOR_KEY", base64.b64encode(b"k" * 32).decode())
    settings.reset_settings()
    refused(cursor)


def test_malformed_cursor_key_is_refused_at_startup(monkeypatch):
    monkeypatch.setenv("PORTAL_CURSOR_KEY", base64.b64encode(b"short").decode())
    settings.reset_settings()
    with pytest.raises(settings.SettingsError):
        settings.get_settings()


def test_cursor_key_is_required_outside_dev_stages(monkeypatch):
    monkeypatch.setenv("PORTAL_STAGE", "prod")
    settings.reset_settings()
    with pytest.raises(settings.SettingsError, match="PORTAL_CURSOR_KEY"):
        settings.get_settings()


def test_page_body_seals_the_next_position():
    body = Page(["a", "b"], POSITION).to_body(**SCOPE)
    assert body["items"] == ["a", "b"]
    assert open_cursor(body["next_cursor"], **SCOPE) == POSITION


def test_last_page_has_no_cursor():
    assert Page(["a"], None).to_body(**SCOPE) == {"items": ["a"], "next_cursor": None}
    assert Page(["a"], None).to_body(**SCOPE, items=[{"id": "a"}]) == {"items": [{"id": "a"}], "next_cursor": None}
