"""portal_common.files: the names files download under, and the slugs made of people's names."""

from __future__ import annotations

from portal_common import files


def test_a_plain_name_downloads_as_it_is_and_any_other_name_with_an_exact_form_beside_a_safe_one():
    assert files.attachment("noor-de-vries-2026-11-24.jpg") == 'attachment; filename="noor-de-vries-2026-11-24.jpg"'
    assert files.attachment('Zoë "ziek".pdf') == (
        """attachment; filename="Zo_ _ziek_.pdf"; filename*=UTF-8''Zo%C3%AB%20%22ziek%22.pdf""")


def test_slugs_keep_ascii_letters_and_digits_only():
    assert files.slug("Noor de Vries") == "noor-de-vries"
    assert files.slug("Zeynep Öztürk-Çelik") == "zeynep-zt-rk-elik"
    assert files.slug("  ", "foto") == "foto"


def test_unique_names_keep_the_extension_and_folders_their_own_mark():
    taken: set[str] = set()
    assert [files.unique("brief.pdf", taken) for _ in range(3)] == ["brief.pdf", "brief (2).pdf", "brief (3).pdf"]
    assert files.unique(".profile", taken) == ".profile"  # a leading dot is no extension
    folders: set[str] = set()
    assert [files.unique("noor-de-vries", folders, mark="-{n}") for _ in range(2)] == ["noor-de-vries",
                                                                                       "noor-de-vries-2"]
