"""Unit tests for issuer.openbadges.images: PNG/SVG detection, safety checks and data URIs."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import struct
import time
import warnings
import zlib
from collections.abc import Callable

import pytest
from PIL import Image, PngImagePlugin

from issuer.openbadges.images import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    RECOMMENDED_SIZE,
    CheckedImage,
    ImageError,
    check_data_uri,
    check_image,
    decode_data_uri,
    size_warning_texts,
)

SVG_NS = "http://www.w3.org/2000/svg"
SQUARE = "so it is not square. A square image works best, ideally 150x150 pixels."
RECOMMENDED = "It can be used, but 150x150 pixels is the recommended size."
TINY_PNG_B64 = base64.b64encode(
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 8  # content does not matter inside an SVG <image>
).decode()


# --- helpers -----------------------------------------------------------------------------


def make_png(width: int = 150, height: int = 150, *, noisy: bool = False) -> bytes:
    """A PNG made by Pillow; noisy ones compress badly, so they have plenty of IDAT data."""
    if noisy:
        pixels = hashlib.shake_256(b"noise").digest(width * height * 3)
        image = Image.frombytes("RGB", (width, height), pixels)
    else:
        image = Image.new("RGBA", (width, height), (0, 120, 200, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def make_other(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (150, 150), (255, 0, 0)).save(buffer, fmt)
    return buffer.getvalue()


def chunk(chunk_type: bytes, data: bytes, *, crc: int | None = None) -> bytes:
    """One PNG chunk: length, type, data, CRC (correct unless given)."""
    if crc is None:
        crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def handmade_png(width: int, height: int, idat: bytes | None = None) -> bytes:
    """An 8-bit greyscale PNG built by hand, whatever the header claims."""
    if idat is None:
        idat = zlib.compress(b"\x00" * 64)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def ihdr(
    width: int,
    height: int,
    depth: int = 8,
    colour: int = 0,
    interlace: int = 0,
    *,
    compression: int = 0,
    filtering: int = 0,
) -> bytes:
    fields = (width, height, depth, colour, compression, filtering, interlace)
    return chunk(b"IHDR", struct.pack(">IIBBBBB", *fields))


def png_file(*chunks: bytes) -> bytes:
    """The signature, the given chunks (IHDR first) and IEND."""
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + chunk(b"IEND", b"")


def with_chunks(png: bytes, *chunks: bytes) -> bytes:
    """The PNG with the chunks inserted right after IHDR."""
    return png[:33] + b"".join(chunks) + png[33:]


def zero_stream(size: int, block: int = 1024 * 1024) -> bytes:
    """A valid zlib stream of size zero bytes (a multiple of block), made in milliseconds."""
    # After a full flush a deflate block does not refer to earlier data, so the flushed blocks
    # for one block of zeros can be repeated; then an empty final block and the Adler-32 of
    # size zeros (a = 1, b = size mod 65521).  Compressing 200 MiB would take seconds.
    compressor = zlib.compressobj(9)
    first = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    adler = (size % 65521) << 16 | 1
    return first + again * (size // block - 1) + b"\x01\x00\x00\xff\xff" + adler.to_bytes(4)


# Valid bit depths of each colour type (PNG spec), and its samples per pixel.
BIT_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
LAYOUTS = [(colour, depth) for colour, depths in BIT_DEPTHS.items() for depth in depths]
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2)]
ADAM7 += [(0, 1, 1, 2)]
SLACK = 1024  # the excess of pixel data that is tolerated (see png._PIXEL_DATA_SLACK)
PIXEL_BOMB = "its pixel data unpacks to more than the"
METADATA_BOMB = (
    "The PNG file is not safe to open: its text and colour profile data (zTXt, iTXt and iCCP "
    "chunks) unpack to more than 1 MiB (a file like this can be a decompression bomb, which "
    "attacks servers). Export the image again without metadata and upload the new file."
)
DAMAGED = (
    "The PNG file is damaged or incomplete, so it cannot be used. Open it in an image editor, "
    "export it again as PNG, and upload the new file."
)


def filtered_data(width: int, height: int, colour: int, depth: int, interlaced: bool) -> bytes:
    """Pixel data before compression: rows of noise with filter type 0, pass by pass."""
    noise = hashlib.shake_256(b"pixels").digest(16 * width * height + 64 * height)
    bits_per_pixel = CHANNELS[colour] * depth
    rows, used = [], 0
    for first_column, first_row, column_step, row_step in ADAM7 if interlaced else [(0, 0, 1, 1)]:
        columns = len(range(first_column, width, column_step))
        for _ in range(len(range(first_row, height, row_step)) if columns else 0):
            length = (columns * bits_per_pixel + 7) // 8
            rows.append(b"\x00" + noise[used : used + length])
            used += length
    return b"".join(rows)


def layout_png(
    width: int, height: int, colour: int, depth: int, interlaced: bool, *idat: bytes
) -> bytes:
    """A PNG of any layout built by hand, with the given IDAT chunk data."""
    palette = [chunk(b"PLTE", bytes(3 * 2**depth))] if colour == 3 else []
    header = ihdr(width, height, depth, colour, int(interlaced))
    return png_file(header, *palette, *(chunk(b"IDAT", data) for data in idat))


def rgba_png(width: int, height: int, *idat: bytes) -> bytes:
    return layout_png(width, height, 6, 8, False, *idat)


def rgba_data(width: int = 150, height: int = 150) -> bytes:
    return filtered_data(width, height, 6, 8, False)


def record_inflating(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make zlib.decompressobj record the size of every piece of output it returns."""
    sizes: list[int] = []
    real = zlib.decompressobj

    class Recording:
        def __init__(self) -> None:
            self.inflater = real()

        def decompress(self, data: bytes | memoryview, max_length: int = 0) -> bytes:
            output = self.inflater.decompress(data, max_length)
            sizes.append(len(output))
            return output

        def __getattr__(self, name: str) -> object:
            return getattr(self.inflater, name)

    monkeypatch.setattr(zlib, "decompressobj", Recording)
    return sizes


