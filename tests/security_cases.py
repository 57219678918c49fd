"""The security matrix: for every protected route, who must be refused.

Each entry maps (service, method, path) to the test that proves a guardian of another family, staff
of another group and any user of another tenant are refused on that route (404 or 403, nothing
leaked). `test_guards.py` fails when a protected route has no entry here.
"""

from __future__ import annotations

CONSENTS = "tests/test_auth_account.py::test_consent_routes_refuse_other_families_other_groups_and_other_tenants"
SETTINGS = "tests/test_auth_account.py::test_notification_settings_have_defaults_and_change_per_type_and_channel"
DEVICES = "tests/test_auth_account.py::test_devices_are_registered_and_removed_only_by_their_owner"
DIRECTORY = "tests/test_auth_directory.py::test_directory_routes_refuse_parents_staff_other_locations_and_other_tenants"
PEOPLE = ("tests/test_auth_directory_people.py::"
          "test_people_routes_refuse_parents_staff_other_locations_and_other_tenants")
CONTRACTS = "tests/test_planning_contracts.py::test_contract_routes_refuse_parents_staff_managers_and_other_tenants"
PLANNING_SETTINGS = "tests/test_planning_contracts.py::test_settings_routes_refuse_everyone_but_the_tenants_admins"
CLOSURES = ("tests/test_planning_closures.py::"
            "test_closure_routes_refuse_parents_staff_other_locations_and_other_tenants")
ABSENCES = ("tests/test_planning_absences.py::"
            "test_absences_and_swap_hours_refuse_other_families_other_groups_and_other_tenants")
REQUESTS = ("tests/test_planning_requests.py::"
            "test_request_routes_refuse_other_families_other_groups_and_other_tenants")
OVERVIEW = ("tests/test_planning_overview.py::"
            "test_overview_and_group_day_refuse_other_families_other_groups_and_other_tenants")
DOCUMENTS = ("tests/test_planning_documents.py::"
             "test_document_routes_refuse_other_families_non_admins_and_other_tenants")

