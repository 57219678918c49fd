"""The rules of conversations, tested as plain functions: no AWS, no app, only
`messaging_service.conversations.rules` (who takes part, where one may write, whose inbox, who hears, who read).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from messaging_service.conversations import rules
from portal_common.domain import Missing, RuleBroken

WHERE = {"child_id": "child-noor", "group_id": "grp-rupsen", "location_id": "loc-zonnebloem"}


# -- who the caller is -----------------------------------------------------------------------------
def test_a_guardian_taking_part_is_a_participant_counted_under_the_child():
    found = rules.caller("parent", "user-parent1", guardians={"user-parent1": "Sanne de Vries"}, **WHERE)
    assert found == rules.Caller("user-parent1", "parent", "Sanne de Vries", "C#child-noor")
    assert found.participant


def test_a_guardian_no_longer_taking_part_is_nothing_in_the_conversation():
    assert rules.caller("parent", "user-parent1", guardians={"user-parent2": "Mark de Vries"}, **WHERE) is None
    assert rules.caller("parent", "user-parent1", guardians={}, **WHERE) is None
    assert rules.caller("parent", "user-parent1", **WHERE) is None  # no family known at all


def test_staff_take_part_only_in_a_group_they_work_in():
    found = rules.caller("staff", "user-staff1", staff_name="Ilse van Dam", **WHERE)
    assert found == rules.Caller("user-staff1", "staff", "Ilse van Dam", "G#grp-rupsen") and found.participant
    assert rules.caller("staff", "user-staff2", staff_name=None, **WHERE) is None
    assert rules.caller("staff", "user-staff3", staff_name="", **WHERE).participant  # a nameless member still is one


def test_a_manager_reads_along_at_their_locations_only_and_an_admin_everywhere():
    manager = rules.caller("manager", "user-manager", manager_locations={"loc-zonnebloem"}, **WHERE)
    assert manager == rules.Caller("user-manager", "manager", "", None) and not manager.participant
    assert rules.caller("manager", "user-manager2", manager_locations={"loc-elders"}, **WHERE) is None
    admin = rules.caller("admin", "user-admin", **WHERE)
    assert admin == rules.Caller("user-admin", "admin", "", None) and not admin.participant


def test_only_parents_and_staff_have_unread_counters():
    assert [r for r in ("parent", "staff", "manager", "admin") if rules.has_counters(r)] == ["parent", "staff"]


# -- where one may write ---------------------------------------------------------------------------
def test_a_participant_writes_only_in_the_current_groups_conversation():
    sanne = rules.Caller("user-parent1", "parent", "Sanne", "C#child-noor")
    reader = rules.Caller("user-admin", "admin", "", None)
    assert rules.writable(sanne, "grp-rupsen", "grp-rupsen")
    assert not rules.writable(sanne, "grp-bijen", "grp-rupsen")  # moved: the old conversation is history
    assert not rules.writable(sanne, None, "grp-rupsen")  # not placed any more
    assert not rules.writable(reader, "grp-rupsen", "grp-rupsen")


def test_writing_in_a_former_groups_conversation_is_refused_with_not_current_group():
    rules.check_current_group("grp-rupsen", "grp-rupsen")
    with pytest.raises(RuleBroken) as refused:
        rules.check_current_group("grp-bijen", "grp-rupsen")
    assert refused.value.code == "not_current_group"
    assert refused.value.detail_key == "messaging.not_current_group"
    assert refused.value.errors[0]["loc"] == ["path", "conversation_id"]


def test_a_new_conversation_needs_a_child_placed_in_a_known_group():
    assert rules.check_placed("grp-rupsen", "loc-zonnebloem") == ("grp-rupsen", "loc-zonnebloem")
    for group_id, location_id in ((None, None), ("grp-gone", None), (None, "loc-zonnebloem")):
        with pytest.raises(RuleBroken) as refused:
            rules.check_placed(group_id, location_id)
        assert refused.value.code == "not_placed" and refused.value.errors[0]["loc"] == ["body", "child_id"]


# -- whose inbox -----------------------------------------------------------------------------------
def test_a_parent_lists_the_children_they_take_part_for_in_order():
    families = {"child-noor": {"user-parent1": "Sanne"}, "child-daan": {"user-parent1": "Sanne"},
                "child-yara": {"user-parent4": "Fatima"}}
    assert rules.own_scopes("parent", "user-parent1", families=families, staff_groups=set()) == [
        ("C", "child-daan"), ("C", "child-noor")]
    assert rules.own_scopes("parent", "user-parent9", families=families, staff_groups=set()) == []


def test_staff_list_their_groups_and_managers_must_choose_one():
    assert rules.own_scopes("staff", "user-staff1", families={}, staff_groups={"grp-b", "grp-a"}) == [
        ("G", "grp-a"), ("G", "grp-b")]
    for role in ("manager", "admin"):
        with pytest.raises(RuleBroken) as refused:
            rules.own_scopes(role, "user-x", families={}, staff_groups=set())
        assert refused.value.code == "group_id_required" and refused.value.errors[0]["loc"] == ["query", "group_id"]


def test_one_groups_inbox_is_404_for_an_unknown_group_and_for_staff_of_another_group():
    assert rules.group_scope("manager", "grp-rupsen", group_known=True, staff_groups=set()) == [("G", "grp-rupsen")]
    assert rules.group_scope("staff", "grp-rupsen", group_known=True, staff_groups={"grp-rupsen"}) == [
        ("G", "grp-rupsen")]
    with pytest.raises(Missing):
        rules.group_scope("staff", "grp-rupsen", group_known=True, staff_groups={"grp-bijen"})
    with pytest.raises(Missing):
        rules.group_scope("admin", "grp-nowhere", group_known=False, staff_groups=set())


# -- who hears, who read -----------------------------------------------------------------------------
def test_a_message_goes_to_everyone_taking_part_but_its_sender():
    taking_part = {"user-parent1": "C#child-noor", "user-parent2": "C#child-noor", "user-staff1": "G#grp-rupsen"}
    assert rules.recipients(taking_part, "user-parent1") == {"user-parent2": "C#child-noor",
                                                             "user-staff1": "G#grp-rupsen"}


def test_a_conversation_with_more_than_forty_others_is_refused():
    crowd = {f"user-{n}": "G#grp" for n in range(rules.MAX_RECIPIENTS + 1)}
    assert len(rules.recipients(crowd, "user-0")) == rules.MAX_RECIPIENTS  # the sender is not counted
    with pytest.raises(RuleBroken) as refused:
        rules.recipients(crowd, "user-sender")
    assert refused.value.code == "too_many_participants"


@dataclass
class Marker:
    user_id: str
    message_id: str


def test_read_by_lists_the_others_who_read_up_to_the_message():
    markers = [Marker("user-parent1", "01b"), Marker("user-staff1", "01c"), Marker("user-parent2", "01a")]
    assert [m.user_id for m in rules.readers(markers, "user-parent1", "01b")] == ["user-staff1"]  # not the sender
    assert [m.user_id for m in rules.readers(markers, "user-staff1", "01a")] == ["user-parent1", "user-parent2"]
    assert rules.readers(markers, "user-parent1", "01d") == []  # nobody read that far


def test_reading_moves_the_marker_only_when_it_is_behind():
    assert rules.behind(None, "01b") and rules.behind("01a", "01b")
    assert not rules.behind("01b", "01b")


def test_scopes_of_counters_name_the_child_or_the_groups_one_still_works_in():
    assert rules.child_scope("child-noor") == "C#child-noor#"
    assert rules.still_in_group("G#grp-rupsen", ["grp-bijen", "grp-rupsen"])
    assert not rules.still_in_group("G#grp-rupsen", ["grp-bijen"]) and not rules.still_in_group("G#grp-rupsen", [])


def test_a_preview_is_one_line_of_at_most_120_characters():
    assert rules.preview("  Noor is\n moe.  ") == "Noor is moe."
    long = rules.preview("woord " * 40)
    assert len(long) == rules.PREVIEW_CHARS and long.endswith("…") and "\n" not in long


def test_a_removed_guardian_is_shown_as_former_parent_in_the_readers_language():
    assert rules.shown_name("Fatima El Amrani", None, "nl") == "Fatima El Amrani"
    assert rules.shown_name("", True, "nl") == "voormalig ouder"
    assert rules.shown_name("", True, "en") == "former parent"