def ztxt(stream: bytes) -> bytes:
    return chunk(b"zTXt", b"Comment\x00\x00" + stream)


def iccp(stream: bytes) -> bytes:
    return chunk(b"iCCP", b"ICC profile\x00\x00" + stream)


def itxt(stream: bytes, flag: int = 1) -> bytes:
    return chunk(b"iTXt", b"Comment\x00" + bytes([flag, 0]) + b"en\x00Kommentar\x00" + stream)


def animated_png(frame: bytes, frame_size: tuple[int, int] = (20, 20)) -> bytes:
    """A 20x20 APNG built by hand: the IDAT image, then one frame with the given fdAT data."""

    def fctl(sequence: int, width: int, height: int) -> bytes:
        return chunk(b"fcTL", struct.pack(">5I2H2B", sequence, width, height, 0, 0, 1, 10, 0, 0))

    return png_file(
        ihdr(20, 20, 8, 6),
        chunk(b"acTL", struct.pack(">II", 2, 0)),
        fctl(0, 20, 20),
        chunk(b"IDAT", zlib.compress(rgba_data(20, 20))),
        fctl(1, *frame_size),
        chunk(b"fdAT", struct.pack(">I", 2) + frame),
    )


def make_svg(body: str = "", attributes: str = 'width="150" height="150"') -> bytes:
    return (
        f'<svg xmlns="{SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" {attributes}>'
        f"{body}</svg>"
    ).encode()


def data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def rejected(data: bytes, **kwargs: object) -> str:
    with pytest.raises(ImageError) as excinfo:
        check_image(data, **kwargs)  # type: ignore[arg-type]
    return str(excinfo.value)


# --- valid images and warnings -----------------------------------------------------------


def test_constants() -> None:
    assert RECOMMENDED_SIZE == 150
    assert DEFAULT_MAX_BYTES == 2 * 1024 * 1024
    assert DEFAULT_MAX_PIXELS == 4096 * 4096


def test_valid_png_passes_without_warnings() -> None:
    data = make_png()
    checked = check_image(data)
    assert checked == CheckedImage(data, "image/png", 150.0, 150.0, ())
    assert checked.data is data  # the exact bytes, not re-encoded
    assert "data=" not in repr(checked)  # no megabytes of bytes in logs


def test_valid_svg_passes_without_warnings() -> None:
    data = make_svg('<circle cx="75" cy="75" r="70" fill="gold"/>')
    checked = check_image(data)
    assert checked == CheckedImage(data, "image/svg+xml", 150.0, 150.0, ())


@pytest.mark.parametrize(
    ("size", "warning"),
    [
        ((300, 200), f"The image is 300x200 pixels, {SQUARE}"),
        ((100, 150), f"The image is 100x150 pixels, {SQUARE}"),
        ((512, 512), f"The image is 512x512 pixels. {RECOMMENDED}"),
        ((1, 1), f"The image is 1x1 pixels. {RECOMMENDED}"),
    ],
)
def test_png_size_warnings(size: tuple[int, int], warning: str) -> None:
    checked = check_image(make_png(*size))
    assert (checked.width, checked.height) == size
    assert checked.warnings == (warning,)


@pytest.mark.parametrize(
    ("attributes", "size", "warning"),
    [
        ('width="150" height="150"', (150, 150), None),
        ('width="150px" height=" 150 px "', (150, 150), None),
        ('width="150.0" height="1.5e2"', (150, 150), None),
        ('width="100%" height="100%" viewBox="0 0 150 150"', (150, 150), None),
        ('viewBox="0,0,300,200"', (300, 200), "The image is 300x200 pixels, so it is not square"),
        (
            'width="2in" height="2in" viewBox="0 0 512 512"',
            (512, 512),
            "512x512 pixels. It can be used, but 150x150",
        ),
        ('width="150.5" height="150.5"', (150.5, 150.5), "The image is 150.5x150.5 pixels."),
        ('width="300" viewBox="-10 -10 64 64"', (64, 64), "The image is 64x64 pixels."),
        ('width="2in" height="2in"', (None, None), "size could not be found"),
        ("", (None, None), "size could not be found"),
        ('width="0" height="0"', (None, None), "size could not be found"),
        ('viewBox="0 0 -1 5"', (None, None), "size could not be found"),
        ('viewBox="0 0 big 5"', (None, None), "size could not be found"),
    ],
)
def test_svg_size_and_warnings(
    attributes: str, size: tuple[float | None, float | None], warning: str | None
) -> None:
    checked = check_image(make_svg("", attributes))
    assert (checked.width, checked.height) == size
    if warning is None:
        assert checked.warnings == ()
    else:
        assert len(checked.warnings) == 1
        assert warning in checked.warnings[0]
        assert ".0x" not in checked.warnings[0]
        assert "150x150 pixels" in checked.warnings[0]


@pytest.mark.parametrize(
    ("data", "kind", "width", "height"),
    [
        (make_png(300, 200), "not_square", "300", "200"),
        (make_png(512, 512), "not_recommended_size", "512", "512"),
        (make_svg("", 'viewBox="0 0 64.5 64.5"'), "not_recommended_size", "64.5", "64.5"),
        (make_svg("", ""), "unknown_size", "", ""),
    ],
)
def test_the_badge_forms_warning_texts_are_the_servers(
    data: bytes, kind: str, width: str, height: str
) -> None:
    # The badge form's script fills {width} and {height} in these texts while a file is chosen.
    texts = size_warning_texts()
    assert set(texts) == {"not_square", "not_recommended_size", "unknown_size"}
    assert "{size}" not in "".join(texts.values())
    expected = texts[kind].replace("{width}", width).replace("{height}", height)
    assert check_image(data).warnings == (expected,)


