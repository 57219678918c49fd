"""Helpers for tests and the local stack. Never imported by a deployed Lambda."""
