"""JSON log lines carry the request's ids and never personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from portal_common import logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("pctest.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logs.clear()
    yield stream
    logs.clear()
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_bound_ids_appear_on_every_line(captured):
    logs.bind(request_id="req-1", tenant="t1", user_id="u1", service="pctest")
    log = logging.getLogger("pctest.logs")
    log.info("first")
    log.warning("second %s", "arg")
    first, second = lines(captured)
    for line in (first, second):
        assert (line["request_id"], line["tenant"], line["user_id"], line["service"]) == ("req-1", "t1", "u1", "pctest")
        assert line["logger"] == "pctest.logs" and line["ts"].endswith("+00:00")
    assert (first["level"], first["msg"]) == ("INFO", "first")
    assert second["msg"] == "second arg"


def test_empty_values_are_not_bound_and_clear_forgets(captured):
    logs.bind(request_id="req-1", tenant=None, user_id="")
    logging.getLogger("pctest.logs").info("x")
    logs.clear()
    logging.getLogger("pctest.logs").info("y")
    x, y = lines(captured)
    assert x["request_id"] == "req-1" and "tenant" not in x and "user_id" not in x
    assert "request_id" not in y


@pytest.mark.parametrize("key", ["email", "to_email", "full_name", "child_name", "password", "access_token", "Token",
                                 "phone", "address", "text", "body", "client_secret"])
def test_personal_data_in_extra_is_redacted(captured, key):
    logging.getLogger("pctest.logs").info("sent", extra={key: "sanne@example.nl Sanne de Vries"})
    (line,) = lines(captured)
    assert line[key] == "[redacted]"
    assert "sanne@example.nl" not in captured.getvalue() and "Vries" not in captured.getvalue()


def test_harmless_extra_keys_are_kept(captured):
    logging.getLogger("pctest.logs").info("done", extra={"event_type": "a.b", "count": 3, "ok": True,
                                                        "ids": ["c1", "c2"]})
    (line,) = lines(captured)
    assert (line["event_type"], line["count"], line["ok"], line["ids"]) == ("a.b", 3, True, "['c1', 'c2']")


def test_exceptions_are_logged_as_one_line(captured):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("pctest.logs").exception("failed")
    (line,) = lines(captured)
    assert line["level"] == "ERROR" and "RuntimeError: boom" in line["exc"]
    assert len(captured.getvalue().strip().splitlines()) == 1


def test_non_ascii_is_kept_readable(captured):
    logging.getLogger("pctest.logs").info("privé")
    assert "privé" in captured.getvalue()