def test_svg_with_prolog_bom_comments_and_doctype_free_declaration() -> None:
    data = (
        b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        b"<!-- Created with a vector editor -->\n\n" + make_svg()
    )
    assert check_image(data).media_type == "image/svg+xml"


def test_svg_allows_ascii_declaration_and_non_ascii_text() -> None:
    data = b'<?xml version="1.0" encoding="us-ascii"?>' + make_svg("<title>Caf\xc3\xa9</title>")
    assert check_image(data).warnings == ()


@pytest.mark.parametrize(
    "body",
    [
        '<defs><circle id="ok" r="5"/></defs><use href="#ok"/>',
        '<use xlink:href="#ok"/><circle id="ok" r="5"/>',
        f'<image href="data:image/png;base64,{TINY_PNG_B64}" width="150" height="150"/>',
        f'<image xlink:href="data:image/jpeg;base64,{TINY_PNG_B64}"/>',
        f'<image href="DATA:IMAGE/GIF;BASE64,{TINY_PNG_B64}"/>',
        f'<image href="data:image/webp;base64,{TINY_PNG_B64}"/>',
        # Inkscape wraps embedded base64 data over several lines
        f'<image href="data:image/png;base64,\n  {TINY_PNG_B64[:8]}\n  {TINY_PNG_B64[8:]}"/>',
        '<linearGradient id="g"/><rect fill="url(#g)" width="150" height="150"/>',
        "<rect style=\"fill: url('#g'); stroke: url( &quot;#g&quot; )\"/>",
        "<style>rect { fill: url(#g); filter: url( '#f' ) } /* comment */</style>",
        f'<style><![CDATA[ .a {{ background: url("data:image/png;base64,{TINY_PNG_B64}") }} ]]>'
        "</style>",
        '<a href="#top"><text>anchor</text></a>',
        '<path d="M0 0 L150 150" stroke="black" opacity="0.5" offset="1"/>',
        "<?inkscape-note harmless?><g/>",
    ],
)
def test_safe_svg_content_is_accepted(body: str) -> None:
    assert check_image(make_svg(body)).media_type == "image/svg+xml"


# --- not PNG or SVG ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (make_other("JPEG"), "(it is a JPEG image)"),
        (make_other("GIF"), "(it is a GIF image)"),
        (b"hello world, this is text", "not a PNG or SVG image."),
        (b"", "(the file is empty)"),
        (b"   \n", "not a PNG or SVG image."),
        (b"%PDF-1.7\n...", "(it is a PDF document)"),
        (zlib.compress(b"<svg/>", wbits=31), "gzip-compressed"),
        ('<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16"), "UTF-8"),
        (b"\x89PNX\r\n\x1a\n" + b"\x00" * 40, "not a PNG or SVG image."),
    ],
)
def test_other_formats_are_rejected(data: bytes, detail: str) -> None:
    message = rejected(data)
    assert "not a PNG or SVG image" in message
    assert detail in message
    assert "Only PNG and SVG images can be used" in message


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"<html><body>hi</body></html>", "root element is <html>, not <svg>"),
        (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "root element is <html>, not <svg>"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "<feed>"),
        (b"<!DOCTYPE html><html><body/></html>", "HTML document"),
    ],
)
def test_non_svg_xml_is_rejected(data: bytes, detail: str) -> None:
    message = rejected(data)
    assert "not a PNG or SVG image" in message
    assert detail in message


def test_svg_root_without_namespace_is_rejected() -> None:
    message = rejected(b'<svg width="150" height="150"/>')
    assert "no SVG namespace" in message
    assert 'xmlns="http://www.w3.org/2000/svg"' in message


# --- declared type -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "declared", "phrase"),
    [
        (make_png(), "image/svg+xml", "sent as image/svg+xml, but the file is a PNG image"),
        (make_svg(), "image/png", "sent as image/png, but the file is an SVG image"),
        (make_png(), "image/jpeg", "sent as image/jpeg, but the file is a PNG image"),
        (make_svg(), "text/xml", "sent as text/xml, but the file is an SVG image"),
    ],
)
def test_declared_type_must_match_content(data: bytes, declared: str, phrase: str) -> None:
    assert phrase in rejected(data, declared_type=declared)


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (make_png(), "image/png"),
        (make_png(), "IMAGE/PNG"),
        (make_png(), None),
        (make_png(), ""),
        (make_png(), "application/octet-stream"),
        (make_svg(), "image/svg+xml"),
        (make_svg(), "image/svg+xml; charset=utf-8"),
    ],
)
def test_declared_type_matching_or_unspecific_is_accepted(
    data: bytes, declared: str | None
) -> None:
    assert check_image(data, declared_type=declared).data == data


def test_declared_type_does_not_excuse_other_formats() -> None:
    assert "(it is a JPEG image)" in rejected(make_other("JPEG"), declared_type="image/png")


# --- size --------------------------------------------------------------------------------


def test_oversized_file_is_rejected() -> None:
    data = make_png()
    message = rejected(data, max_bytes=100)
    assert "too large" in message
    assert f"({len(data)} bytes)" in message
    assert "the maximum size is 100 bytes" in message


def test_size_limit_is_inclusive() -> None:
    data = make_png()
    assert check_image(data, max_bytes=len(data)).data == data


def test_default_size_limit_is_named_in_a_human_form() -> None:
    message = rejected(b"x" * (3 * 1024 * 1024))
    assert "too large (3 MiB); the maximum size is 2 MiB" in message


@pytest.mark.parametrize(
    ("size", "max_bytes", "phrase"),
    [
        (2 * 1024 * 1024 + 1, DEFAULT_MAX_BYTES, "(2,097,153 bytes); the maximum size is 2 MiB "),
        (1536, 1024, "too large (1.5 KiB); the maximum size is 1 KiB"),
        (2, 1, "too large (2 bytes); the maximum size is 1 byte"),
    ],
)
def test_size_messages(size: int, max_bytes: int, phrase: str) -> None:
    assert phrase in rejected(b"x" * size, max_bytes=max_bytes)


