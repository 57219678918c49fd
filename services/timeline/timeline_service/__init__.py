"""The timeline service:
photos (S3 upload, processing, derivatives), diary reports, the timeline feed.
"""
