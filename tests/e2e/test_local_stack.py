"""The real local stack, started as `python -m infra.local`, checked over HTTP."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import uuid

import boto3
import pytest
import requests

from .conftest import REPO, StackProcess, free_port, port_is_free

pytestmark = pytest.mark.e2e
SERVICES = ("auth", "timeline", "messaging", "planning", "exports")
PROBLEM = "application/problem+json"


def assert_problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:ouderportaal:problem:")
    assert body["title"]
    return body


def test_every_service_is_healthy_and_documents_itself(stack):
    for svc in SERVICES:
        health = requests.get(f"{stack.base_url}/{svc}/health", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        doc = requests.get(f"{stack.base_url}/{svc}/openapi.json", timeout=5).json()
        assert doc["openapi"].startswith("3.1")
        assert doc["servers"] == [{"url": f"/{svc}"}]
        assert "/health" in doc["paths"]


def test_startup_prints_urls_demo_logins_and_how_long_it_took(stack):
    out = stack.output()
    for path in ("/", "/docs", "/dev/mail", *(f"/{svc}/health" for svc in SERVICES)):
        assert f"{stack.base_url}{path}" in out
    assert "parent1@demo.ouderportaal.nl" in out and "parent12@" in out and "admin@" in out
    assert "Demo-Ouderportaal-2026" in out
    assert stack.ready_seconds > 0  # printed; how fast it is is `make bench`'s figure (bench/startup.py)


def test_docs_page_lists_all_five_documents_with_their_routes(stack):
    page = requests.get(f"{stack.base_url}/docs", timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    for svc in SERVICES:
        assert f'href="/{svc}/openapi.json"' in page.text
        assert f"<code>/{svc}/health</code>" in page.text
    assert "Liveness of the service" in page.text


def test_home_page_is_the_dutch_placeholder(stack):
    page = requests.get(f"{stack.base_url}/", timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="nl">' in page.text
    assert 'href="/docs"' in page.text and 'href="/dev/mail"' in page.text


def test_mail_sent_through_ses_shows_up_newest_first_with_clickable_links(stack):
    aws = requests.get(f"{stack.base_url}/dev/aws", timeout=5).json()
    ses = boto3.client("ses", region_name=aws["region"], endpoint_url=aws["endpoint_url"],
                       aws_access_key_id="local", aws_secret_access_key="local")
    marker = uuid.uuid4().hex[:8]
    link = f"http://127.0.0.1:8000/activate?token={marker}&lang=nl"
    for n in (1, 2):
        ses.send_email(
            Source="no-reply@ouderportaal.nl",
            Destination={"ToAddresses": [f"parent{n}@demo.ouderportaal.nl"]},
            Message={"Subject": {"Data": f"Activeer je account {marker} #{n}"},
                     "Body": {"Text": {"Data": f"Open {link} om je wachtwoord te kiezen."},
                              "Html": {"Data": f'<p><a href="{link}">Activeer</a> <script>alert(1)</script></p>'}}},
        )
    mails = requests.get(f"{stack.base_url}/dev/mail.json", timeout=5).json()
    ours = [m for m in mails if marker in m["subject"]]
    assert [m["to"] for m in ours] == ["parent2@demo.ouderportaal.nl", "parent1@demo.ouderportaal.nl"]
    assert ours[0]["text"] == f"Open {link} om je wachtwoord te kiezen."
    assert ours[0]["html"].startswith("<p><a href=")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", ours[0]["sent_at"])

    page = requests.get(f"{stack.base_url}/dev/mail", timeout=5).text
    escaped = link.replace("&", "&amp;")
    assert f'<a href="{escaped}">{escaped}</a>' in page
    assert "<script>alert(1)</script>" not in page  # the HTML part only lives, escaped, in a sandboxed srcdoc
    assert re.search(r'<iframe[^>]*sandbox="[^"]*"[^>]*srcdoc="[^"]*&lt;script&gt;', page)
    assert page.index(f"{marker} #2") < page.index(f"{marker} #1")


@pytest.mark.moves_clock_far(2)  # to 2031: after everything else
def test_dev_clock_moves_forward_only(stack):
    url = f"{stack.base_url}/dev/clock"
    now = requests.get(url, timeout=5).json()["now"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", now)

    target = "2031-03-04T05:06:07+01:00"
    moved = requests.post(url, json={"now": target}, timeout=10)
    assert moved.status_code == 200, moved.text
    assert moved.json()["now"] >= target
    assert isinstance(moved.json()["fired"], list)
    assert requests.get(url, timeout=5).json()["now"].startswith("2031-03-04T05:0")

    assert_problem(requests.post(url, json={"now": "2020-01-01T00:00:00+00:00"}, timeout=5), 422)
    assert requests.get(url, timeout=5).json()["now"].startswith("2031-03-04")
    assert_problem(requests.post(url, data="not json", timeout=5), 400)
    assert_problem(requests.post(url, json={"now": "2032-01-01T00:00:00"}, timeout=5), 400)  # no offset
    assert_problem(requests.post(url, json={"now": "tomorrow"}, timeout=5), 400)


def test_unknown_paths_and_methods_get_problem_documents(stack):
    assert_problem(requests.get(f"{stack.base_url}/nothing/here", timeout=5), 404)
    assert_problem(requests.get(f"{stack.base_url}/planning/nothing", timeout=5), 404)
    assert_problem(requests.get(f"{stack.base_url}/dev/nothing", timeout=5), 404)
    wrong = requests.post(f"{stack.base_url}/auth/health", timeout=5)
    assert_problem(wrong, 405)
    assert wrong.headers["Allow"] == "GET"
    escape = requests.get(f"{stack.base_url}/%2e%2e/pyproject.toml", timeout=5)
    assert_problem(escape, 404)


def test_bodies_over_the_gateway_limit_are_refused_and_big_ones_do_not_hurt(stack):
    too_big = requests.post(f"{stack.base_url}/auth/health", data=b"x" * (10 * 1024 * 1024 + 1),
                            headers={"Content-Type": "application/json"}, timeout=30)
    body = assert_problem(too_big, 413)
    assert body["code"] == "payload_too_large"
    big = requests.post(f"{stack.base_url}/auth/health", data=b"{" * (3 * 1024 * 1024),
                        headers={"Content-Type": "application/json"}, timeout=30)
    assert_problem(big, 405)  # handed on (capped), the app answers
    assert requests.get(f"{stack.base_url}/auth/health", timeout=5).status_code == 200


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_stack_cleanly_and_frees_the_port(sig):
    """Right after "ready" the demo's invoices, photos and messages are still being seeded in the background:
    the stack stops in the middle of that, exits 0 and frees its port. (How long it takes is a figure of
    `make bench`, not something a test on a busy machine can promise.)"""
    port = free_port()
    process = StackProcess(port).start()
    try:
        assert process.base_url == f"http://127.0.0.1:{port}"
        assert requests.get(f"{process.base_url}/exports/health", timeout=5).status_code == 200
        code, _seconds = process.stop(sig, timeout=120)
        assert code == 0, process.errors()
        assert "stopped in" in process.output()
        assert "FAILED" not in process.output() and "Traceback" not in process.errors(), process.errors()
        deadline = time.monotonic() + 60
        while not port_is_free(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert port_is_free(port)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{process.base_url}/exports/health", timeout=2)
    finally:
        process.close()


IN_PROCESS = """
import json, os, threading, urllib.request
from infra.local.stack import LocalStack