# --- corrupt PNG files -------------------------------------------------------------------


@pytest.mark.parametrize("cut", [20, 40, 100, 5000, -100, -12, -4, -1])
def test_truncated_png_is_rejected(cut: int) -> None:
    data = make_png(noisy=True)
    assert DAMAGED in rejected(data[:cut])


def test_bad_crc_is_rejected() -> None:
    data = bytearray(make_png(noisy=True))
    position = data.index(b"IDAT") + 100
    data[position] ^= 0xFF
    message = rejected(bytes(data))
    assert DAMAGED in message
    assert "bad checksum in the IDAT chunk" in message


def test_garbage_after_header_is_rejected() -> None:
    header = make_png()[:33]
    garbage = hashlib.shake_256(b"garbage").digest(500)
    assert DAMAGED in rejected(header + garbage)


@pytest.mark.parametrize(
    ("idat", "detail"),
    [
        (b"this is not zlib data at all", "the compressed pixel data is damaged"),
        (zlib.compress(b"\x00" * 10), "the compressed pixel data is incomplete"),  # too little
        (zlib.compress(rgba_data())[:-4], "the compressed pixel data is incomplete"),  # no end
        (zlib.compress(rgba_data())[:-1], "the compressed pixel data is incomplete"),
    ],
)
def test_undecodable_pixel_data_with_valid_checksums_is_rejected(idat: bytes, detail: str) -> None:
    assert rejected(rgba_png(150, 150, idat)) == f"{DAMAGED} (Details: {detail}.)"


def test_data_after_the_end_chunk_is_rejected() -> None:
    message = rejected(make_png() + b"<script>alert(1)</script>")
    assert DAMAGED in message
    assert "after the end of the image" in message


@pytest.mark.parametrize("size", [(0, 150), (150, 0)])
def test_zero_size_png_is_rejected(size: tuple[int, int]) -> None:
    assert DAMAGED in rejected(handmade_png(*size))


def test_png_without_ihdr_first_is_rejected() -> None:
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IEND", b"") + b"\x00" * 30
    assert "IHDR" in rejected(data)


# --- decompression bombs -----------------------------------------------------------------


def test_decompression_bomb_header_is_rejected_before_decoding() -> None:
    data = handmade_png(100_000, 100_000)
    assert len(data) < 100
    message = rejected(data)
    assert "too large to open safely" in message
    assert "100000x100000 pixels" in message
    assert "150x150 pixels is the recommended size" in message
    assert f"{DEFAULT_MAX_PIXELS:,} pixels" in message


def test_real_image_over_max_pixels_is_rejected() -> None:
    data = make_png(200, 200)
    message = rejected(data, max_pixels=10_000)
    assert "too large to open safely" in message
    assert "200x200 pixels" in message
    assert check_image(data, max_pixels=40_000).width == 200


