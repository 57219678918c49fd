"""The messaging service:
conversations with group staff, news, newsletters, location pages, notification delivery.
"""
