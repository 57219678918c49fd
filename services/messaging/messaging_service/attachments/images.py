"""An uploaded image cleaned: decoded (the pixel count checked from the header first) and re-encoded with its
pixels only, so EXIF with GPS, XMP, comments and colour profiles never reach a reader. Bytes in, bytes out."""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from messaging_service.attachments.rules import MAX_PIXELS, refusal

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage


def clean_image(data: bytes, pil_format: str) -> bytes:
    """Decode (pixel count checked from the header first) and re-encode with the pixels only; 422
    `too_many_pixels` or `unreadable_image` (a `RuleBroken`) when the bytes are not such an image."""
    from PIL import Image, ImageOps  # lazy: only completing an image pays for Pillow

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im: PILImage = Image.open(io.BytesIO(data), formats=[pil_format])
            if im.size[0] * im.size[1] > MAX_PIXELS:
                raise _TooManyPixels
            im.load()
            im = ImageOps.exif_transpose(im)  # upright before the orientation tag goes with the EXIF
        except (_TooManyPixels, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise refusal("too_many_pixels") from None
        except Exception:  # noqa: BLE001 - hostile bytes reach C decoders: any failure is the file's
            raise refusal("unreadable_image") from None
    if pil_format == "JPEG" and im.mode not in ("RGB", "L", "CMYK"):
        im = im.convert("RGB")
    elif pil_format != "JPEG" and (im.mode not in ("RGB", "RGBA", "L", "LA", "P") or "transparency" in im.info):
        im = im.convert("RGBA")  # a palette's transparency lives in `info`, which is dropped next
    im.info = {}  # savers fall back to `info` for EXIF, ICC, comments, text chunks: start from nothing
    out = io.BytesIO()
    im.save(out, pil_format, **({"quality": 90} if pil_format in ("JPEG", "WEBP") else {"optimize": True}))
    return out.getvalue()


class _TooManyPixels(Exception):
    """The header names more pixels than we decode."""