@pytest.mark.parametrize("size", [12, 20])  # Pillow warns above its limit, raises above twice it
def test_pillow_decompression_bomb_checks_become_image_errors(
    monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a warning escaping would be recorded, not raised
        filters_before = list(warnings.filters)
        message = rejected(make_png(size, size), max_pixels=1_000_000)
        assert warnings.filters == filters_before
    assert "too large to open safely" in message
    assert "12x12" in message or "20x20" in message
    assert caught == []
    assert Image.MAX_IMAGE_PIXELS == 100


def test_pillow_global_state_is_unchanged() -> None:
    limit = Image.MAX_IMAGE_PIXELS
    filters_before = list(warnings.filters)
    check_image(make_png())
    rejected(handmade_png(100_000, 100_000))
    rejected(make_png()[:-20])
    assert Image.MAX_IMAGE_PIXELS == limit
    assert warnings.filters == filters_before


def test_small_png_check_is_fast() -> None:
    data = make_png(noisy=True)
    timings = []
    for _ in range(20):
        start = time.perf_counter()
        check_image(data)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.005


# --- decompression bombs in the compressed streams ---------------------------------------


@pytest.mark.parametrize("idat_chunks", [1, 4])
def test_small_png_whose_pixel_data_inflates_to_200_mib_is_rejected(
    monkeypatch: pytest.MonkeyPatch, idat_chunks: int
) -> None:
    assert zlib.decompress(zero_stream(3 * 1024 * 1024)) == bytes(3 * 1024 * 1024)  # honest
    stream = zero_stream(200 * 1024 * 1024)
    size = -(-len(stream) // idat_chunks)
    pieces = [stream[start : start + size] for start in range(0, len(stream), size)]
    assert len(pieces) == idat_chunks
    data = rgba_png(150, 150, *pieces)
    assert len(data) < DEFAULT_MAX_BYTES // 8  # valid header and checksums, about 200 KiB
    inflated = record_inflating(monkeypatch)
    message = rejected(data)
    assert message == (
        "The PNG file is not safe to open: its pixel data unpacks to more than the 90,150 bytes "
        "that a 150x150 image needs (a file like this can be a decompression bomb, which attacks "
        "servers). Open it in an image editor, export it again as PNG, and upload the new file."
    )
    # It stops as soon as it knows, never holding more than a bounded piece of the output.
    assert 90_150 + SLACK < sum(inflated) <= 90_150 + SLACK + 1
    assert max(inflated) <= 1024 * 1024


def test_pixel_data_bomb_is_rejected_through_a_data_uri() -> None:
    uri = data_uri("image/png", rgba_png(150, 150, zero_stream(50 * 1024 * 1024)))
    with pytest.raises(ImageError, match="can be a decompression bomb"):
        check_data_uri(uri)


@pytest.mark.parametrize(("colour", "depth"), LAYOUTS)
@pytest.mark.parametrize("interlaced", [False, True], ids=["progressive", "interlaced"])
@pytest.mark.parametrize("size", [(1, 1), (5, 3), (33, 17)], ids=["1x1", "5x3", "33x17"])
def test_pixel_data_must_inflate_to_what_each_layout_needs(
    colour: int, depth: int, interlaced: bool, size: tuple[int, int]
) -> None:
    # Every valid colour type and bit depth, with and without Adam7 interlacing (1x1 and 5x3
    # have empty passes, which have no rows at all), pinned from both sides.
    raw = filtered_data(*size, colour, depth, interlaced)

    def png(data: bytes) -> bytes:
        return layout_png(*size, colour, depth, interlaced, zlib.compress(data))

    assert check_image(png(raw)).width == size[0]
    assert check_image(png(raw + bytes(SLACK))).width == size[0]  # a little too much: tolerated
    assert rejected(png(raw[:-1])).endswith("(Details: the compressed pixel data is incomplete.)")
    message = rejected(png(raw + bytes(SLACK + 1)))
    assert f"{PIXEL_BOMB} {len(raw):,} bytes that a {size[0]}x{size[1]} image needs" in message


def test_150x150_interlaced_png_passes() -> None:
    raw = filtered_data(150, 150, 6, 8, True)
    assert len(raw) == 90_000 + 19 + 19 + 19 + 38 + 37 + 75 + 75  # a filter byte per pass row
    data = layout_png(150, 150, 6, 8, True, zlib.compress(raw))
    assert check_image(data).warnings == ()
    with Image.open(io.BytesIO(data)) as image:
        assert image.info.get("interlace") == 1


@pytest.mark.parametrize(
    ("mode", "options", "layout"),
    [
        ("L", {}, (8, 0)),
        ("LA", {}, (8, 4)),
        ("RGB", {}, (8, 2)),
        ("RGBA", {}, (8, 6)),
        ("P", {}, (8, 3)),
        ("P", {"bits": 4}, (4, 3)),
        ("P", {"bits": 2}, (2, 3)),
        ("P", {"bits": 1}, (1, 3)),
        ("1", {}, (1, 0)),
        ("I;16", {}, (16, 0)),
    ],
)
def test_pillow_made_pngs_of_every_mode_pass(
    mode: str, options: dict[str, int], layout: tuple[int, int]
) -> None:
    noise = hashlib.shake_256(b"modes").digest(2 * 150 * 150)
    if mode == "I;16":
        image = Image.frombytes(mode, (150, 150), noise)
    else:
        image = Image.frombytes("L", (150, 150), noise[: 150 * 150]).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    data = buffer.getvalue()
    assert struct.unpack(">BB", data[24:26]) == layout
    assert check_image(data).warnings == ()


@pytest.mark.parametrize(
    "idat",
    [
        [zlib.compress(rgba_data()) + b"\x00"],  # a stray byte after the end (image-rs did it)
        [zlib.compress(rgba_data()) + bytes(SLACK)],
        [zlib.compress(rgba_data()), b""],  # an empty IDAT chunk at the end (GDAL2Tiles did it)
        [zlib.compress(rgba_data() + b"\x00" * 16)],  # a few bytes of pixel data too many
    ],
    ids=["stray-byte", "slack-after-stream", "empty-idat", "extra-pixel-bytes"],
)
def test_a_little_extra_data_after_the_pixels_is_tolerated(idat: list[bytes]) -> None:
    assert check_image(rgba_png(150, 150, *idat)).warnings == ()


def test_more_extra_data_after_the_compressed_pixels_is_rejected() -> None:
    idat = zlib.compress(rgba_data()) + bytes(SLACK + 1)  # never inflated, but hidden
    assert rejected(rgba_png(150, 150, idat)) == (
        f"{DAMAGED} (Details: there is unexpected data after the compressed pixel data.)"
    )


def test_png_with_several_idat_chunks_passes() -> None:
    made_by_pillow = make_png(300, 300, noisy=True)
    assert made_by_pillow.count(b"IDAT") > 2
    assert check_image(made_by_pillow).width == 300
    stream = zlib.compress(rgba_data())
    cuts = [0, 1, 2, 2, 100, 5000, 5001, len(stream)]  # with an empty chunk in the middle
    pieces = [stream[start:end] for start, end in itertools.pairwise(cuts)]
    assert check_image(rgba_png(150, 150, *pieces)).warnings == ()


def test_idat_chunks_must_be_consecutive() -> None:
    # Pillow reads only the first run of IDAT chunks; other readers may join them all.
    stream = zlib.compress(rgba_data())
    data = rgba_png(150, 150, stream[:100], stream[100:], zero_stream(10 * 1024 * 1024))
    second = data.index(b"IDAT", data.index(b"IDAT") + 4) - 4
    data = data[:second] + chunk(b"tEXt", b"Comment\x00between") + data[second:]
    assert rejected(data) == (
        f"{DAMAGED} (Details: the IDAT chunks with the pixel data are not consecutive.)"
    )


def test_png_without_pixel_data_is_rejected() -> None:
    assert rejected(png_file(ihdr(150, 150))) == (
        f"{DAMAGED} (Details: there is no IDAT chunk with the pixel data.)"
    )


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (ihdr(150, 150, 4, 2), "invalid combination of bit depth 4 and colour type 2"),
        (ihdr(150, 150, 16, 3), "invalid combination of bit depth 16 and colour type 3"),
        (ihdr(150, 150, 3, 0), "invalid combination of bit depth 3 and colour type 0"),
        (ihdr(150, 150, 8, 1), "invalid combination of bit depth 8 and colour type 1"),
        (ihdr(150, 150, 8, 7), "invalid combination of bit depth 8 and colour type 7"),
        (ihdr(150, 150, 8, 6, 2), "unknown compression, filter or interlace method"),
        (ihdr(150, 150, 8, 6, compression=1), "unknown compression, filter or interlace method"),
        (ihdr(150, 150, 8, 6, filtering=1), "unknown compression, filter or interlace method"),
    ],
)
def test_invalid_header_layouts_are_rejected(header: bytes, detail: str) -> None:
    data = png_file(header, chunk(b"IDAT", zlib.compress(rgba_data())))
    message = rejected(data)
    assert message.startswith(f"{DAMAGED} (Details: the header gives an ")
    assert detail in message


