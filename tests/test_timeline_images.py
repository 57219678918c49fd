"""Photo processing of the timeline (services/timeline/chalicelib/images.py), checked as a parent's
browser would see the result: derivatives read back with Pillow and as raw bytes. Every image is made
here with Pillow; nothing binary lives in the repo."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import tracemalloc
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageFile

REPO = Path(__file__).resolve().parents[1]

MAKE, MODEL, SERIAL = "Kidcam-Secret-Make", "Kidcam-Model-77", "SN-0042-9137"
WHEN, DATUM, COMMENT, CITY = "2026:11:24 09:15:00", "WGS-84", b"Noor at the Rupsen sandpit", b"Zonnebloemdorp"
XMP = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Kidcam"/></rdf:RDF></x:xmpmeta>'
       b'<?xpacket end="w"?>')
# Strings an upload carries in its metadata and no derivative may: each is checked to be in the source.
SECRETS = (b"Exif", MAKE.encode(), MODEL.encode(), SERIAL.encode(), WHEN.encode(), DATUM.encode())
FORBIDDEN = (*SECRETS, b"GPS", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"Photoshop", COMMENT, CITY)
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.fixture(scope="module")
def images():
    """timeline's image checks, imported by themselves: no app, no AWS."""
    from timeline_service.uploads import images

    return images


def camera_exif(orientation: int = 1) -> bytes:
    """What a phone writes: make, model, time, body serial, and where the photo was taken."""
    exif = Image.Exif()
    exif.update({0x010F: MAKE, 0x0110: MODEL, 0x0132: WHEN})
    if orientation != 1:
        exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0xA431] = SERIAL
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 5.0, 30.5), 3: "E", 4: (4.0, 53.0, 12.25), 18: DATUM})
    return exif.tobytes()


def app13_iptc() -> bytes:
    """A Photoshop APP13 segment with an IPTC city (2:90), as news and photo-library tools write it."""
    iptc = b"\x1c\x02\x5a" + len(CITY).to_bytes(2, "big") + CITY
    payload = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00" + len(iptc).to_bytes(4, "big") + iptc + b"\x00"
    return b"\xff\xed" + (len(payload) + 2).to_bytes(2, "big") + payload


