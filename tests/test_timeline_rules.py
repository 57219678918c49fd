"""The timeline's rules of uploads, the diary, photo downloads and diary archives, each on its own.

Pure: these tests import the rule modules (`timeline_service.<feature>.rules`) and nothing of AWS, the apps or
the demo; facts are plain records with the attributes the rules read. Each refusal names the `code` the API
answers with (422 through `portal_common.domain.RuleBroken`). The visibility rule has its own file
(`test_timeline_visibility_rules.py`), as has the feed's paging (`test_timeline_feed_rules.py`).
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path
from types import SimpleNamespace as Facts

import pytest

from timeline_service.archive import rules as archive
from timeline_service.diary import rules as diary
from timeline_service.photos import rules as photos
from timeline_service.uploads import rules as uploads

PACKAGE = Path(__file__).resolve().parents[1] / "services" / "timeline" / "timeline_service"
TODAY = date(2026, 11, 24)
NOOR, YARA, DAAN = "child-noor", "child-yara", "child-daan"
AT = "2026-11-24T10:00:00+01:00"


def refused(call, *args):
    with pytest.raises(uploads.RuleBroken) as caught:
        call(*args)
    return caught.value


def consent(photos=True, diary=True):
    return Facts(photos=photos, diary=diary, photos_from=None)


def photo(photo_id, *child_ids, group="grp-rupsen", day="2026-11-24"):
    return Facts(photo_id=photo_id, child_ids=list(child_ids), group_id=group, location_id="loc-zonnebloem",
                 date=day, published_at=AT)


def principal(role, **relations):
    return diary.Principal("demo", f"user-{role}", diary.Role(role), **{k: frozenset(v) for k, v in relations.items()})


SANNE = principal("parent", children={NOOR, DAAN})
STAFF = principal("staff", groups={"grp-rupsen"})
OTHER_STAFF = principal("staff", groups={"grp-vlinders"})


# -- uploads --------------------------------------------------------------------------------------
def test_a_photo_is_of_today_or_the_past_week_never_the_future():
    assert uploads.photo_day(None, TODAY) == TODAY
    assert uploads.photo_day(date(2026, 11, 17), TODAY) == date(2026, 11, 17)  # 7 days back
    for day in (date(2026, 11, 16), date(2026, 11, 25)):
        error = refused(uploads.photo_day, day, TODAY)
        assert error.code == "date_out_of_range" and error.errors[0]["loc"] == ["body", "date"]


def test_every_tagged_child_was_placed_in_the_photos_group_that_day():
    uploads.check_tagged([NOOR, YARA], "grp-rupsen", {NOOR: {"grp-rupsen"}, YARA: {"grp-rupsen", "grp-bijen"}})
    uploads.check_tagged([], "grp-rupsen", {})  # a group photo tags nobody
    error = refused(uploads.check_tagged, [NOOR, DAAN, "child-unknown"], "grp-rupsen",
                    {NOOR: {"grp-rupsen"}, DAAN: {"grp-vlinders"}})
    assert error.code == "child_not_in_group"
    assert [e["loc"] for e in error.errors] == [["body", "child_ids", 1], ["body", "child_ids", 2]]


def test_a_photo_is_blocked_by_each_tagged_child_without_photo_consent_now():
    assert uploads.blocked_children([NOOR, YARA], {NOOR: consent(), YARA: consent()}) == []
    assert uploads.blocked_children([YARA, NOOR, DAAN], {NOOR: consent(), YARA: consent(photos=False)}) == [
        YARA, DAAN]  # withdrawn, and never given (no consent kept): in the order tagged
    assert uploads.blocked_children([], {}) == []


# -- the diary -------------------------------------------------------------------------------------
def test_a_diary_id_names_child_day_and_entry_and_is_split_from_the_right():
    assert diary.parse_id("child.with.dots.2026-11-24.staff") == ("child.with.dots", "2026-11-24", "staff")
    assert diary.parse_id(diary.diary_id(NOOR, "2026-11-24", "01abc")) == (NOOR, "2026-11-24", "01abc")
    for bad in ("nonsense", ".2026-11-24.staff", "child-noor.24-11-2026.staff", "child-noor.2026-13-01.staff"):
        assert diary.parse_id(bad) is None, bad


def test_staff_write_the_days_one_report_and_a_parent_adds_entries_of_their_own():
    assert diary.author_role(SANNE) == "parent"
    assert {diary.author_role(principal(r)) for r in ("staff", "manager", "admin")} == {"staff"}
    ids = iter(["01ABC", "01DEF"])
    assert diary.suffix_for("staff", lambda: next(ids)) == "staff" and diary.kind_of("staff") == "report"
    assert diary.suffix_for("parent", lambda: next(ids)) == "01abc"  # staff took no new id
    assert diary.kind_of("01abc") == "parent_entry"


@pytest.mark.parametrize("role, day, code", [
    ("staff", date(2026, 11, 24), None),
    ("staff", date(2026, 11, 23), "report_day_closed"),
    ("staff", date(2026, 11, 25), "report_day_closed"),
    ("parent", date(2026, 11, 17), None),
    ("parent", date(2026, 11, 16), "date_out_of_range"),
    ("parent", date(2026, 11, 25), "date_out_of_range"),
])
def test_a_report_is_written_on_its_own_day_and_a_parents_entry_within_the_past_week(role, day, code):
    if code is None:
        diary.check_day(role, day, TODAY)
    else:
        error = refused(diary.check_day, role, day, TODAY)
        assert error.code == code and error.errors[0]["loc"] == ["body", "date"]


def test_an_entry_carries_only_photos_of_its_child_that_the_writer_may_see_each_once():
    found = {"pho-n": photo("pho-n", NOOR), "pho-b": photo("pho-b", NOOR, YARA), "pho-y": photo("pho-y", YARA)}
    consents = {NOOR: consent(), YARA: consent()}
    chosen = diary.chosen_photos(STAFF, NOOR, ["pho-b", "pho-n", "pho-b"], found, consents)
    assert [p.photo_id for p in chosen] == ["pho-b", "pho-n"]
    for writer, ids, bad_at, facts in (
            (STAFF, ["pho-n", "pho-y"], 1, consents),                          # another child's photo
            (STAFF, ["pho-missing"], 0, consents),                             # no such photo
            (STAFF, ["pho-n", "pho-b"], 1, {NOOR: consent(), YARA: consent(photos=False)}),  # consent withdrawn
            (OTHER_STAFF, ["pho-n"], 0, consents),                             # a photo of a group not theirs
    ):
        error = refused(diary.chosen_photos, writer, NOOR, ids, found, facts)
        assert error.code == "unknown_photo" and error.errors[0]["loc"] == ["body", "photo_ids", bad_at]


def test_a_diary_needs_the_childs_diary_consent():
    diary.require_diary_consent(consent(photos=False, diary=True))
    for missing in (None, consent(diary=False)):
        assert refused(diary.require_diary_consent, missing).code == "no_diary_consent"


def test_an_entry_is_written_in_the_group_the_child_was_in_that_day():
    rupsen = Facts(group_id="grp-rupsen", start="2025-09-01", end="2026-11-24")
    bijen = Facts(group_id="grp-bijen", start="2026-11-24", end=None)
    assert diary.group_of_day([rupsen, bijen], "2026-11-24") == ({"grp-rupsen", "grp-bijen"}, "grp-bijen")
    assert diary.group_of_day([rupsen, bijen], "2026-11-25") == ({"grp-bijen"}, "grp-bijen")
    assert diary.group_of_day([rupsen], "2026-11-25") == (set(), None)


def test_a_reader_is_shown_the_entries_and_photos_the_visibility_rule_lets_them_see():
    row = Facts(child_id=NOOR, group_id="grp-rupsen", location_id="loc-zonnebloem", date="2026-11-24",
                created_at=AT, photo_ids=["pho-n", "pho-b", "pho-gone"])
    found = {"pho-n": photo("pho-n", NOOR), "pho-b": photo("pho-b", NOOR, YARA)}
    consents = {NOOR: consent(), YARA: consent(photos=False)}
    assert diary.shown(SANNE, [row], found, consents, {}) == [(row, [found["pho-n"]])]
    assert diary.shown(OTHER_STAFF, [row], found, consents, {}) == []
    assert diary.shown(SANNE, [row], found, {NOOR: consent(diary=False)}, {}) == []
    manager = principal("manager", locations={"loc-zonnebloem"})
    unlocated = Facts(**{**vars(row), "location_id": None})
    assert diary.unlocated_groups(manager, [unlocated], {}) == {"grp-rupsen"}
    assert diary.unlocated_groups(STAFF, [unlocated], {}) == set()
    assert diary.shown(manager, [unlocated], found, {NOOR: consent()}, {}) == []
    assert diary.shown(manager, [unlocated], found, {NOOR: consent()}, {"grp-rupsen": "loc-zonnebloem"}) != []


def test_a_downloaded_entry_is_named_after_its_kind_child_and_day():
    assert diary.download_name("report", "Noor de Vries", "2026-11-24") == "dagverslag-noor-de-vries-2026-11-24.html"
    assert diary.download_name("parent_entry", "Noor", "2026-11-22") == "dagboek-noor-2026-11-22.html"


# -- photo downloads ---------------------------------------------------------------------------------
def test_a_photo_is_read_through_the_callers_own_child_or_for_staff_its_first_tagged_child():
    placed = Facts(child_id=DAAN, group_id="grp-rupsen", start="2025-09-01", end=None)
    both = photos.visibility.Item("photo", "grp-rupsen", "loc-zonnebloem", "2026-11-24", (YARA, NOOR), AT)
    group_photo = photos.visibility.Item("photo", "grp-rupsen", "loc-zonnebloem", "2026-11-24", (), AT)
    assert photos.authorizing_child(SANNE, both) == NOOR
    assert photos.authorizing_child(STAFF, both) == YARA
    assert photos.authorizing_child(SANNE, group_photo, [placed]) == DAAN
    assert photos.authorizing_child(STAFF, group_photo) is None  # read as the group's


def test_a_downloaded_photo_is_named_after_the_callers_child_and_the_day():
    assert photos.download_name("2026-11-24", tagged=True, child_name="Noor de Vries") == "noor-de-vries-2026-11-24.jpg"
    assert photos.download_name("2026-11-24", tagged=True, child_name=None) == "kind-2026-11-24.jpg"
    assert photos.download_name("2026-11-24", tagged=False, child_name=None) == "groep-2026-11-24.jpg"
    assert photos.download_name("2026-11-24", tagged=True, child_name="Ōmi") == "mi-2026-11-24.jpg"


# -- diary archives ------------------------------------------------------------------------------------
def test_an_archive_holds_what_the_childs_guardian_sees_of_the_period_now():
    assert archive.placed_days(Facts(start="2026-11-10", end="2026-11-20"), "2026-11-01", "2026-11-30") == (
        "2026-11-10", "2026-11-20")
    assert archive.placed_days(Facts(start="2025-09-01", end=None), "2026-11-01", "2026-11-30") == (
        "2026-11-01", "2026-11-30")
    assert archive.placed_days(Facts(start="2026-12-01", end=None), "2026-11-01", "2026-11-30") is None

    def entry(item_id, *child_ids, day="2026-11-20"):
        return Facts(item_id=item_id, kind="photo", group_id="grp-rupsen", location_id="loc-zonnebloem", date=day,
                     child_ids=list(child_ids), published_at=AT)

    mine, shared, group = entry("pho-n", NOOR), entry("pho-b", NOOR, YARA), entry("pho-g")
    row = Facts(child_id=NOOR, group_id="grp-rupsen", location_id="loc-zonnebloem", date="2026-11-20",
                created_at=AT)
    stays = [Facts(child_id=NOOR, group_id="grp-rupsen", start="2025-09-01", end=None)]
    guardian = archive.visibility.guardian_of("demo", NOOR)
    consents = {NOOR: consent(diary=False), YARA: consent(photos=False)}
    assert archive.selected(guardian, [mine, shared, group], [row], consents, stays) == ([mine, group], [])


def test_the_manifest_names_entries_by_their_amsterdam_time_and_puts_a_days_pages_before_its_photos_in_name_order():
    late = Facts(item_id="pho-01hzzzzzzzzzzzzzzzzzabcdefgh", date="2026-11-20",
                 published_at="2026-11-21T07:30:00+00:00")  # published the next morning, Amsterdam time
    early = Facts(item_id="pho-01hzzzzzzzzzzzzzzzzz12345678", date="2026-11-20",
                  published_at="2026-11-20T09:15:00+01:00")
    report = Facts(kind="report", diary_id=f"{NOOR}.2026-11-20.staff", date="2026-11-20", updated_at=AT)
    entry = Facts(kind="parent_entry", diary_id=f"{NOOR}.2026-11-20.01abc", date="2026-11-20", updated_at=AT)
    paths = [e["path"] for e in archive.manifest([late, early], [report, entry])]
    assert paths == ["dagboek/2026-11/2026-11-20_dagverslag.html", "dagboek/2026-11/2026-11-20_eigen-bericht-2.html",
                     "fotos/2026-11/2026-11-20_08-30-00_abcdefgh.jpg", "fotos/2026-11/2026-11-20_09-15-00_12345678.jpg"]
    assert archive.zip_time("2026-11-21T07:30:00+00:00", "2026-11-20") == (2026, 11, 20, 8, 30, 0)
    assert archive.zip_time("2026-07-01T10:00:00+00:00") == (2026, 7, 1, 12, 0, 0)  # summer time


# -- the rule modules stay pure ------------------------------------------------------------------------
@pytest.mark.parametrize("path", [*sorted(PACKAGE.glob("*/rules.py")), PACKAGE / "visibility.py", PACKAGE / "ids.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_rule_module_reads_no_clock_and_knows_no_aws_http_or_table(path):
    """Today and the facts come in as arguments; refusals go out as domain exceptions the edge maps."""
    forbidden = ("boto3", "botocore", "pynamodb", "chalice", "portal_common.errors", "portal_common.clock",
                 "portal_common.store", "portal_common.service", "portal_common.aws", "timeline_service.store")
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        assert not [n for n in names if n.startswith(forbidden) or n.endswith((".store", ".service", ".routes"))], (
            path, node.lineno)
        if isinstance(node, ast.Name):
            assert node.id != "clock", (path, node.lineno)