@pytest.mark.parametrize(
    "bomb",
    [ztxt, iccp, itxt, lambda stream: itxt(stream, flag=2)],  # Pillow inflates any flag but 0
    ids=["zTXt", "iCCP", "iTXt", "iTXt-flag-2"],
)
def test_metadata_chunk_bomb_is_rejected(
    monkeypatch: pytest.MonkeyPatch, bomb: Callable[[bytes], bytes]
) -> None:
    data = with_chunks(make_png(), bomb(zero_stream(200 * 1024 * 1024)))
    assert len(data) < DEFAULT_MAX_BYTES // 8
    inflated = record_inflating(monkeypatch)
    assert rejected(data) == METADATA_BOMB
    assert sum(inflated) <= 90_150 + SLACK + 1 + 1024 * 1024 + 1  # pixels, then 1 MiB + 1
    assert max(inflated) <= 1024 * 1024


def test_metadata_bomb_after_the_pixel_data_is_rejected() -> None:
    png = make_png()
    data = png[:-12] + ztxt(zero_stream(200 * 1024 * 1024)) + png[-12:]
    assert rejected(data) == METADATA_BOMB


def test_metadata_limit_is_a_total_over_all_chunks() -> None:
    # Each chunk is under Pillow's own limit of 1 MiB per chunk; together they are not.
    def text(size: int) -> bytes:
        return zlib.compress(b"a" * size)

    quarter = 256 * 1024
    exactly = [ztxt(text(2 * quarter)), iccp(text(quarter)), itxt(text(quarter))]
    assert check_image(with_chunks(make_png(), *exactly)).warnings == ()
    over = [ztxt(text(2 * quarter)), iccp(text(quarter)), itxt(text(quarter + 1))]
    assert rejected(with_chunks(make_png(), *over)) == METADATA_BOMB
    many = [ztxt(text(400 * 1024))] * 3
    assert rejected(with_chunks(make_png(), *many)) == METADATA_BOMB


def test_normal_compressed_metadata_passes() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "A badge for " * 50, zip=True)  # zTXt
    info.add_itxt("Beschreibung", "Ein Abzeichen für Mut " * 50, lang="de", zip=True)
    info.add_text("Author", "not compressed")  # tEXt
    buffer = io.BytesIO()
    image = Image.new("RGBA", (150, 150), (0, 120, 200, 255))
    image.save(buffer, "PNG", pnginfo=info, icc_profile=b"\x00" * 3144)  # iCCP
    data = buffer.getvalue()
    assert all(name in data for name in (b"zTXt", b"iTXt", b"iCCP", b"tEXt"))
    assert check_image(data).warnings == ()


def test_uncompressed_text_is_not_counted() -> None:
    # A baked Open Badges 3.0 credential is stored as uncompressed iTXt.
    credential = itxt(b"eyJ" * (500 * 1024), flag=0)
    assert check_image(with_chunks(make_png(), credential)).warnings == ()


@pytest.mark.parametrize("build", [ztxt, iccp, itxt], ids=["zTXt", "iCCP", "iTXt"])
def test_damaged_compressed_metadata_is_rejected(build: Callable[[bytes], bytes]) -> None:
    data = with_chunks(make_png(), build(b"this is not zlib data"))
    name = build(b"")[4:8].decode()
    assert rejected(data) == (
        f"{DAMAGED} (Details: the compressed data in the {name} chunk is damaged.)"
    )


def test_animated_png_passes() -> None:
    frames = [Image.new("RGBA", (150, 150), (255 * (i % 2), 60 * i, 0, 255)) for i in range(4)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:], duration=100)
    data = buffer.getvalue()
    assert data.count(b"fdAT") == 3
    assert check_image(data).warnings == ()
    assert check_image(animated_png(zlib.compress(rgba_data(20, 20)))).width == 20
    frame = zlib.compress(rgba_data(7, 5))
    assert check_image(animated_png(frame, frame_size=(7, 5))).width == 20


def test_animation_frame_bomb_is_rejected() -> None:
    message = rejected(animated_png(zero_stream(200 * 1024 * 1024)))
    assert message == (
        "The PNG file is not safe to open: its pixel data unpacks to more than the 1,620 bytes "
        "that a 20x20 animation frame needs (a file like this can be a decompression bomb, which "
        "attacks servers). Open it in an image editor, export it again as PNG, and upload the "
        "new file."
    )
    short = zlib.compress(rgba_data(20, 20)[:-1])
    assert rejected(animated_png(short)).endswith(
        "(Details: the compressed pixel data is incomplete.)"
    )


def test_animation_pixel_limit_counts_every_frame() -> None:
    data = animated_png(zlib.compress(rgba_data(20, 20)))
    assert check_image(data, max_pixels=800).width == 20
    message = rejected(data, max_pixels=799)
    assert message == (
        "The PNG file is not safe to open: its animation frames have 800 pixels in total, more "
        "than the limit of 799 pixels (a file like this can be a decompression bomb, which "
        "attacks servers). Upload a small still image instead."
    )
    huge = animated_png(zero_stream(1024 * 1024), frame_size=(100_000, 100_000))
    assert "its animation frames have 10,000,000,400 pixels in total" in rejected(huge)


def test_frame_data_without_frame_control_is_rejected() -> None:
    data = with_chunks(make_png(), chunk(b"fdAT", b"\x00\x00\x00\x01" + zlib.compress(b"")))
    assert rejected(data) == (
        f"{DAMAGED} (Details: an fdAT chunk has no frame control chunk before it.)"
    )


