"""Unit tests for issuer.openbadges.images: PNG/SVG detection, safety checks and data URIs."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import time
import warnings
import zlib

import pytest
from PIL import Image

from issuer.openbadges.images import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    RECOMMENDED_SIZE,
    CheckedImage,
    ImageError,
    check_data_uri,
    check_image,
    decode_data_uri,
)

SVG_NS = "http://www.w3.org/2000/svg"
SQUARE = "a square image is recommended (ideally 150x150 pixels)"
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
        ((300, 200), f"the image is 300x200 pixels; {SQUARE}"),
        ((100, 150), f"the image is 100x150 pixels; {SQUARE}"),
        ((512, 512), "the image is 512x512 pixels; 150x150 pixels is the recommended size"),
        ((1, 1), "the image is 1x1 pixels; 150x150 pixels is the recommended size"),
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
        ('viewBox="0,0,300,200"', (300, 200), "the image is 300x200 pixels; a square image"),
        ('width="2in" height="2in" viewBox="0 0 512 512"', (512, 512), "512x512 pixels; 150x150"),
        ('width="150.5" height="150.5"', (150.5, 150.5), "the image is 150.5x150.5 pixels;"),
        ('width="300" viewBox="-10 -10 64 64"', (64, 64), "the image is 64x64 pixels;"),
        ('width="2in" height="2in"', (None, None), "could not be determined"),
        ("", (None, None), "could not be determined"),
        ('width="0" height="0"', (None, None), "could not be determined"),
        ('viewBox="0 0 -1 5"', (None, None), "could not be determined"),
        ('viewBox="0 0 big 5"', (None, None), "could not be determined"),
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
        (b"hello world, this is text", "not a PNG or SVG image;"),
        (b"", "(the file is empty)"),
        (b"   \n", "not a PNG or SVG image;"),
        (b"%PDF-1.7\n...", "(it is a PDF document)"),
        (zlib.compress(b"<svg/>", wbits=31), "gzip-compressed"),
        ('<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16"), "UTF-8"),
        (b"\x89PNX\r\n\x1a\n" + b"\x00" * 40, "not a PNG or SVG image;"),
    ],
)
def test_other_formats_are_rejected(data: bytes, detail: str) -> None:
    message = rejected(data)
    assert "not a PNG or SVG image" in message
    assert detail in message
    assert "only PNG (image/png) and SVG (image/svg+xml) images are accepted" in message


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
        (make_png(), "image/svg+xml", "declared image/svg+xml but the content is a PNG image"),
        (make_svg(), "image/png", "declared image/png but the content is an SVG image"),
        (make_png(), "image/jpeg", "declared image/jpeg but the content is a PNG image"),
        (make_svg(), "text/xml", "declared text/xml but the content is an SVG image"),
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
    assert "the PNG file is corrupt or truncated" in rejected(data[:cut])


def test_bad_crc_is_rejected() -> None:
    data = bytearray(make_png(noisy=True))
    position = data.index(b"IDAT") + 100
    data[position] ^= 0xFF
    message = rejected(bytes(data))
    assert "the PNG file is corrupt or truncated" in message
    assert "bad checksum in the IDAT chunk" in message


def test_garbage_after_header_is_rejected() -> None:
    header = make_png()[:33]
    garbage = hashlib.shake_256(b"garbage").digest(500)
    assert "the PNG file is corrupt or truncated" in rejected(header + garbage)


@pytest.mark.parametrize(
    "idat",
    [
        b"this is not zlib data at all",
        zlib.compress(b"\x00" * 10),  # far too little pixel data for 150x150
    ],
)
def test_undecodable_pixel_data_with_valid_checksums_is_rejected(idat: bytes) -> None:
    message = rejected(handmade_png(150, 150, idat))
    assert message == "the PNG file is corrupt or truncated"


def test_data_after_the_end_chunk_is_rejected() -> None:
    message = rejected(make_png() + b"<script>alert(1)</script>")
    assert "the PNG file is corrupt or truncated" in message
    assert "after the end of the image" in message


@pytest.mark.parametrize("size", [(0, 150), (150, 0)])
def test_zero_size_png_is_rejected(size: tuple[int, int]) -> None:
    assert "the PNG file is corrupt or truncated" in rejected(handmade_png(*size))


def test_png_without_ihdr_first_is_rejected() -> None:
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IEND", b"") + b"\x00" * 30
    assert "IHDR" in rejected(data)


# --- decompression bombs -----------------------------------------------------------------


def test_decompression_bomb_header_is_rejected_before_decoding() -> None:
    data = handmade_png(100_000, 100_000)
    assert len(data) < 100
    message = rejected(data)
    assert "too large to decode safely" in message
    assert "100000x100000 pixels" in message
    assert "decompression bomb" in message
    assert f"{DEFAULT_MAX_PIXELS:,} pixels" in message


def test_real_image_over_max_pixels_is_rejected() -> None:
    data = make_png(200, 200)
    message = rejected(data, max_pixels=10_000)
    assert "too large to decode safely" in message
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
    assert "too large to decode safely" in message
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


# --- unsafe SVG --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (
            make_svg("<script>alert(1)</script>"),
            "SVG images must not contain scripts (<script> element)",
        ),
        (
            make_svg('<g><h:script xmlns:h="http://www.w3.org/1999/xhtml">x()</h:script></g>'),
            "SVG images must not contain scripts (<script> element)",
        ),
        (
            make_svg('<script xlink:href="#local"/>'),
            "SVG images must not contain scripts (<script> element)",
        ),
        (
            make_svg('<handler type="application/ecmascript">x()</handler>'),
            "SVG images must not contain scripts (<handler> element)",
        ),
        (
            make_svg("", 'width="150" height="150" onload="alert(1)"'),
            "SVG images must not contain event handler attributes (onload on <svg>)",
        ),
        (
            make_svg('<g><rect width="5" height="5" onclick="steal()"/></g>'),
            "SVG images must not contain event handler attributes (onclick on <rect>)",
        ),
        (
            make_svg('<g><rect ONMOUSEOVER="steal()"/></g>'),
            "SVG images must not contain event handler attributes (ONMOUSEOVER on <rect>)",
        ),
        (
            make_svg('<image xlink:href="http://evil.example/x.png"/>'),
            'SVG images must not reference external resources (xlink:href="http://evil.example/'
            'x.png" on <image>)',
        ),
        (
            make_svg('<image href="http://evil.example/x.png"/>'),
            'SVG images must not reference external resources (href="http://evil.example/x.png"'
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
        (make_svg('<image href="data:text/html,&lt;script&gt;"/>'), "external resources"),
        (make_svg('<image href="data:image/png,rawbytes"/>'), "external resources"),
        (
            make_svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"/></foreignObject>'),
            "SVG images must not contain HTML or other foreign content (<foreignObject> element)",
        ),
        (
            make_svg("<style>rect { fill: url(http://evil.example/bg.png) }</style>"),
            "SVG images must not reference external resources (url(http://evil.example/bg.png)"
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
            "external resources (image-set() in <style>)",
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
            "SVG images must not import external style sheets (@import in <style>)",
        ),
        (
            make_svg("<style>@IMPORT url(#x);</style>"),
            "SVG images must not import external style sheets (@import in <style>)",
        ),
        (
            make_svg('<rect style="@import url(x.css)"/>'),
            "(@import in the style attribute of <rect>)",
        ),
        (
            make_svg('<a href="#x"><set attributeName="href" to="javascript:alert(1)"/></a>'),
            'SVG images must not animate links or event handlers (attributeName="href" on <set>)',
        ),
        (
            make_svg('<a href="#x"><animate attributeName="xlink:href" values="#a;http://x"/></a>'),
            '(attributeName="xlink:href" on <animate>)',
        ),
        (
            b'<?xml version="1.0"?>\n<?xml-stylesheet type="text/css" href="https://evil.example/'
            b'x.css"?>\n' + make_svg(),
            "SVG images must not load style sheets (<?xml-stylesheet?> processing instruction)",
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
    assert "SVG images must not contain DTD or entity declarations (<!DOCTYPE svg>)" in message
    assert "remove the DOCTYPE" in message


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
        (b"<3 is not xml", "the SVG image is not well-formed XML"),
    ],
)
def test_malformed_xml_is_rejected_with_position(data: bytes, phrase: str) -> None:
    message = rejected(data)
    assert "the SVG image is not well-formed XML" in message
    assert phrase in message


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (
            make_svg("<title>Caf</title>").replace(b"Caf", b"Caf\xe9"),
            "must be UTF-8 encoded (invalid UTF-8 at byte",
        ),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?>' + make_svg(),
            'must be UTF-8 encoded (the XML declaration says encoding="ISO-8859-1")',
        ),
    ],
)
def test_svg_must_be_utf8(data: bytes, phrase: str) -> None:
    message = rejected(data)
    assert "SVG images must be UTF-8 encoded" in message
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
        ("http://example.org/badge.png", "the image is not a data URI"),
        ("", "the image is not a data URI"),
        ("  data:image/png;base64,AAAA", "the image is not a data URI"),
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
    assert "data:image/png;base64,... and data:image/svg+xml;base64,..." in message
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
    assert "declared image/svg+xml but the content is a PNG image" in str(excinfo.value)


def test_data_uri_limits_are_passed_on() -> None:
    uri = data_uri("image/png", make_png(200, 200))
    with pytest.raises(ImageError, match="too large to decode safely"):
        check_data_uri(uri, max_pixels=1000)
    with pytest.raises(ImageError, match="too large"):
        check_data_uri(uri, max_bytes=50)


def test_data_uri_with_unsafe_svg_is_rejected() -> None:
    uri = data_uri("image/svg+xml", make_svg("<script>alert(1)</script>"))
    with pytest.raises(ImageError, match=r"must not contain scripts \(<script> element\)"):
        check_data_uri(uri)


def test_empty_data_uri_is_not_an_image() -> None:
    assert decode_data_uri("data:image/png;base64,") == ("image/png", b"")
    with pytest.raises(ImageError, match="not a PNG or SVG image"):
        check_data_uri("data:image/png;base64,")


def test_image_error_is_a_value_error() -> None:
    assert issubclass(ImageError, ValueError)
