"""Attachments (the paperclip): presigned uploads checked by their bytes, claimed by their owner."""