# --- unsafe SVG --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (
            make_svg("<script>alert(1)</script>"),
            "The SVG image contains a script (<script> element)",
        ),
        (
            make_svg('<g><h:script xmlns:h="http://www.w3.org/1999/xhtml">x()</h:script></g>'),
            "The SVG image contains a script (<script> element)",
        ),
        (
            make_svg('<script xlink:href="#local"/>'),
            "The SVG image contains a script (<script> element)",
        ),
        (
            make_svg('<handler type="application/ecmascript">x()</handler>'),
            "The SVG image contains a script (<handler> element)",
        ),
        (
            make_svg("", 'width="150" height="150" onload="alert(1)"'),
            "The SVG image has an event handler attribute (onload on <svg>)",
        ),
        (
            make_svg('<g><rect width="5" height="5" onclick="steal()"/></g>'),
            "The SVG image has an event handler attribute (onclick on <rect>)",
        ),
        (
            make_svg('<g><rect ONMOUSEOVER="steal()"/></g>'),
            "The SVG image has an event handler attribute (ONMOUSEOVER on <rect>)",
        ),
        (
            make_svg('<image xlink:href="http://evil.example/x.png"/>'),
            'The SVG image refers to an outside resource (xlink:href="http://evil.example/'
            'x.png" on <image>)',
        ),
        (
            make_svg('<image href="http://evil.example/x.png"/>'),
            'The SVG image refers to an outside resource (href="http://evil.example/x.png"'
            " on <image>)",
        ),
        (
            make_svg('<a href="javascript:alert(1)"><text>click</text></a>'),
            '(href="javascript:alert(1)" on <a>)',
        ),
        (
            make_svg('<a xlink:href=" JavaScript:alert(1)"><text>click</text></a>'),
            "(xlink:href=",
        ),
        (make_svg('<image href="file.png"/>'), '(href="file.png" on <image>)'),
        (make_svg('<image href="//evil.example/x.png"/>'), '(href="//evil.example/x.png"'),
        (make_svg('<image href="file:///etc/passwd"/>'), '(href="file:///etc/passwd"'),
        (make_svg('<use href="other.svg#icon"/>'), '(href="other.svg#icon" on <use>)'),
        (make_svg('<feImage href="https://evil.example/"/>'), "on <feImage>)"),
        (
            make_svg('<image href="data:image/svg+xml;base64,PHN2Zy8+"/>'),
            '(href="data:image/svg+xml;base64,PHN2Zy8+" on <image>)',
        ),
        (make_svg('<image href="data:text/html,&lt;script&gt;"/>'), "an outside resource"),
        (make_svg('<image href="data:image/png,rawbytes"/>'), "an outside resource"),
        (
            make_svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"/></foreignObject>'),
            "The SVG image contains HTML or other foreign content (<foreignObject> element)",
        ),
        (
            make_svg("<style>rect { fill: url(http://evil.example/bg.png) }</style>"),
            "The SVG image refers to an outside resource (url(http://evil.example/bg.png)"
            " in <style>)",
        ),
        (
            make_svg("<style>rect { fill: url( 'https://evil.example/a.png' ) }</style>"),
            "(url(https://evil.example/a.png) in <style>)",
        ),
        (
            make_svg('<style>rect { background: URL("x.png") }</style>'),
            "(url(x.png) in <style>)",
        ),
        (
            make_svg(r"<style>rect { fill: \75rl(http://evil.example/escaped) }</style>"),
            "(url(http://evil.example/escaped) in <style>)",
        ),
        (
            make_svg("<style>rect { fill: image-set('https://evil.example/x.png' 1x) }</style>"),
            "an outside resource (image-set() in <style>)",
        ),
        (
            make_svg('<rect style="fill: url(http://evil.example/bg.png)"/>'),
            "(url(http://evil.example/bg.png) in the style attribute of <rect>)",
        ),
        (
            make_svg('<rect fill="url(https://evil.example/p.svg#grad)"/>'),
            "(url(https://evil.example/p.svg#grad) in the fill attribute of <rect>)",
        ),
        (
            make_svg('<style>@import "https://evil.example/x.css";</style>'),
            "The SVG image imports an outside style sheet (@import in <style>)",
        ),
        (
            make_svg("<style>@IMPORT url(#x);</style>"),
            "The SVG image imports an outside style sheet (@import in <style>)",
        ),
        (
            make_svg('<rect style="@import url(x.css)"/>'),
            "(@import in the style attribute of <rect>)",
        ),
        (
            make_svg('<a href="#x"><set attributeName="href" to="javascript:alert(1)"/></a>'),
            'The SVG image animates a link or an event handler (attributeName="href" on <set>)',
        ),
        (
            make_svg('<a href="#x"><animate attributeName="xlink:href" values="#a;http://x"/></a>'),
            '(attributeName="xlink:href" on <animate>)',
        ),
        (
            b'<?xml version="1.0"?>\n<?xml-stylesheet type="text/css" href="https://evil.example/'
            b'x.css"?>\n' + make_svg(),
            "The SVG file loads a style sheet (<?xml-stylesheet?> processing instruction)",
        ),
        (
            make_svg('<g><?xml-stylesheet href="x.css"?></g>'),
            "<?xml-stylesheet?> processing instruction",
        ),
    ],
)
def test_unsafe_svg_is_rejected(data: bytes, phrase: str) -> None:
    assert phrase in rejected(data)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol3;</text></svg>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>
