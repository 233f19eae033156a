"""Checks for uploaded badge and issuer images (Open Badges 2.0 images must be PNG or SVG).

Open Badges 2.0 only allows PNG and SVG images (they are the formats a badge can be "baked"
into).  Images come from untrusted uploads and are later served to browsers, so besides
identifying the format this module applies upload safety checks:

* the real type is sniffed from the content and must agree with any declared media type;
* a size limit on the bytes, and a decoded pixel limit for PNG (decompression bombs), checked
  from the header before anything is decoded;
* PNG files are fully decoded and verified with Pillow to reject corrupt or truncated files;
* SVG files are parsed with defusedxml (no DTDs or entities) and rejected when they contain
  scripts, event handlers, ``<foreignObject>``, style sheet processing instructions, or
  references to anything outside the document other than embedded raster data URIs.

The checked bytes are never re-encoded.  Size recommendations (square, 150x150 pixels) are
reported as warnings, not errors.  Everything here works on plain values: no Flask, no database.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers.expat import ErrorString

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError
from PIL import Image

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "PNG_MEDIA_TYPE",
    "RECOMMENDED_SIZE",
    "SVG_MEDIA_TYPE",
    "CheckedImage",
    "ImageError",
    "check_data_uri",
    "check_image",
    "decode_data_uri",
]

RECOMMENDED_SIZE: Final = 150
DEFAULT_MAX_BYTES: Final = 2 * 1024 * 1024
DEFAULT_MAX_PIXELS: Final = 4096 * 4096  # decoded pixel count limit (decompression bombs)

PNG_MEDIA_TYPE: Final = "image/png"
SVG_MEDIA_TYPE: Final = "image/svg+xml"

_ACCEPTED: Final = "only PNG (image/png) and SVG (image/svg+xml) images are accepted"
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_SVG_NS: Final = "http://www.w3.org/2000/svg"
_SVG_ROOT: Final = "{" + _SVG_NS + "}svg"
_NAMESPACE_PREFIXES: Final = {
    "http://www.w3.org/1999/xlink": "xlink",
    "http://www.w3.org/XML/1998/namespace": "xml",
}
# Media types that mean "no particular type" rather than a claim about the content.
_UNSPECIFIC_TYPES: Final = frozenset({"", "application/octet-stream"})
# Embedded raster images are inert; SVG data URIs could smuggle in scripts, so are not allowed.
_ALLOWED_DATA_PREFIXES: Final = (
    "data:image/png;base64,",
    "data:image/jpeg;base64,",
    "data:image/gif;base64,",
    "data:image/webp;base64,",
)
_ALLOWED_REFERENCES: Final = (
    "only same-document references (#id) and embedded PNG, JPEG, GIF or WebP "
    "base64 data URIs are allowed"
)
_SCRIPT_ELEMENTS: Final = frozenset({"script", "handler"})  # <handler>: SVG Tiny 1.2 scripts
_ANIMATION_ELEMENTS: Final = frozenset(
    {"animate", "set", "animatecolor", "animatemotion", "animatetransform"}
)
_REFERENCE_ATTRIBUTES: Final = frozenset({"href", "src"})
_UTF8_NAMES: Final = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
_SVG_LENGTH = re.compile(r"^\s*([+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?:px)?\s*$", re.I)
_VIEWBOX_SEPARATOR = re.compile(r"[\s,]+")
_URL_WHITESPACE = re.compile(r"[\t\n\f\r ]+")
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\f]?|\r\n[ \t\n\f]?|(.))", re.DOTALL)
_CSS_URL = re.compile(r"url\(", re.I)
_CSS_IMPORT = re.compile(r"@import", re.I)
_CSS_IMAGE_SET = re.compile(r"image-set\(", re.I)


class ImageError(ValueError):
    """An image was rejected.

    str(error) is a clear, user-facing message (no stack traces, no internals).
    """


@dataclass(frozen=True)
class CheckedImage:
    """An image that passed the checks, with its real media type, size and any warnings."""

    data: bytes = field(repr=False)  # the exact bytes (never re-encoded)
    media_type: str  # "image/png" or "image/svg+xml"
    width: float | None  # pixels; None if unknown
    height: float | None
    warnings: tuple[str, ...]  # e.g. non-square or not 150x150


def check_image(
    data: bytes,
    *,
    declared_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> CheckedImage:
    """Check that data is a safe PNG or SVG image matching declared_type (if given)."""
    _check_size(len(data), max_bytes)
    declared = _normalise_media_type(declared_type)
    if data.startswith(_PNG_SIGNATURE):
        _check_declared(declared, declared_type, PNG_MEDIA_TYPE)
        width, height = _check_png(data, max_pixels)
        return _checked(data, PNG_MEDIA_TYPE, float(width), float(height))
    if _looks_like_xml(data):
        root = _parse_svg(data)
        _check_declared(declared, declared_type, SVG_MEDIA_TYPE)
        _check_svg_content(root)
        svg_width, svg_height = _svg_size(root)
        return _checked(data, SVG_MEDIA_TYPE, svg_width, svg_height)
    raise ImageError(f"the file is not a PNG or SVG image{_describe_other(data)}; {_ACCEPTED}")


def decode_data_uri(uri: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, bytes]:
    """Decode a base64 PNG or SVG data URI into (declared media type, bytes), size-checked first."""
    accepted = (
        "only data:image/png;base64,... and data:image/svg+xml;base64,... data URIs are accepted"
    )
    if uri[:5].lower() != "data:":
        raise ImageError(f"the image is not a data URI; {accepted}")
    comma = uri.find(",")
    if comma < 0:
        raise ImageError(f"the image is not a valid data URI (no ',' before the data); {accepted}")
    parameters = [part.strip() for part in uri[5:comma].split(";")]
    media_type = parameters[0].lower()
    if len(parameters) < 2 or parameters[-1].lower() != "base64":
        raise ImageError(f"the image data URI is not base64-encoded (no ';base64'); {accepted}")
    if media_type not in (PNG_MEDIA_TYPE, SVG_MEDIA_TYPE):
        shown = f"media type {_shorten(media_type)}" if media_type else "no media type"
        raise ImageError(f"the image data URI has {shown}; {accepted}")
    payload = uri[comma + 1 :]
    # The decoded size follows from the length: never decode a string that is too big.
    padding = 2 if payload.endswith("==") else 1 if payload.endswith("=") else 0
    _check_size(len(payload) * 3 // 4 - padding, max_bytes)
    try:
        data = base64.b64decode(payload, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII characters
        raise ImageError(
            "the image data URI does not contain valid base64 data "
            "(only A-Z, a-z, 0-9, '+', '/' and '=' padding, without whitespace)"
        ) from None
    return media_type, data


def check_data_uri(
    uri: str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> CheckedImage:
    """Decode a PNG or SVG base64 data URI and check the image (see check_image)."""
    media_type, data = decode_data_uri(uri, max_bytes=max_bytes)
    return check_image(data, declared_type=media_type, max_bytes=max_bytes, max_pixels=max_pixels)


# --- common -------------------------------------------------------------------------------


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        actual, limit = _format_bytes(size), _format_bytes(max_bytes)
        if actual == limit:  # rounded to the same value: show the exact sizes
            actual, limit = f"{size:,} bytes", f"{limit} ({max_bytes:,} bytes)"
        raise ImageError(f"the image is too large ({actual}); the maximum size is {limit}")


def _format_bytes(size: int) -> str:
    if size < 1024:
        return "1 byte" if size == 1 else f"{size} bytes"
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            return f"{_format_number(round(size / factor, 1))} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def _format_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _normalise_media_type(media_type: str | None) -> str | None:
    if media_type is None:
        return None
    normalised = media_type.split(";", 1)[0].strip().lower()
    return None if normalised in _UNSPECIFIC_TYPES else normalised


def _check_declared(declared: str | None, original: str | None, actual: str) -> None:
    if declared is not None and declared != actual:
        kind = "a PNG" if actual == PNG_MEDIA_TYPE else "an SVG"
        shown = _shorten((original or declared).strip())
        raise ImageError(
            f"the image was declared {shown} but the content is {kind} image; "
            f"the declared type must match the content ({actual})"
        )


def _describe_other(data: bytes) -> str:
    if not data:
        return " (the file is empty)"
    signatures: tuple[tuple[bytes, str], ...] = (
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"%PDF-", "a PDF document"),
        (b"\x1f\x8b", "gzip-compressed (upload an uncompressed .svg file)"),
        (b"\xff\xfe", "UTF-16 text (save SVG files as UTF-8)"),
        (b"\xfe\xff", "UTF-16 text (save SVG files as UTF-8)"),
    )
    for signature, description in signatures:
        if data.startswith(signature):
            return f" (it is {description})"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return " (it is a WebP image)"
    return ""


def _checked(
    data: bytes, media_type: str, width: float | None, height: float | None
) -> CheckedImage:
    return CheckedImage(data, media_type, width, height, _size_warnings(width, height))


def _size_warnings(width: float | None, height: float | None) -> tuple[str, ...]:
    size = RECOMMENDED_SIZE
    if width is None or height is None:
        return (
            f"the image size could not be determined (no width and height in pixels and no "
            f"viewBox); a square image of {size}x{size} pixels is recommended",
        )
    shown = f"{_format_number(width)}x{_format_number(height)}"
    if width != height:
        return (
            f"the image is {shown} pixels; a square image is recommended "
            f"(ideally {size}x{size} pixels)",
        )
    if width != size:
        return (f"the image is {shown} pixels; {size}x{size} pixels is the recommended size",)
    return ()


# --- PNG ----------------------------------------------------------------------------------


def _check_png(data: bytes, max_pixels: int) -> tuple[int, int]:
    corrupt = "the PNG file is corrupt or truncated"
    # The first chunk must be IHDR: length 13, type, width, height, ... and a CRC.
    if len(data) < 33 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        raise ImageError(f"{corrupt} (it does not start with a valid IHDR header)")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise ImageError(f"{corrupt} (the header gives a size of {width}x{height} pixels)")
    _check_pixels(width, height, max_pixels)
    _check_png_chunks(data, corrupt)
    # Pillow warns (or raises) for images above its own global limit; only when that can happen,
    # turn the warning into an error locally (warning filters are process-wide state).
    pillow_limit = Image.MAX_IMAGE_PIXELS
    may_warn = pillow_limit is not None and width * height > pillow_limit
    try:
        with warnings.catch_warnings() if may_warn else contextlib.nullcontext():
            if may_warn:
                warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                image.verify()  # chunk structure and CRCs, without decoding
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                image.load()  # full decode: catches truncated or corrupt pixel data
                decoded_size = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(_too_large(width, height, pillow_limit or max_pixels)) from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, struct.error, Warning):
        # Warnings only get here when the warning filters turn them into errors.
        raise ImageError(corrupt) from None
    if decoded_size != (width, height):  # pragma: no cover - Pillow reads the same header
        raise ImageError(corrupt)
    return width, height


def _check_png_chunks(data: bytes, corrupt: str) -> None:
    """Walk the chunks: every CRC must match and the file must end with the IEND chunk."""
    # (Pillow does not check the IEND chunk, nor anything after it.)
    position, end = len(_PNG_SIGNATURE), len(data)
    while position + 12 <= end:
        length, chunk_type = struct.unpack(">I4s", data[position : position + 8])
        data_end = position + 8 + length
        if data_end + 4 > end:
            break
        (crc,) = struct.unpack(">I", data[data_end : data_end + 4])
        if zlib.crc32(data[position + 4 : data_end]) != crc:
            raise ImageError(f"{corrupt} (bad checksum in the {_chunk_name(chunk_type)} chunk)")
        position = data_end + 4
        if chunk_type == b"IEND":
            if position != end:
                raise ImageError(f"{corrupt} (there is unexpected data after the end of the image)")
            return
    raise ImageError(f"{corrupt} (the file ends before the end of the image)")


def _chunk_name(chunk_type: bytes) -> str:
    name = chunk_type.decode("ascii", "replace")
    return name if name.isalpha() else "damaged"


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageError(_too_large(width, height, max_pixels))


def _too_large(width: int, height: int, max_pixels: int) -> str:
    return (
        f"the PNG image is too large to decode safely: {width}x{height} pixels "
        f"({width * height:,} pixels) is more than the limit of {max_pixels:,} pixels "
        f"(a possible decompression bomb); {RECOMMENDED_SIZE}x{RECOMMENDED_SIZE} pixels "
        f"is the recommended size"
    )


# --- SVG: parsing -------------------------------------------------------------------------


class _SvgTreeBuilder(TreeBuilder):
    """A TreeBuilder that also records every processing instruction, even outside the root."""

    def __init__(self) -> None:
        super().__init__(insert_pis=True)
        self.processing_instructions: list[str] = []

    def pi(self, target: str, text: str | None = None, /) -> Element[Any]:
        self.processing_instructions.append(target)
        return super().pi(target, text)


def _looks_like_xml(data: bytes) -> bool:
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    return data.lstrip(b" \t\r\n").startswith(b"<")


def _parse_svg(data: bytes) -> Element[Any]:
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ImageError(
            f"SVG images must be UTF-8 encoded (invalid UTF-8 at byte {error.start})"
        ) from None
    declared_encoding = _XML_ENCODING.match(body)
    if declared_encoding and declared_encoding.group(1).decode("ascii", "replace").lower() not in (
        _UTF8_NAMES
    ):
        shown = _shorten(declared_encoding.group(1).decode("ascii", "replace"))
        raise ImageError(
            f'SVG images must be UTF-8 encoded (the XML declaration says encoding="{shown}")'
        )
    builder = _SvgTreeBuilder()
    parser = DefusedXMLParser(
        target=builder,
        encoding="utf-8",
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    try:
        parser.feed(data)
        root: Element[Any] = parser.close()
    except DTDForbidden as error:
        if (error.name or "").lower() == "html":
            raise ImageError(
                f"the file is not a PNG or SVG image (it is an HTML document); {_ACCEPTED}"
            ) from None
        raise ImageError(
            f"SVG images must not contain DTD or entity declarations (<!DOCTYPE {error.name}>); "
            "remove the DOCTYPE and any <!ENTITY> declarations"
        ) from None
    except (EntitiesForbidden, ExternalReferenceForbidden):  # pragma: no cover - DTD first
        raise ImageError(
            "SVG images must not contain DTD or entity declarations or external entities"
        ) from None
    except ParseError as error:
        line, column = error.position
        raise ImageError(
            f"the SVG image is not well-formed XML ({ErrorString(error.code)} at line {line}, "
            f"column {column + 1})"
        ) from None
    if root.tag != _SVG_ROOT:
        if root.tag == "svg":
            raise ImageError(
                "the file is not a valid SVG image: the <svg> root element has no SVG namespace "
                f'(add xmlns="{_SVG_NS}")'
            )
        raise ImageError(
            "the file is not a PNG or SVG image (it is an XML document whose root element is "
            f"<{_shorten(_local_name(root.tag))}>, not <svg>); {_ACCEPTED}"
        )
    for target in builder.processing_instructions:
        if target.lower() == "xml-stylesheet":
            raise ImageError(
                "SVG images must not load style sheets (<?xml-stylesheet?> processing "
                "instruction); put the styles in a <style> element"
            )
    return root


# --- SVG: safety checks -------------------------------------------------------------------


def _local_name(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _display_attribute(name: str) -> str:
    if name.startswith("{"):
        namespace, local = name[1:].split("}", 1)
        prefix = _NAMESPACE_PREFIXES.get(namespace)
        return f"{prefix}:{local}" if prefix else local
    return name


def _elements(root: Element[Any]) -> Iterator[tuple[Element[Any], str]]:
    for element in root.iter():
        if isinstance(element.tag, str):  # skip processing instructions inserted in the tree
            yield element, _local_name(element.tag)


def _check_svg_content(root: Element[Any]) -> None:
    for element, name in _elements(root):
        lowered = name.lower()
        if lowered in _SCRIPT_ELEMENTS:
            raise ImageError(f"SVG images must not contain scripts (<{name}> element)")
        if lowered == "foreignobject":
            raise ImageError(
                f"SVG images must not contain HTML or other foreign content (<{name}> element)"
            )
        for attribute, value in element.attrib.items():
            _check_attribute(name, lowered, attribute, value)
        if lowered == "style":
            _check_css("".join(element.itertext()), f"in <{name}>")


def _check_attribute(element: str, lowered_element: str, attribute: str, value: str) -> None:
    local = _local_name(attribute).lower()
    shown = _display_attribute(attribute)
    if local.startswith("on"):
        raise ImageError(
            f"SVG images must not contain event handler attributes ({shown} on <{element}>)"
        )
    if local in _REFERENCE_ATTRIBUTES:
        if not _is_allowed_reference(value):
            raise ImageError(
                f'SVG images must not reference external resources ({shown}="{_shorten(value)}" '
                f"on <{element}>); {_ALLOWED_REFERENCES}"
            )
        return
    if local == "attributename" and lowered_element in _ANIMATION_ELEMENTS:
        target = value.strip().rsplit(":", 1)[-1].lower()
        if target in _REFERENCE_ATTRIBUTES or target.startswith("on"):
            raise ImageError(
                f'SVG images must not animate links or event handlers (attributeName="'
                f'{_shorten(value)}" on <{element}>)'
            )
    # Styles and presentation attributes (fill="url(...)", ...) are CSS.
    if any(marker in value for marker in "(@\\"):
        _check_css(value, f"in the {shown} attribute of <{element}>")


def _is_allowed_reference(value: str) -> bool:
    # Browsers ignore tabs and newlines in URLs (and strip spaces at the ends).
    compact = _URL_WHITESPACE.sub("", value)
    if compact == "" or compact.startswith("#"):
        return True
    return compact.lower().startswith(_ALLOWED_DATA_PREFIXES)


def _check_css(css: str, where: str) -> None:
    css = _CSS_ESCAPE.sub(_css_unescape, css) if "\\" in css else css
    if _CSS_IMPORT.search(css):
        raise ImageError(f"SVG images must not import external style sheets (@import {where})")
    if _CSS_IMAGE_SET.search(css):
        raise ImageError(
            f"SVG images must not reference external resources (image-set() {where}); "
            f"{_ALLOWED_REFERENCES}"
        )
    for match in _CSS_URL.finditer(css):
        reference = _css_url_value(css, match.end())
        if not _is_allowed_reference(reference):
            raise ImageError(
                f"SVG images must not reference external resources (url({_shorten(reference)}) "
                f"{where}); {_ALLOWED_REFERENCES}"
            )


def _css_unescape(match: re.Match[str]) -> str:
    hex_digits, character = match.group(1), match.group(2)
    if hex_digits is not None:
        code_point = int(hex_digits, 16)
        if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
            return "\ufffd"
        return chr(code_point)
    return character or ""  # an escaped newline is a line continuation in strings


def _css_url_value(css: str, start: int) -> str:
    rest = css[start:].lstrip(" \t\r\n\f")
    if rest[:1] in ("'", '"'):
        end = rest.find(rest[0], 1)
        return rest[1:end] if end >= 0 else rest[1:]
    end = rest.find(")")
    return (rest[:end] if end >= 0 else rest).strip(" \t\r\n\f")


# --- SVG: size ----------------------------------------------------------------------------


def _svg_size(root: Element[Any]) -> tuple[float | None, float | None]:
    width = _svg_length(root.get("width"))
    height = _svg_length(root.get("height"))
    if width is not None and height is not None:
        return width, height
    view_box = root.get("viewBox")
    if view_box is not None:
        parts = _VIEWBOX_SEPARATOR.split(view_box.strip())
        if len(parts) == 4:
            try:
                box_width, box_height = float(parts[2]), float(parts[3])
            except ValueError:
                return None, None
            if _is_positive(box_width) and _is_positive(box_height):
                return box_width, box_height
    return None, None


def _svg_length(value: str | None) -> float | None:
    if value is None:
        return None
    match = _SVG_LENGTH.match(value)
    if match is None:
        return None
    length = float(match.group(1))
    return length if _is_positive(length) else None


def _is_positive(value: float) -> bool:
    return math.isfinite(value) and value > 0
