"""The auth service:
identity, tenants, directory (locations, groups, children, guardians, staff), consents, notification settings.
"""
