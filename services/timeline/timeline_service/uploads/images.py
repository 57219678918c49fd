"""Photos that staff upload: refused unless they are a real JPEG, PNG, WebP or HEIC of a sane size, then
re-encoded as JPEG derivatives (thumb, medium, full) that carry pixels and nothing else.

These are photos of small children. EXIF holds GPS positions (a family's home, the location), camera
serial numbers and timestamps; XMP, IPTC, ICC and comments can hold more. So nothing of the upload but
its pixels reaches a parent. Uploads are judged by their bytes, never by a file name or a declared
content type, and the pixel count is checked from the header before anything is decoded (bombs).

Pillow and pillow_heif are imported inside the functions: the timeline API Lambda imports timeline_service
and must not pay for them on its cold start; only the processing handler does.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

MAX_PIXELS = 40_000_000
MAX_BYTES = 25 * 1024 * 1024
SIZES = {"thumb": 320, "medium": 1280, "full": 4096}   # longest side, never upscaled
JPEG_OPTIONS = {"quality": 85, "optimize": True, "progressive": True}

_PIL_FORMAT = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF"}
_HEVC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
# Image types we recognise but do not take (GIF, BMP, TIFF, PDF, JPEG 2000, JPEG XL, PSD): the uploader
# is told "wrong type", not "not an image". Pillow is never asked: its other parsers stay out of reach.
_OTHER_MAGIC = (b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*", b"%PDF", b"\x00\x00\x00\x0cjP  ",
                b"\xff\x0a", b"\x00\x00\x00\x0cJXL ", b"8BPS")

_heif_lock = threading.Lock()
_heif_registered = False


class ImageRejected(Exception):
    """codes: too_large, not_an_image, unsupported_type, too_many_pixels, truncated, corrupt."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Derivative:
    name: str          # thumb | medium | full
    data: bytes        # JPEG bytes, no metadata
    width: int
    height: int
    content_type: str = "image/jpeg"


@dataclass(frozen=True)
class Processed:
    source_format: str   # jpeg | png | webp | heic
    width: int           # of the oriented original
    height: int
    derivatives: dict[str, Derivative]


def _ftyp_brands(data: bytes) -> set[bytes]:
    """The major and compatible brands of an ISO-BMFF file's leading `ftyp` box (HEIC, AVIF…)."""
    if data[4:8] != b"ftyp":
        return set()
    box = data[8:min(int.from_bytes(data[:4], "big"), 256)]
    return {box[:4]} | {box[i:i + 4] for i in range(8, len(box) - 3, 4)}


