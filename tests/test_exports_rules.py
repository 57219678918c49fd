"""The rules of the exports service, tested as plain functions: no AWS, no app, only the rule modules
(which periods may be exported, what state an export is in, when a personal-data export is packed, and when
a retention purge is complete, stuck, or asks again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from exports_service.archives import rules as archives
from exports_service.diary import rules as diary
from exports_service.personal_data import rules as personal
from exports_service.purges import rules as purges
from portal_common.domain import Missing, RuleBroken, StateConflict

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SERVICES = ("auth", "timeline", "messaging", "planning", "exports")
NOOR = [("2025-09-01", None)]  # placed since 1 September 2025, no end


# -- diary: which periods may be exported ------------------------------------------------------------------
def test_a_period_within_the_placements_up_to_today_may_be_exported():
    diary.check_period(date(2026, 11, 1), TODAY, TODAY, NOOR)
    diary.check_period(date(2025, 9, 1), date(2025, 9, 1), TODAY, NOOR)  # one day, the very first
    diary.check_period(date(2024, 1, 1), date(2024, 12, 31), TODAY, [("2024-01-01", "2024-06-30"),
                                                                       ("2024-07-01", "2024-12-31")])


@pytest.mark.parametrize("start, end, code", [
    (date(2026, 11, 24), date(2026, 11, 1), "period_reversed"),
    (date(2026, 11, 1), date(2026, 11, 25), "period_in_future"),
    (date(2025, 8, 31), date(2026, 11, 1), "outside_placement"),
])
def test_a_reversed_future_or_unplaced_period_is_refused_with_its_code(start, end, code):
    with pytest.raises(RuleBroken) as refused:
        diary.check_period(start, end, TODAY, NOOR)
    assert refused.value.code == code


def test_reversed_and_future_are_said_before_looking_at_the_placements():
    with pytest.raises(RuleBroken) as refused:
        diary.check_period(date(2026, 11, 2), date(2026, 11, 1), TODAY, [])
    assert refused.value.code == "period_reversed" and refused.value.errors[0]["loc"] == ["body", "to"]


def test_a_period_after_the_last_placement_ended_names_both_ends():
    with pytest.raises(RuleBroken) as refused:
        diary.check_period(date(2026, 1, 1), date(2026, 3, 1), TODAY, [("2025-09-01", "2026-01-31")])
    assert refused.value.code == "outside_placement"
    assert refused.value.errors == [{"loc": ["body"], "msg": "the child was placed from 2025-09-01 until 2026-01-31"}]


def test_a_child_without_placements_looks_absent():
    with pytest.raises(Missing):
        diary.check_period(date(2026, 11, 1), TODAY, TODAY, [])


# -- archives: what an export is, as its owner sees it -------------------------------------------------------
def test_a_ready_archive_expires_at_the_end_of_its_seven_days():
    until = archives.available_until(NOW)
    assert until == NOW + timedelta(days=7)
    created = NOW.isoformat()
    assert archives.status("ready", created, until.isoformat(), until - timedelta(seconds=1)) == "ready"
    assert archives.status("ready", created, until.isoformat(), until) == "expired"


def test_a_job_that_never_finished_counts_as_failed_after_six_hours():
    created = NOW.isoformat()
    for stored in archives.ACTIVE:
        assert archives.status(stored, created, None, NOW + timedelta(hours=6)) == stored
        assert archives.status(stored, created, None, NOW + timedelta(hours=6, seconds=1)) == "failed"
    assert archives.status("failed", created, None, NOW) == "failed"


def test_progress_is_the_share_of_steps_done_and_100_once_made():
    assert archives.percent("running", 1, 3) == 33
    assert archives.percent("queued", 0, 0) == 0  # nothing known yet
    assert archives.percent("ready", 0, 0) == archives.percent("expired", 2, 9) == 100


def test_only_a_ready_archive_is_downloaded_an_expired_one_is_gone():
    assert archives.download("ready") == "ready"
    assert archives.download("expired") == "expired"
    assert {archives.download(s) for s in ("queued", "running", "failed")} == {"not_ready"}


def test_one_export_of_a_kind_at_a_time():
    archives.check_not_running(["ready", "failed", "expired"], "busy")
    archives.check_not_running([], "busy")
    for active in archives.ACTIVE:
        with pytest.raises(StateConflict) as refused:
            archives.check_not_running(["ready", active], "an export of this child is still being made")
        assert refused.value.code == "export_running"
        assert refused.value.detail == "an export of this child is still being made"


def test_a_jobs_row_outlives_its_archive():
    assert archives.row_expiry(NOW) == NOW + timedelta(days=30) > archives.available_until(NOW)


# -- personal data: parts, names, packing ------------------------------------------------------------------
def test_a_part_counts_only_from_the_service_it_is_of():
    assert personal.counts_as_part("timeline", "timeline", SERVICES)
    assert not personal.counts_as_part("timeline", "planning", SERVICES)  # someone else speaking for it
    assert not personal.counts_as_part("billing", "billing", SERVICES)  # not a service holding family data


def test_the_packing_starts_when_every_services_part_is_in():
    assert not personal.all_parts_in(len(SERVICES) - 1, SERVICES)
    assert personal.all_parts_in(len(SERVICES), SERVICES)


def test_the_archive_and_its_readme_speak_the_requests_language():
    assert personal.file_name("en", TODAY) == "personal-data-2026-11-24.zip"
    assert personal.file_name("nl", TODAY) == "persoonsgegevens-2026-11-24.zip"
    assert personal.readme_name("en") == "README.txt" and personal.readme_name("nl") == "LEESMIJ.txt"
    english, dutch = personal.readme("en", TODAY), personal.readme(None, TODAY)  # Dutch unless asked in English
    assert english.startswith(b"Your personal data from the parent portal, requested on 2026-11-24")
    assert dutch.startswith(b"Uw persoonsgegevens uit het ouderportaal, opgevraagd op 2026-11-24")


def test_text_is_deflated_and_photos_are_stored_as_they_are():
    assert personal.compressed("messaging/conversations.json") and personal.compressed("LEESMIJ.txt")
    assert not personal.compressed("timeline/photos/2026-11-20.jpg") and not personal.compressed("a.pdf")


def test_a_zip_entry_carries_the_local_wall_clock_time():
    assert personal.zip_time(datetime(2026, 11, 24, 10, 5, 7)) == (2026, 11, 24, 10, 5, 7)


def test_a_packing_step_writes_at_least_one_entry_and_stops_when_its_time_is_up_or_all_is_written():
    asked: list[int] = []

    def out_of_time() -> bool:
        asked.append(1)
        return True

    assert not personal.step_over(0, 3, 0, out_of_time) and asked == []  # the time is not even asked yet
    assert personal.step_over(1, 3, 1, out_of_time) and asked == [1]
    assert not personal.step_over(1, 3, 1, lambda: False)
    assert personal.step_over(3, 3, 0, out_of_time)  # everything written


# -- purges: complete, stuck, asked again, audited ------------------------------------------------------------
def clean(services=SERVICES) -> dict[str, int]:
    return dict.fromkeys(services, 0)


def test_a_purge_waits_until_every_service_confirmed_the_round():
    assert purges.next_step("open", 0, {"auth": 0, "timeline": 0}, SERVICES) == "waiting"
    assert purges.next_step("open", 1, {}, SERVICES) == "waiting"


def test_the_purge_itself_is_always_verified_by_a_second_round():
    assert purges.next_step("open", 0, clean(), SERVICES) == "next_round"
    assert purges.next_step("open", 0, {**clean(), "planning": 2}, SERVICES) == "next_round"


def test_a_verification_round_that_found_nothing_left_completes_the_purge():
    assert purges.next_step("open", 1, clean(), SERVICES) == "finish"
    assert purges.next_step("open", 3, clean(), SERVICES) == "finish"


def test_a_purge_still_finding_data_after_four_rounds_is_stuck():
    left = {**clean(), "timeline": 1}
    assert purges.next_step("open", 1, left, SERVICES) == "next_round"
    assert purges.next_step("open", purges.FAST_ROUNDS - 2, left, SERVICES) == "next_round"
    assert purges.next_step("open", purges.FAST_ROUNDS - 1, left, SERVICES) == "stuck"
    assert purges.still_finding(left) == ["timeline"]


def test_a_stuck_purge_does_not_move_on_its_confirmations():
    assert purges.next_step("stuck", 3, clean(), SERVICES) == "waiting"


def test_only_the_silent_services_are_asked_again_after_an_hour():
    assert purges.missing(["planning", "auth"], SERVICES) == ["timeline", "messaging", "exports"]
    assert purges.missing(SERVICES, SERVICES) == []
    asked = NOW.isoformat()
    assert not purges.due_to_ask_again(asked, NOW + timedelta(minutes=59))
    assert purges.due_to_ask_again(asked, NOW + timedelta(hours=1))
    assert not purges.alarm(2) and purges.alarm(3)


def test_a_confirmation_counts_only_from_the_service_it_is_of():
    assert purges.confirmed_by_a_service("auth", "auth", SERVICES)
    assert not purges.confirmed_by_a_service("auth", "timeline", SERVICES)
    assert not purges.confirmed_by_a_service("billing", "billing", SERVICES)


@dataclass
class Round:
    service: str
    round: int
    deleted: dict[str, Any] = field(default_factory=dict)
    kept: list[Any] = field(default_factory=list)


def test_the_audit_sums_what_each_round_deleted_and_keeps_what_the_law_keeps():
    invoices = [{"kind": "invoice", "count": 14, "until": "2034-01-01", "reason": "fiscal retention"}]
    rounds = [Round("auth", 1, {"rows": 0}), Round("auth", 0, {"rows": 3, "users": 1}),
              Round("planning", 0, {"rows": 5}, invoices), Round("planning", 1, {"rows": 1})]
    assert purges.audit_services(rounds) == {
        "auth": {"deleted": {"rows": 3, "users": 1}, "kept": []},
        "planning": {"deleted": {"rows": 6}, "kept": invoices},  # a later round saying nothing keeps it
    }


def test_the_audit_reference_is_a_stable_hash_that_names_nobody():
    ref = purges.audit_ref("demo", "child-yara", "2027-01-22")
    assert ref == purges.audit_ref("demo", "child-yara", "2027-01-22") and len(ref) == 32
    assert "yara" not in ref and ref != purges.audit_ref("other", "child-yara", "2027-01-22")
    assert ref != purges.audit_ref("demo", "child-yara", "2027-01-23")
