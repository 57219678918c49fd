"""Shared library of the parent portal services.

Every module here is small and importable on its own, so a Lambda pays only for what it uses.
boto3 is never imported at module level: clients are created lazily (see `aws.py`).
"""