def sniff(data: bytes) -> str | None:
    """The allowed type the first bytes announce ("jpeg", "png", "webp", "heic"), or None. No Pillow."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if _ftyp_brands(data) & _HEVC_BRANDS:
        return "heic"
    return None


def _other_image_type(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    svg = head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head)
    return data.startswith(_OTHER_MAGIC) or svg or bool(_ftyp_brands(data) & {b"avif", b"avis"})


def _register_heif() -> None:
    global _heif_registered
    with _heif_lock:   # two threads must not register the opener at the same time
        if not _heif_registered:
            from pillow_heif import register_heif_opener

            # Embedded thumbnails can show an older, uncropped picture: never decode them, nor depth maps.
            register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
            _heif_registered = True


def _target(size: tuple[int, int], longest: int) -> tuple[int, int]:
    scale = min(1.0, longest / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _decode(data: bytes, kind: str, max_pixels: int) -> tuple[Image.Image, tuple[int, int]]:
    """The loaded, oriented image and the oriented size of the original (the image may be drafted smaller)."""
    from PIL import Image, ImageOps

    if kind == "heic":
        _register_heif()
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that: its warning refuses too. (The filter is
    # process-wide until Python 3.14; the processing Lambda handles one photo at a time.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[kind]])   # header only: lazy
            header = im.size
            if header[0] * header[1] > max_pixels:
                raise ImageRejected("too_many_pixels", f"{header[0]}x{header[1]} is over {max_pixels} pixels")
            if im.format in ("JPEG", "MPO") and max(header) >= 2 * SIZES["full"]:
                # libjpeg scales by 1/2, 1/4, 1/8 while decoding (still at least `full`'s size): a quarter
                # of the work and memory. Only for JPEG: HEIF's draft would pick an embedded thumbnail.
                im.draft(None, _target(header, SIZES["full"]))
            im.load()
            loaded = im.size
            ImageOps.exif_transpose(im, in_place=True)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRejected("too_many_pixels", str(error)) from None
        except Exception as error:  # noqa: BLE001 - hostile bytes reach C decoders: any failure is the file's
            raise _decode_error(data, kind, error) from None
    return im, (header[::-1] if im.size != loaded else header)   # turned a quarter: the original too


def _decode_error(data: bytes, kind: str, error: Exception) -> ImageRejected:
    message = str(error) or type(error).__name__
    # WebP's decoder only says "could not create decoder object": its RIFF header tells the real length.
    short_riff = kind == "webp" and len(data) < 8 + int.from_bytes(data[4:8], "little")
    if isinstance(error, EOFError) or any(s in message.lower() for s in ("truncated", "end of file")) or short_riff:
        return ImageRejected("truncated", message)
    return ImageRejected("corrupt", message)


def _to_srgb(im: Image.Image) -> Image.Image:
    """RGB pixels in sRGB: the ICC profile applied (it is dropped on save), transparency flattened on white."""
    from PIL import Image, ImageCms

    icc = im.info.get("icc_profile")
    alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    if im.mode == "I" or im.mode.startswith("I;16"):
        im = im.convert("I").point(lambda v: v / 256).convert("L")   # 16-bit greys: scale, do not clip
    if alpha:
        im = im.convert("RGBA")
    elif im.mode not in ("RGB", "L", "CMYK"):   # the modes an ICC profile commonly describes
        im = im.convert("RGB")
    if icc:
        try:
            srgb = ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                             ImageCms.createProfile("sRGB"), outputMode="RGBA" if alpha else "RGB")
            im = srgb if srgb is not None else im   # None only when converting in place
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass   # a broken or mismatched profile: the pixels are taken as sRGB, like a browser would
    if im.mode == "RGBA":
        flat = Image.new("RGB", im.size, "white")
        flat.paste(im, mask=im.getchannel("A"))
        im = flat
    return im if im.mode == "RGB" else im.convert("RGB")


def process(data: bytes, *, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES) -> Processed:
    """Check, decode and re-encode an upload; raises ImageRejected with a code the handler reports."""
    if len(data) > max_bytes:
        raise ImageRejected("too_large", f"{len(data)} bytes is over {max_bytes}")
    kind = sniff(data)
    if kind is None:
        if _other_image_type(data):
            raise ImageRejected("unsupported_type", "only JPEG, PNG, WebP and HEIC photos are accepted")
        raise ImageRejected("not_an_image", "the upload is not an image")
    from PIL import Image

    im, size = _decode(data, kind, max_pixels)
    im = _to_srgb(im)
    im.info = {}   # JPEG's save reads a comment from `info` by default: start from nothing
    derivatives: dict[str, Derivative] = {}
    # Largest first, each from the previous one: cheaper than from the source, and never upward. A gap of
    # 1.5 lets `reduce` halve 4000 px before LANCZOS makes 1280 (half the time, <1/255 mean difference);
    # for `full` (under 2x smaller than what was decoded, for any photo's shape) it does not apply.
    for name in sorted(SIZES, key=SIZES.__getitem__, reverse=True):
        target = _target(size, SIZES[name])
        if im.size != target:
            im = im.resize(target, Image.Resampling.LANCZOS, reducing_gap=1.5)
        out = io.BytesIO()
        im.save(out, "JPEG", **JPEG_OPTIONS)   # our options only: nothing of the upload's EXIF, XMP, ICC…
        derivatives[name] = Derivative(name, out.getvalue(), im.width, im.height)
    return Processed(kind, size[0], size[1], {name: derivatives[name] for name in SIZES})
