"""The exports service:
diary downloads, personal-data exports, retention purge.
"""
