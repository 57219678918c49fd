"""Photos on their way in: the presigned upload, then processing before anyone sees them."""