# (service, method, path) → "tests/<file>::<test>" proving the refusals.
CASES: dict[tuple[str, str, str], str] = {
    ("auth", "GET", "/me"):
        "tests/test_auth_session.py::test_self_routes_reach_only_the_callers_own_account_in_their_own_tenant",
    ("auth", "POST", "/logout-all"):
        "tests/test_auth_session.py::test_self_routes_reach_only_the_callers_own_account_in_their_own_tenant",
    ("auth", "POST", "/password/change"):
        "tests/test_auth_session.py::test_self_routes_reach_only_the_callers_own_account_in_their_own_tenant",
    ("planning", "GET", "/calendar"):
        "tests/test_planning_calendar.py::test_the_calendar_refuses_other_families_other_groups_and_other_tenants",
    ("auth", "PUT", "/children/{child_id}/consents"): CONSENTS,
    ("auth", "GET", "/children/{child_id}/consents"): CONSENTS,
    ("auth", "GET", "/me/notification-settings"): SETTINGS,
    ("auth", "PUT", "/me/notification-settings"): SETTINGS,
    ("auth", "POST", "/me/devices"): DEVICES,
    ("auth", "DELETE", "/me/devices/{device_id}"): DEVICES,
    **{("auth", method, path): DIRECTORY for method, path in (
        ("POST", "/admin/locations"), ("GET", "/admin/locations"), ("GET", "/admin/locations/{location_id}"),
        ("PUT", "/admin/locations/{location_id}"), ("POST", "/admin/groups"), ("GET", "/admin/groups"),
        ("GET", "/admin/groups/{group_id}"), ("PUT", "/admin/groups/{group_id}"), ("POST", "/admin/children"),
        ("GET", "/admin/children"), ("GET", "/admin/children/{child_id}"), ("PUT", "/admin/children/{child_id}"),
        ("POST", "/admin/children/{child_id}/placements"),
        ("PUT", "/admin/children/{child_id}/placements/{placement_id}"),
    )},
    **{("auth", method, path): PEOPLE for method, path in (
        ("POST", "/admin/guardians"), ("PUT", "/admin/children/{child_id}/guardians/{user_id}"),
        ("DELETE", "/admin/children/{child_id}/guardians/{user_id}"), ("POST", "/admin/staff"),
        ("PUT", "/admin/staff/{user_id}/groups"), ("PUT", "/admin/managers/{user_id}/locations"),
        ("GET", "/admin/users"), ("POST", "/admin/users/{user_id}/activation"),
    )},
    **{("planning", method, path): CONTRACTS for method, path in (
        ("GET", "/admin/children/{child_id}/contracts"), ("POST", "/admin/children/{child_id}/contracts"),
        ("PUT", "/admin/children/{child_id}/contracts/{contract_id}"),
    )},
    ("planning", "GET", "/admin/settings"): PLANNING_SETTINGS,
    ("planning", "PUT", "/admin/settings"): PLANNING_SETTINGS,
    **{("planning", method, path): CLOSURES for method, path in (
        ("GET", "/admin/locations/{location_id}/closures"), ("PUT", "/admin/locations/{location_id}/closures/{day}"),
        ("DELETE", "/admin/locations/{location_id}/closures/{day}"),
    )},
    ("planning", "POST", "/absences"): ABSENCES,
    ("planning", "GET", "/swap-hours"): ABSENCES,
    **{("planning", method, path): REQUESTS for method, path in (
        ("POST", "/requests"), ("POST", "/requests/{request_id}/cancel"), ("POST", "/requests/{request_id}/decision"),
        ("GET", "/availability"),
    )},
    ("planning", "POST", "/calendar-feed"):
        "tests/test_planning_calendar_feed.py::test_a_feed_shows_only_its_owners_children_and_dies_with_rotation",
    ("planning", "POST", "/flex-requests"):
        "tests/test_planning_flex.py::test_flex_routes_refuse_other_families_other_groups_and_other_tenants",
    ("planning", "GET", "/flex-pot"):
        "tests/test_planning_flex.py::test_flex_routes_refuse_other_families_other_groups_and_other_tenants",
    ("planning", "GET", "/requests"): OVERVIEW,
    ("planning", "GET", "/groups/{group_id}/day"): OVERVIEW,
    **{("planning", "GET", path): DOCUMENTS for segment in ("invoices", "annual-statements", "documents")
       for path in (f"/{segment}", f"/{segment}/{{doc_id}}", f"/{segment}/{{doc_id}}/download")},
    **{("planning", method, path): DOCUMENTS for method, path in (
        ("GET", "/admin/billing-profile"), ("PUT", "/admin/billing-profile"), ("POST", "/admin/billing-runs"),
        ("GET", "/admin/billing-runs/{kind}/{period}"), ("POST", "/admin/documents"),
        ("GET", "/admin/documents/{doc_id}"), ("POST", "/admin/documents/{doc_id}/complete"),
        ("DELETE", "/admin/documents/{doc_id}"),
    )},
    **{("timeline", method, path): ("tests/test_timeline_uploads.py::"
                                    "test_upload_routes_refuse_other_groups_parents_and_other_tenants")
       for method, path in (("POST", "/uploads"), ("GET", "/uploads/{upload_id}"))},
    **{("timeline", "GET", path): ("tests/test_timeline_feed.py::"
                                   "test_feed_and_photo_routes_refuse_other_families_and_tenants")
       for path in ("/feed", "/photos/{photo_id}", "/photos/{photo_id}/download",
                    "/children/{child_id}/photo-access")},
    **{("timeline", method, path): ("tests/test_timeline_diary.py::"
                                    "test_diary_routes_refuse_other_families_other_groups_and_other_tenants")
       for method, path in (("POST", "/diary"), ("GET", "/diary/{diary_id}"), ("GET", "/diary/{diary_id}/download"),
                            ("GET", "/children/{child_id}/diary"), ("GET", "/groups/{group_id}/diary"))},
    **{("messaging", method, path): ("tests/test_messaging_conversations.py::"
                                     "test_conversation_routes_refuse_other_families_other_groups_and_other_tenants")
       for method, path in (("GET", "/conversations"), ("POST", "/conversations"),
                            ("GET", "/conversations/{conversation_id}"),
                            ("GET", "/conversations/{conversation_id}/messages"),
                            ("POST", "/conversations/{conversation_id}/messages"),
                            ("POST", "/conversations/{conversation_id}/read"), ("GET", "/unread"))},
    **{("messaging", method, f"/{segment}{suffix}"): ("tests/test_messaging_publications.py::"
                                                     "test_publication_routes_refuse_parents_staff_other_locations_"
                                                     "and_other_tenants")
       for segment in ("news", "newsletters") for method, suffix in (
           ("GET", ""), ("POST", ""), ("GET", "/{publication_id}"), ("PUT", "/{publication_id}"),
           ("DELETE", "/{publication_id}"))},
    **{("messaging", method, path): ("tests/test_messaging_attachments.py::"
                                     "test_attachment_routes_refuse_other_users_and_other_tenants")
       for method, path in (("POST", "/attachments"), ("POST", "/attachments/{attachment_id}/complete"),
                            ("GET", "/attachments/{attachment_id}"))},
    **{("messaging", method, path): ("tests/test_messaging_locations.py::"
                                     "test_location_page_routes_refuse_parents_staff_other_locations_and_other_tenants")
       for method, path in (("GET", "/locations/{location_id}"), ("PUT", "/locations/{location_id}/opening-hours"),
                            ("POST", "/locations/{location_id}/policies"))},
    **{("exports", method, path): ("tests/test_exports_diary.py::"
                                   "test_exports_refuse_other_families_bad_periods_and_other_users")
       for method, path in (("POST", "/diary"), ("GET", "/"), ("GET", "/{export_id}"),
                            ("GET", "/{export_id}/download"))},
    ("exports", "POST", "/personal-data"): ("tests/test_exports_personal_data.py::"
                                            "test_refusals_one_at_a_time_unknown_fields_and_other_users"),
    ("exports", "GET", "/purges"): ("tests/test_exports_purge.py::"
                                    "test_every_confirmation_then_a_verification_round_then_an_audit_without_personal_data"),
}
