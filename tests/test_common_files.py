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
