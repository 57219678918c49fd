"""Published photos: their rows, files and links, the photo routes (view, download) and the access log."""