"""

SVG11_DOCTYPE = b"""<?xml version="1.0" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" width="150" height="150"/>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, SVG11_DOCTYPE])
def test_dtd_and_entity_declarations_are_rejected(data: bytes) -> None:
    message = rejected(data)
    assert "The SVG file contains a DTD or entity declarations (<!DOCTYPE svg>)" in message
    assert "Remove the DOCTYPE" in message


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg">\n<g></svg>',
            "mismatched tag at line 2, column",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg">', "no element found at line 1"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><a xlink:href="#x"/></svg>', "unbound prefix"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><text>&nbsp;</text></svg>', "undefined entity"),
        (b'  <?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "line 1, column 3"),
        (b"<3 is not xml", "it is not well-formed XML"),
    ],
)
def test_malformed_xml_is_rejected_with_position(data: bytes, phrase: str) -> None:
    message = rejected(data)
    assert "it is not well-formed XML" in message
    assert phrase in message


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (
            make_svg("<title>Caf</title>").replace(b"Caf", b"Caf\xe9"),
            "is not saved as UTF-8 text (invalid UTF-8 at byte",
        ),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?>' + make_svg(),
            'is not saved as UTF-8 text (its XML declaration says encoding="ISO-8859-1")',
        ),
    ],
)
def test_svg_must_be_utf8(data: bytes, phrase: str) -> None:
    message = rejected(data)
    assert "The SVG file is not saved as UTF-8 text" in message
    assert phrase in message


# --- data URIs ---------------------------------------------------------------------------


def test_png_data_uri() -> None:
    data = make_png()
    assert decode_data_uri(data_uri("image/png", data)) == ("image/png", data)
    checked = check_data_uri(data_uri("image/png", data))
    assert (checked.media_type, checked.data, checked.warnings) == ("image/png", data, ())


def test_svg_data_uri() -> None:
    data = make_svg()
    checked = check_data_uri(data_uri("image/svg+xml", data))
    assert (checked.media_type, checked.data, checked.width) == ("image/svg+xml", data, 150.0)


@pytest.mark.parametrize(
    "prefix",
    [
        "DATA:IMAGE/SVG+XML;BASE64,",
        "data:image/svg+xml;charset=utf-8;base64,",
        "data:Image/Svg+Xml; charset=UTF-8 ;Base64,",
    ],
)
def test_data_uri_media_type_is_case_insensitive_and_allows_parameters(prefix: str) -> None:
    data = make_svg()
    uri = prefix + base64.b64encode(data).decode()
    assert decode_data_uri(uri) == ("image/svg+xml", data)
    assert check_data_uri(uri).media_type == "image/svg+xml"


@pytest.mark.parametrize(
    "payload",
    [
        "@@@@",
        "iVBORw0KGgo",  # missing padding
        "iVBO Rw0K",  # whitespace
        "iVBORw0K\nGgo=",
        "iVBORw0KGgo=é",
        "=AAA",
    ],
)
def test_data_uri_with_invalid_base64_is_rejected(payload: str) -> None:
    with pytest.raises(ImageError, match="does not contain valid base64 data"):
        decode_data_uri("data:image/png;base64," + payload)


@pytest.mark.parametrize(
    ("uri", "phrase"),
    [
        (data_uri("image/jpeg", make_other("JPEG")), "has media type image/jpeg"),
        (data_uri("image/gif", b"GIF89a"), "has media type image/gif"),
        ("data:text/html;base64,PHNjcmlwdD4=", "has media type text/html"),
        ("data:;base64,AAAA", "has no media type"),
        ("http://example.org/badge.png", "The image is not a data URI"),
        ("", "The image is not a data URI"),
        ("  data:image/png;base64,AAAA", "The image is not a data URI"),
        ("data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>", "not base64-encoded"),
        ("data:image/svg+xml;utf8,<svg/>", "not base64-encoded"),
        ("data:image/png;base64;x=y,AAAA", "not base64-encoded"),
        ("data:image/png;base64", "no ',' before the data"),
    ],
)
def test_bad_data_uris_are_rejected(uri: str, phrase: str) -> None:
    with pytest.raises(ImageError) as excinfo:
        decode_data_uri(uri)
    message = str(excinfo.value)
    assert phrase in message
    assert "Send it as data:image/png;base64,... or data:image/svg+xml;base64,..." in message
    with pytest.raises(ImageError):
        check_data_uri(uri)


def test_huge_data_uri_is_rejected_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_decode(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("the data must not be decoded")

    monkeypatch.setattr(base64, "b64decode", must_not_decode)
    for payload in ("A" * 1000, "!" * 1000):  # even invalid base64 is not looked at
        with pytest.raises(ImageError) as excinfo:
            decode_data_uri("data:image/png;base64," + payload, max_bytes=10)
        assert "too large (750 bytes); the maximum size is 10 bytes" in str(excinfo.value)


@pytest.mark.parametrize(("size", "ok"), [(9, True), (10, True), (11, False), (12, False)])
def test_data_uri_size_limit_uses_the_exact_decoded_size(size: int, ok: bool) -> None:
    uri = data_uri("image/png", b"x" * size)
    if ok:
        assert decode_data_uri(uri, max_bytes=10) == ("image/png", b"x" * size)
    else:
        with pytest.raises(ImageError, match="too large"):
            decode_data_uri(uri, max_bytes=10)


def test_data_uri_declared_type_must_match_content() -> None:
    uri = data_uri("image/svg+xml", make_png())
    with pytest.raises(ImageError) as excinfo:
        check_data_uri(uri)
    assert "sent as image/svg+xml, but the file is a PNG image" in str(excinfo.value)


def test_data_uri_limits_are_passed_on() -> None:
    uri = data_uri("image/png", make_png(200, 200))
    with pytest.raises(ImageError, match="too large to open safely"):
        check_data_uri(uri, max_pixels=1000)
    with pytest.raises(ImageError, match="too large"):
        check_data_uri(uri, max_bytes=50)


def test_data_uri_with_unsafe_svg_is_rejected() -> None:
    uri = data_uri("image/svg+xml", make_svg("<script>alert(1)</script>"))
    with pytest.raises(ImageError, match=r"contains a script \(<script> element\)"):
        check_data_uri(uri)


def test_empty_data_uri_is_not_an_image() -> None:
    assert decode_data_uri("data:image/png;base64,") == ("image/png", b"")
    with pytest.raises(ImageError, match="not a PNG or SVG image"):
        check_data_uri("data:image/png;base64,")


def test_image_error_is_a_value_error() -> None:
    assert issubclass(ImageError, ValueError)