before = os.environ.get("AWS_ENDPOINT_URL")
with LocalStack(port=0, seed_demo=False, access_log=False) as stack:
    with urllib.request.urlopen(stack.base_url + "/planning/health") as answer:
        health = json.load(answer)
    inside = os.environ["AWS_ENDPOINT_URL"]
print(json.dumps({"health": health, "base_url": stack.base_url, "moto_url": stack.moto_url, "inside": inside,
                  "restored": os.environ.get("AWS_ENDPOINT_URL") == before,
                  "threads": sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())}))
"""


def test_the_in_process_api_starts_on_a_free_port_and_puts_everything_back():
    done = subprocess.run([sys.executable, "-c", IN_PROCESS], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["health"] == {"status": "ok"}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", result["base_url"])
    assert result["inside"] == result["moto_url"]
    assert result["restored"] is True
    assert not [name for name in result["threads"] if name.startswith(("http", "sqs:", "schedules"))]


WIRED = """
import json, threading, time, urllib.request
from datetime import datetime, timedelta
from chalice import Rate
from infra.local.stack import LocalStack
from portal_common import events, settings

handled, ticks = [], []
got = threading.Event()

@events.event_type("test.ping.sent", owner="exports")
class Ping(events.EventPayload):
    n: int

class Stack(LocalStack):  # one consumer and one schedule more than the services have today
    def _load_services(self):
        super()._load_services()
        app = self.services["timeline"].app
        app.consume({"test.ping.sent": lambda env: (handled.append(env.payload["n"]), got.set())})

        @app.schedule(Rate(1, unit=Rate.HOURS), name="test_hourly")
        def hourly(event):
            ticks.append(event.time)  # Chalice hands the handler a CloudWatchEvent

with Stack(port=0, seed_demo=False, access_log=False) as stack:
    ping = events.make_event(Ping(n=7), tenant="t1", source="exports")
    events.get_bus().publish([ping, ping])  # a duplicate delivery, as SNS may do
    got.wait(10)
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.get_settings().queue_name("timeline"))["QueueUrl"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
            break
        time.sleep(0.05)
    now = json.load(urllib.request.urlopen(stack.base_url + "/dev/clock"))["now"]
    later = (datetime.fromisoformat(now) + timedelta(hours=2)).isoformat()
    request = urllib.request.Request(stack.base_url + "/dev/clock", data=json.dumps({"now": later}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    moved = json.load(urllib.request.urlopen(request))
print(json.dumps({"handled": handled, "fired": moved["fired"], "ticks": ticks, "queue_left": attrs}))
"""


def test_events_reach_consumers_once_and_moving_the_clock_fires_schedules():
    done = subprocess.run([sys.executable, "-c", WIRED], cwd=REPO, capture_output=True, text=True, timeout=40)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["handled"] == [7]  # through SNS, the filter, SQS and the idempotent consumer: once
    assert result["queue_left"]["ApproximateNumberOfMessages"] == "0"
    assert result["queue_left"]["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert "timeline.test_hourly" in result["fired"]
    assert len(result["ticks"]) == 1
