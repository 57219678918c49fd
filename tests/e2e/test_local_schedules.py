"""Schedule expressions and the scheduler of the local stack (EventBridge's job in AWS)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from chalice import Cron, Rate

from infra.local.schedules import Job, ScheduleError, Scheduler, expression_of, parse

pytestmark = pytest.mark.e2e
UTC = UTC


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(("expression", "period"), [
    ("rate(1 minute)", timedelta(minutes=1)),
    ("rate(5 minutes)", timedelta(minutes=5)),
    ("rate(1 hour)", timedelta(hours=1)),
    ("rate(12 hours)", timedelta(hours=12)),
    ("rate(1 day)", timedelta(days=1)),
    ("rate(7 days)", timedelta(days=7)),
])
def test_rate_schedules_fire_every_period(expression, period):
    start = at("2026-11-24T09:00:00+01:00")
    assert parse(expression).next_after(start) == start + period


@pytest.mark.parametrize(("expression", "after", "expected"), [
    # every day at 02:30 UTC
    ("cron(30 2 * * ? *)", "2026-11-24T01:00:00+00:00", "2026-11-24T02:30:00+00:00"),
    ("cron(30 2 * * ? *)", "2026-11-24T02:30:00+00:00", "2026-11-25T02:30:00+00:00"),
    # minute lists: the next one in the same hour, else the next hour
    ("cron(0,15,45 * * * ? *)", "2026-11-24T10:16:00+00:00", "2026-11-24T10:45:00+00:00"),
    ("cron(0,15,45 * * * ? *)", "2026-11-24T10:50:10+00:00", "2026-11-24T11:00:00+00:00"),
    # weekdays by name: Monday to Friday at 06:00 UTC; from Friday evening → Monday
    ("cron(0 6 ? * MON-FRI *)", "2026-11-27T18:00:00+00:00", "2026-11-30T06:00:00+00:00"),
    ("cron(0 6 ? * MON,WED,FRI *)", "2026-11-24T07:00:00+00:00", "2026-11-25T06:00:00+00:00"),
    # weekday numbers are EventBridge's: 1 = Sunday, 7 = Saturday
    ("cron(0 8 ? * 1 *)", "2026-11-24T00:00:00+00:00", "2026-11-29T08:00:00+00:00"),
    ("cron(0 8 ? * 7 *)", "2026-11-24T00:00:00+00:00", "2026-11-28T08:00:00+00:00"),
    # the first of every month, and a year field
    ("cron(0 0 1 * ? *)", "2026-11-24T00:00:00+00:00", "2026-12-01T00:00:00+00:00"),
    ("cron(0 12 1 JAN ? 2028)", "2026-11-24T00:00:00+00:00", "2028-01-01T12:00:00+00:00"),
    # leap day
    ("cron(0 0 29 2 ? *)", "2026-03-01T00:00:00+00:00", "2028-02-29T00:00:00+00:00"),
    # steps
    ("cron(*/20 9 * * ? *)", "2026-11-24T09:21:00+00:00", "2026-11-24T09:40:00+00:00"),
    # a local time is compared as the same instant in UTC
    ("cron(0 7 * * ? *)", "2026-11-24T09:00:00+01:00", "2026-11-25T07:00:00+00:00"),
])
def test_cron_schedules_fire_at_the_next_matching_minute_in_utc(expression, after, expected):
    assert parse(expression).next_after(at(after)) == at(expected)


def test_a_cron_that_can_never_match_is_never_due():
    assert parse("cron(0 0 31 2 ? *)").next_after(at("2026-01-01T00:00:00+00:00")) is None


@pytest.mark.parametrize("expression", [
    "rate(0 minutes)", "rate(5 weeks)", "every day", "cron(0 0 * * *)", "cron(0 0 1 * MON *)",
    "cron(61 0 * * ? *)", "cron(0 0 L * ? *)", "cron(0 0 ? * MON#1 *)", "cron(0 0 * * ? 2026-)",
])
def test_unsupported_or_malformed_expressions_are_refused(expression):
    with pytest.raises(ScheduleError):
        parse(expression)


def test_chalice_expressions_are_read_as_eventbridge_strings():
    class Config:
        schedule_expression = Rate(1, unit=Rate.MINUTES)

    assert expression_of(Config) == "rate(1 minute)"
    Config.schedule_expression = Cron(0, 3, "*", "*", "?", "*")
    assert parse(expression_of(Config)).next_after(at("2026-11-24T00:00:00+00:00")) == at("2026-11-24T03:00:00+00:00")


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now_value = now

    def now(self) -> datetime:
        return self.now_value


def test_the_scheduler_fires_due_jobs_once_per_check_and_hands_them_a_scheduled_event():
    clock = FakeClock(at("2026-11-24T09:00:30+01:00"))
    calls: dict[str, list[dict]] = {"minutely": [], "nightly": [], "broken": []}

    def broken(event):
        calls["broken"].append(event)
        raise RuntimeError("boom")

    jobs = [
        Job("svc.minutely", parse("rate(1 minute)"), calls["minutely"].append, rule="svc-local-minutely"),
        Job("svc.nightly", parse("cron(0 2 * * ? *)"), calls["nightly"].append, rule="svc-local-nightly"),
        Job("svc.broken", parse("rate(1 hour)"), broken, rule="svc-local-broken"),
    ]
    scheduler = Scheduler(jobs, clock.now, region="eu-west-1", account="123456789012")
    assert scheduler.fire_due() == []

    clock.now_value = at("2026-11-24T09:01:30+01:00")
    assert scheduler.fire_due() == ["svc.minutely"]
    assert scheduler.fire_due() == []  # not twice for the same period

    # A jump over many periods fires each due job once, including past a failing one.
    clock.now_value = at("2026-11-26T12:00:00+01:00")
    assert scheduler.fire_due() == ["svc.minutely", "svc.nightly", "svc.broken"]
    assert len(calls["minutely"]) == 2 and len(calls["nightly"]) == 1 and len(calls["broken"]) == 1

    event = calls["nightly"][0]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-11-25T02:00:00Z"
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/svc-local-nightly"]
    assert event["region"] == "eu-west-1" and event["account"] == "123456789012" and event["detail"] == {}

    # After the jump the next due moments are measured from the new time.
    assert jobs[0].next_due == at("2026-11-26T12:01:00+01:00")
    assert jobs[1].next_due == at("2026-11-27T02:00:00+00:00")


def test_the_scheduler_thread_checks_on_its_own_and_stops_promptly():
    clock = FakeClock(at("2026-11-24T09:00:00+01:00"))
    fired = []
    scheduler = Scheduler([Job("svc.tick", parse("rate(1 minute)"), fired.append, rule="r")], clock.now,
                          region="eu-west-1", account="1", interval=0.02)
    scheduler.start()
    try:
        clock.now_value += timedelta(minutes=1)
        deadline = datetime.now(UTC) + timedelta(seconds=2)
        while not fired and datetime.now(UTC) < deadline:
            time.sleep(0.01)
        assert len(fired) == 1
    finally:
        scheduler.stop(timeout=1)
    assert not scheduler._thread.is_alive()