def scene(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Grey with a red top-left block: shows where the stored image's corner ends up."""
    im = Image.new("RGB", size, (128, 128, 128))
    im.paste((255, 0, 0), (0, 0, size[0] // 4, size[1] // 3))
    return im


def encode(im: Image.Image, fmt: str, **options) -> bytes:
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def tagged_jpeg(orientation: int = 1, *, icc: bool = True) -> bytes:
    data = encode(scene(), "JPEG", exif=camera_exif(orientation), xmp=XMP, icc_profile=SRGB if icc else None,
                  comment=COMMENT, extra=app13_iptc())
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(0x8825) and {"xmp", "comment", "photoshop"} <= set(source.info)
    return data


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with a few bytes of pixels: a decompression bomb's shape."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def jpeg_markers(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments before its first scan."""
    found, i = [], 2
    while data[i] == 0xFF and data[i + 1] != 0xDA:
        found.append(data[i + 1])
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return found


def assert_clean(derivative) -> Image.Image:
    assert derivative.content_type == "image/jpeg"
    im = Image.open(io.BytesIO(derivative.data))
    assert im.format == "JPEG" and im.mode == "RGB" and im.size == (derivative.width, derivative.height)
    assert not im.getexif(), f"{derivative.name} carries EXIF"
    assert not {"exif", "icc_profile", "xmp", "comment", "photoshop"} & set(im.info), im.info.keys()
    markers = jpeg_markers(derivative.data)
    assert not [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE], f"APPn/COM segments: {markers}"
    for secret in FORBIDDEN:
        assert secret not in derivative.data, f"{derivative.name} contains {secret!r}"
    im.load()
    return im


def near(pixel: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


# -- metadata ------------------------------------------------------------------------------------
@pytest.mark.parametrize("icc", [True, False], ids=["with-icc", "without-icc"])
def test_a_phone_jpeg_loses_gps_camera_times_xmp_icc_iptc_and_comment(images, icc):
    source = tagged_jpeg(icc=icc)
    for secret in (*SECRETS, COMMENT, CITY, b"http://ns.adobe.com/xap", *([b"ICC_PROFILE"] if icc else [])):
        assert secret in source, secret   # the upload really carries what must go
    done = images.process(source)
    assert done.source_format == "jpeg" and (done.width, done.height) == (400, 300)
    assert list(done.derivatives) == ["thumb", "medium", "full"]
    for name, derivative in done.derivatives.items():
        assert derivative.name == name
        pixels = assert_clean(derivative)
        corner, middle_right = (5, 5), (derivative.width - 5, derivative.height // 2)
        assert near(pixels.getpixel(corner), (255, 0, 0)) and near(pixels.getpixel(middle_right), (128, 128, 128))


def test_exif_orientation_6_is_applied_then_dropped(images):
    done = images.process(tagged_jpeg(orientation=6))
    assert (done.width, done.height) == (300, 400)
    full = assert_clean(done.derivatives["full"])
    assert full.size == (300, 400)
    # Orientation 6: the stored top-left corner is shown top-right.
    assert near(full.getpixel((290, 10)), (255, 0, 0)) and near(full.getpixel((10, 10)), (128, 128, 128))
    assert assert_clean(done.derivatives["thumb"]).size == (240, 320)


def test_a_heic_from_an_iphone_is_taken_oriented_and_stripped(images):
    source = encode(scene(), "HEIF", exif=camera_exif(orientation=6), xmp=XMP, quality=90)
    assert MAKE.encode() in source and DATUM.encode() in source and b"ftypheic" in source[:16]
    done = images.process(source)
    assert done.source_format == "heic" and (done.width, done.height) == (300, 400)
    for derivative in done.derivatives.values():
        assert_clean(derivative)
    assert near(assert_clean(done.derivatives["full"]).getpixel((290, 10)), (255, 0, 0))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_transparent_pixels_become_white_and_metadata_goes(images, fmt):
    im = Image.new("RGBA", (200, 100), (0, 0, 0, 0))   # transparent black: naively converted it turns black
    im.paste((255, 0, 0, 255), (0, 0, 100, 100))
    options = {"exif": camera_exif(), "icc_profile": SRGB} | ({"xmp": XMP} if fmt == "WEBP" else {})
    source = encode(im, fmt, **options)
    assert MAKE.encode() in source
    done = images.process(source)
    assert done.source_format == fmt.lower() and (done.width, done.height) == (200, 100)
    for derivative in done.derivatives.values():
        pixels = assert_clean(derivative)
        assert near(pixels.getpixel((20, 50)), (255, 0, 0)) and near(pixels.getpixel((180, 50)), (255, 255, 255))


def swapped_primaries_profile() -> bytes:
    """sRGB with its red and green primaries exchanged: 'red' pixels in this space are sRGB green."""
    profile = bytearray(SRGB)
    entries = {bytes(profile[132 + 12 * i:136 + 12 * i]): 132 + 12 * i
               for i in range(int.from_bytes(profile[128:132], "big"))}
    red, green = entries[b"rXYZ"], entries[b"gXYZ"]
    profile[red + 4:red + 12], profile[green + 4:green + 12] = profile[green + 4:green + 12], profile[red + 4:red + 12]
    return bytes(profile)


def test_pixels_are_converted_to_srgb_before_the_profile_is_dropped(images):
    red_in_that_space = Image.new("RGB", (64, 64), (255, 0, 0))
    source = encode(red_in_that_space, "JPEG", quality=95, icc_profile=swapped_primaries_profile())
    full = assert_clean(images.process(source).derivatives["full"])
    red, green, _ = full.getpixel((32, 32))
    assert green > 200 and red < 60, (red, green)   # as a colour-managed viewer showed the upload


def test_cmyk_and_greyscale_jpegs_come_out_rgb(images):
    for im in (Image.new("CMYK", (120, 80), (0, 255, 255, 0)), Image.new("L", (120, 80), 90)):
        full = assert_clean(images.process(encode(im, "JPEG")).derivatives["full"])
        assert near(full.getpixel((60, 40)), im.convert("RGB").getpixel((60, 40)), 30)


# -- sizes ---------------------------------------------------------------------------------------
def sizes(done) -> dict[str, tuple[int, int]]:
    return {name: (d.width, d.height) for name, d in done.derivatives.items()}


def test_a_12_megapixel_photo_gives_thumb_medium_and_full(images):
    done = images.process(encode(scene((4000, 3000)), "JPEG"))
    assert sizes(done) == {"thumb": (320, 240), "medium": (1280, 960), "full": (4000, 3000)}
    for derivative in done.derivatives.values():
        assert Image.open(io.BytesIO(derivative.data)).size == (derivative.width, derivative.height)


@pytest.mark.parametrize("size", [(6000, 4000), (4000, 6000), (9000, 4000)])
def test_full_is_capped_at_4096_keeping_the_aspect(images, size):
    done = images.process(encode(scene(size), "JPEG"))
    width, height = sizes(done)["full"]
    assert max(width, height) == 4096 and (done.width, done.height) == size
    assert abs(width / height * size[1] - size[0]) <= size[0] / 4096 + 1
    full = assert_clean(done.derivatives["full"])   # the drafted decode (9000 wide) still shows the scene
    assert near(full.getpixel((10, 10)), (255, 0, 0)) and near(full.getpixel((width - 10, height - 10)), (128,) * 3)


def test_small_images_are_never_upscaled(images):
    done = images.process(encode(scene((200, 100)), "PNG"))
    assert sizes(done) == {"thumb": (200, 100), "medium": (200, 100), "full": (200, 100)}


# -- refusals ------------------------------------------------------------------------------------
def refused(images, data: bytes, **limits) -> str:
    with pytest.raises(images.ImageRejected) as caught:
        images.process(data, **limits)
    assert caught.value.detail
    return caught.value.code


@pytest.mark.parametrize("data", [b"hello, not a jpeg", b"", b"\x00" * 100, b"<html><body>hi</body></html>"])
def test_what_is_no_image_at_all_is_refused_as_such(images, data):
    assert refused(images, data) == "not_an_image"


@pytest.mark.parametrize("make", [
    lambda: encode(scene(), "GIF"), lambda: encode(scene(), "BMP"), lambda: encode(scene(), "TIFF"),
    lambda: encode(scene(), "PDF"),
    lambda: b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
], ids=["gif", "bmp", "tiff", "pdf", "svg"])
def test_other_image_types_are_refused_as_unsupported(images, make):
    assert refused(images, make()) == "unsupported_type"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_a_file_cut_in_half_is_refused_as_truncated(images, fmt):
    data = encode(Image.effect_noise((400, 300), 50).convert("RGB"), fmt)
    assert refused(images, data[: len(data) // 2]) == "truncated"


def test_broken_pixel_data_is_refused_as_corrupt(images):
    data = encode(Image.new("RGB", (50, 50), "red"), "PNG")
    start = data.index(b"IDAT") + 4
    broken = data[:start] + b"garbage, not zlib" + data[start + 17:]
    assert refused(images, broken) == "corrupt"


@pytest.mark.parametrize("width,height", [(20_000, 20_000), (8_000, 6_000)])
def test_a_pixel_bomb_is_refused_from_its_header_without_decoding(images, monkeypatch, width, height):
    """20000² is over Pillow's own limit; 8000x6000 (48 MP) is only over ours (40 MP)."""
    def no_decoding(self):
        raise AssertionError("decoded the pixels of a decompression bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)   # Pillow's buffers escape tracemalloc
    data = png_claiming(width, height)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        assert refused(images, data) == "too_many_pixels"
        assert time.perf_counter() - start < 1.0
        assert tracemalloc.get_traced_memory()[1] < 50 * 1024 * 1024
    finally:
        tracemalloc.stop()


def test_pillows_bomb_warning_is_a_refusal_not_a_warning(images):
    """With a limit above Pillow's, Pillow only warns (over 89 MP): that must still refuse."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert refused(images, png_claiming(12_000, 10_000), max_pixels=10**9) == "too_many_pixels"
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]


def test_limits_are_inclusive(images):
    data = encode(scene((200, 100)), "JPEG")
    assert images.process(data, max_pixels=200 * 100, max_bytes=len(data)).width == 200
    assert refused(images, data, max_pixels=200 * 100 - 1) == "too_many_pixels"
    assert refused(images, data, max_bytes=len(data) - 1) == "too_large"


def test_more_than_25_mib_is_refused_before_looking_at_it(images):
    assert refused(images, b"\xff\xd8\xff" + bytes(25 * 1024 * 1024)) == "too_large"


# -- sniff ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt,kind", [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp"), ("HEIF", "heic")])
def test_sniff_names_each_allowed_type_from_its_first_bytes(images, fmt, kind):
    assert images.sniff(encode(scene(), fmt)[:32]) == kind


@pytest.mark.parametrize("data", [b"", b"hello", b"GIF89a....", b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00mif1avif",
                                  b"RIFF\x00\x00\x00\x00WAVEfmt ", b"\xff\xd8"])
def test_sniff_names_nothing_else(images, data):
    assert images.sniff(data) is None


# -- cold start ----------------------------------------------------------------------------------
def test_importing_the_module_leaves_pillow_for_the_first_photo():
    """The timeline API imports timeline_service; only the processing handler should pay for Pillow."""
    tiny = encode(Image.new("RGB", (8, 8), "red"), "JPEG")
    lazy = f"""
import sys
import timeline_service.uploads.images as images
assert "PIL" not in sys.modules and "pillow_heif" not in sys.modules, "the import imported Pillow"
assert images.sniff({tiny[:16]!r}) == "jpeg"
try:
    images.process(b"hello")
except images.ImageRejected as refused:
    assert refused.code == "not_an_image"
assert "PIL" not in sys.modules, "refusing by magic number imported Pillow"
assert images.process({tiny!r}).derivatives["full"].width == 8
assert "PIL" in sys.modules
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", lazy], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_api_lambdas_cold_start_imports_no_pillow_and_no_boto3():
    """The Lambda entry (`services/timeline/app.py`) imports the whole app, every feature's routes and the upload
    processing included: the first photo processed pays for Pillow, the first AWS call for boto3."""
    cold = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("entry", "services/timeline/app.py")
entry = importlib.util.module_from_spec(spec)
spec.loader.exec_module(entry)
assert entry.app.event_handlers and entry.process_uploads
heavy = sorted(m for m in ("PIL", "pillow_heif", "boto3") if m in sys.modules)
assert not heavy, heavy
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", cold], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
