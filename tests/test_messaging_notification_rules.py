"""The rules of notifications and attachments, tested as plain functions: no AWS, no app, only
`messaging_service.notifications.rules` and `messaging_service.attachments.rules` (who hears of what, folding,
settings and channels; which files are accepted, who may claim and download them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from messaging_service.attachments import rules as files
from messaging_service.notifications import rules
from portal_common.domain import RuleBroken

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
PHONE = {"platform": "fcm", "endpoint_arn": "arn:aws:sns:phone", "active": True, "as_of": "2026-11-01"}


@dataclass
class Recipient:
    status: str | None = "active"
    email: str | None = "sanne@example.nl"
    settings: dict[str, Any] | None = None
    devices: dict[str, Any] = field(default_factory=dict)


# -- who hears of what --------------------------------------------------------------------------------
def test_a_first_event_waits_its_topics_window_for_more_to_fold_in():
    assert rules.due(NOW, "messages") == NOW + timedelta(minutes=1)
    assert rules.due(NOW, "photos") == NOW + timedelta(minutes=2)
    assert rules.due(NOW, "news") == NOW
    with pytest.raises(KeyError):
        rules.due(NOW, "gossip")


def test_a_photo_of_ones_own_child_names_it_and_one_of_siblings_or_the_group_names_the_group():
    guardians = {"user-parent1": ["child-noor", "child-daan"], "user-parent4": ["child-yara"]}
    notices = rules.photo_notices(["child-noor", "child-daan", "child-yara"], guardians,
                                  {"child-yara": "Yara El Amrani"}, "grp-rupsen", "Rupsen")
    by_user = {n.user_id: n for n in notices}
    assert by_user["user-parent4"].subject == "child:child-yara"
    assert by_user["user-parent4"].facts == {"child": "Yara El Amrani", "link": {"child_id": "child-yara"}}
    assert by_user["user-parent1"].subject == "group:grp-rupsen"  # siblings together: the group's photo
    assert by_user["user-parent1"].facts == {"group": "Rupsen", "link": {"group_id": "grp-rupsen"}}


def test_a_group_photo_names_the_group_for_every_family():
    notices = rules.photo_notices([], {"user-parent4": ["child-yara"]}, {}, "grp-rupsen", "Rupsen")
    assert [(n.user_id, n.subject) for n in notices] == [("user-parent4", "group:grp-rupsen")]


def test_a_parents_diary_entry_is_for_staff_and_anything_else_is_a_report():
    assert rules.diary_kind("parent_entry") == "parent_entry"
    assert rules.diary_kind("report") == rules.diary_kind("something new") == "report"
    assert rules.publication_topic("newsletter") == "newsletters" and rules.publication_topic("news") == "news"


def test_a_decision_goes_to_the_parent_who_asked():
    assert rules.decision_audience("approved", "user-parent1", ["user-parent1", "user-parent2"], None) == [
        "user-parent1"]
    # No longer a guardian now (unlinked meanwhile), but a parent: still theirs.
    assert rules.decision_audience("rejected", "user-parent9", ["user-parent1"], "parent") == ["user-parent9"]


def test_a_decision_on_a_request_staff_entered_goes_to_every_guardian():
    assert rules.decision_audience("expired", "user-staff1", ["user-parent2", "user-parent1"], "staff") == [
        "user-parent1", "user-parent2"]
    assert rules.decision_audience("approved", "user-staff1", ["user-parent1"], None) == ["user-parent1"]


def test_a_cancellation_is_nobodys_news():
    assert rules.decision_audience("cancelled", "user-parent1", ["user-parent1", "user-parent2"], None) == []


# -- settings and channels ------------------------------------------------------------------------------
def test_without_a_choice_auths_defaults_apply_push_always_email_for_what_matters():
    sanne = Recipient()
    assert rules.channels(sanne, "messages") == rules.Channels(push=True, email=True)
    assert rules.channels(sanne, "photos") == rules.Channels(push=True, email=False)
    assert set(rules.DEFAULT_SETTINGS) == set(rules.SETTING_TOPICS)


def test_a_users_choice_wins_and_email_needs_an_address():
    chose = Recipient(settings={"photos": {"email": True}, "messages": {"push": False, "email": False}})
    assert rules.channels(chose, "photos") == rules.Channels(push=True, email=True)
    assert rules.channels(chose, "messages") == rules.Channels(push=False, email=False)
    assert rules.channels(Recipient(email=None), "messages").email is False


def test_push_reaches_only_active_devices_with_a_working_endpoint():
    devices = {"d1": PHONE, "d2": {**PHONE, "active": False}, "d3": {**PHONE, "endpoint_arn": None},
               "d4": {**PHONE, "disabled_at": "2026-11-20"}, "d5": {**PHONE, "endpoint_arn": "arn:aws:sns:tablet"}}
    assert rules.endpoints(Recipient(devices=devices)) == {"d1": "arn:aws:sns:phone", "d5": "arn:aws:sns:tablet"}


def test_a_deactivated_or_unknown_account_hears_nothing():
    assert rules.reachable(Recipient()) and rules.reachable(Recipient(status=None))  # contact not seen yet
    assert not rules.reachable(Recipient(status="deactivated")) and not rules.reachable(None)


def test_only_notices_a_channel_can_reach_are_recorded_and_never_for_ones_own_doing():
    known = {"user-mail": Recipient(), "user-phone": Recipient(email=None, devices={"d1": PHONE}),
             "user-nothing": Recipient(email=None), "user-gone": Recipient(status="deactivated"),
             "user-sender": Recipient()}
    notices = [rules.Notice(u, "conv:c", {}) for u in (*known, "user-unknown")]
    wanted = rules.worth_recording(notices, known, "photos", exclude="user-sender")
    assert [n.user_id for n in wanted] == ["user-phone"]  # photos: no e-mail by default
    wanted = rules.worth_recording(notices, known, "messages", exclude="user-sender")
    assert [n.user_id for n in wanted] == ["user-mail", "user-phone"]


# -- folding and push ----------------------------------------------------------------------------------
def test_folding_keeps_the_newest_facts_and_remembers_what_varied():
    first = {"child": "Noor", "sender": "Sanne", "from_staff": False}
    same = rules.fold(first, {"child": "Noor", "sender": "Sanne", "from_staff": False})
    assert same == first and "varied" not in same
    second = rules.fold(first, {"child": "Noor", "sender": "Ilse", "from_staff": True})
    assert second["sender"] == "Ilse" and second["varied"] == ["from_staff", "sender"]
    third = rules.fold(second, {"child": "Noor", "sender": "Ilse", "from_staff": True})
    assert third["varied"] == ["from_staff", "sender"]  # once varied, the burst names nobody


def test_one_push_message_carries_a_body_for_every_platform():
    message = json.loads(rules.push_message("Ouderportaal", "Nieuwe foto van Noor", {"child_id": "child-noor"}))
    assert message["default"] == "Nieuwe foto van Noor"
    assert json.loads(message["APNS"])["aps"]["alert"] == {"title": "Ouderportaal", "body": "Nieuwe foto van Noor"}
    assert message["APNS_SANDBOX"] == message["APNS"]
    assert json.loads(message["GCM"])["data"] == {"child_id": "child-noor"}


# -- attachments -------------------------------------------------------------------------------------------
@dataclass
class Upload:
    status: str = files.READY
    uploaded_by: str = "user-parent1"
    owner_kind: str | None = None
    claimable_until: int | None = int((NOW + timedelta(hours=1)).timestamp())


def test_files_are_judged_by_their_bytes_not_their_name():
    files.judge(b"%PDF-1.7 ...", files.PDF, 100)
    for data, declared, code in ((b"plain text", files.PDF, "not_a_pdf"), (b"%PDF-1.7", "image/png", "type_mismatch"),
                                 (b"\x89PNG\r\n\x1a\n....", "image/jpeg", "type_mismatch"),
                                 (b"%PDF-" + b"x" * 100, files.PDF, "too_large")):
        with pytest.raises(RuleBroken) as refused:
            files.judge(data, declared, 50)
        assert refused.value.code == code and refused.value.errors == [{"loc": ["file"], "msg": code}]
        assert refused.value.detail_key == f"messaging.attachment.{code}"


def test_sniff_names_the_allowed_types_from_their_first_bytes():
    assert files.sniff(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert files.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert files.sniff(b"GIF89a") is None and files.sniff(b"") is None


def test_a_files_name_ends_as_its_type_does():
    files.check_extension("Brief.PDF", files.PDF)
    files.check_extension("foto.jpeg", "image/jpeg")
    with pytest.raises(RuleBroken) as refused:
        files.check_extension("virus.exe.pdf.exe", files.PDF)
    assert refused.value.code == "extension_mismatch" and refused.value.errors[0]["loc"] == ["body", "file_name"]


def test_an_upload_stays_claimable_for_a_day_until_it_is_attached():
    assert files.claimable_until(NOW) == NOW + timedelta(days=1)
    assert files.claimable(Upload(), NOW)
    assert not files.claimable(Upload(owner_kind="message"), NOW)
    assert not files.claimable(Upload(), NOW + timedelta(hours=2))


def test_only_ones_own_ready_unused_uploads_may_be_claimed_each_once():
    found = {"att-mine": Upload(), "att-theirs": Upload(uploaded_by="user-parent4"),
             "att-used": Upload(owner_kind="news"), "att-raw": Upload(status=files.UPLOADING)}
    files.check_claim(["att-mine"], found, "user-parent1", NOW)
    with pytest.raises(RuleBroken) as refused:
        files.check_claim(["att-mine", "att-theirs", "att-used", "att-raw", "att-unknown", "att-mine"], found,
                          "user-parent1", NOW)
    assert refused.value.code == "unknown_attachment"
    assert [e["loc"] for e in refused.value.errors] == [["body", "attachment_ids", n] for n in (1, 2, 3, 4, 5)]
    with pytest.raises(RuleBroken) as refused:
        files.check_claim(["att-theirs"], found, "user-parent1", NOW, loc=["body", "attachment_id"])
    assert refused.value.errors[0]["loc"] == ["body", "attachment_id"]


def test_a_file_is_downloaded_by_whoever_may_read_its_owner_or_before_that_by_its_uploader():
    attached = Upload(owner_kind="message")
    assert files.may_download(attached, "user-staff1", NOW, owner_readable=True)
    assert not files.may_download(attached, "user-parent1", NOW, owner_readable=False)  # not even the uploader
    assert files.may_download(Upload(), "user-parent1", NOW, owner_readable=False)
    assert not files.may_download(Upload(), "user-parent4", NOW, owner_readable=False)
    assert not files.may_download(Upload(), "user-parent1", NOW + timedelta(days=2), owner_readable=False)
    assert not files.may_download(Upload(status=files.REJECTED), "user-parent1", NOW, owner_readable=True)


def test_the_uploader_sees_their_upload_until_it_expires_unattached():
    assert files.visible_to_uploader(Upload(), "user-parent1", NOW)
    assert files.visible_to_uploader(Upload(owner_kind="news", claimable_until=None), "user-parent1", NOW)
    assert not files.visible_to_uploader(Upload(), "user-parent4", NOW)
    assert not files.visible_to_uploader(Upload(), "user-parent1", NOW + timedelta(days=2))
