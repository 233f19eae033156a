"""Checks for uploaded badge and issuer images (Open Badges 2.0 images must be PNG or SVG).

Open Badges 2.0 only allows PNG and SVG images (they are the formats a badge can be "baked"
into).  Images come from untrusted uploads and are later served to browsers, so besides
identifying the format this module applies upload safety checks:

* the real type is sniffed from the content and must agree with any declared media type;
* a size limit on the bytes, checked before anything is decoded (also for data URIs);
* PNG files pass the checks of :mod:`issuer.openbadges.png`: a decoded pixel limit and
  decompression-bomb checks on every zlib stream, then a full decode with Pillow;
* SVG files pass the safety checks of :mod:`issuer.openbadges.svg`.

Every rejection, from those modules too, is an :class:`ImageError` with a user-facing message.
The checked bytes are never re-encoded.  Size recommendations (square, 150x150 pixels) are
reported as warnings, not errors.  Everything here works on plain values: no Flask, no database.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Final

from issuer.openbadges.png import PNG_SIGNATURE, PngError, check_png
from issuer.openbadges.svg import (
    ACCEPTED,
    SvgError,
    check_svg_content,
    looks_like_xml,
    parse_svg,
    svg_size,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "PNG_MEDIA_TYPE",
    "RECOMMENDED_SIZE",
    "SIZE_WARNINGS",
    "SVG_MEDIA_TYPE",
    "CheckedImage",
    "ImageError",
    "check_data_uri",
    "check_image",
    "decode_data_uri",
    "size_warning_texts",
]

RECOMMENDED_SIZE: Final = 150
DEFAULT_MAX_BYTES: Final = 2 * 1024 * 1024
DEFAULT_MAX_PIXELS: Final = 4096 * 4096  # decoded pixel count limit (decompression bombs)

PNG_MEDIA_TYPE: Final = "image/png"
SVG_MEDIA_TYPE: Final = "image/svg+xml"

# Advice, not errors: the image is saved anyway. Shown after saving, and by the badge form's
# script as soon as a file is chosen (issuer/static/js/badge-form.js fills in the numbers).
SIZE_WARNINGS: Final = {
    "not_square": (
        "The image is {width}x{height} pixels, so it is not square. A square image works best, "
        "ideally {size}x{size} pixels."
    ),
    "not_recommended_size": (
        "The image is {width}x{height} pixels. It can be used, but {size}x{size} pixels is the "
        "recommended size."
    ),
    "unknown_size": (
        "The image's size could not be found: the SVG file gives no width and height in pixels "
        "and no viewBox. A square image works best, ideally {size}x{size} pixels."
    ),
}

# Media types that mean "no particular type" rather than a claim about the content.
_UNSPECIFIC_TYPES: Final = frozenset({"", "application/octet-stream"})


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
    if data.startswith(PNG_SIGNATURE):
        _check_declared(declared, declared_type, PNG_MEDIA_TYPE)
        try:
            width, height = check_png(data, max_pixels, recommended_size=RECOMMENDED_SIZE)
        except PngError as error:
            raise ImageError(str(error)) from None
        return _checked(data, PNG_MEDIA_TYPE, float(width), float(height))
    if looks_like_xml(data):
        try:
            root = parse_svg(data)
            _check_declared(declared, declared_type, SVG_MEDIA_TYPE)
            check_svg_content(root)
        except SvgError as error:
            raise ImageError(str(error)) from None
        svg_width, svg_height = svg_size(root)
        return _checked(data, SVG_MEDIA_TYPE, svg_width, svg_height)
    raise ImageError(f"This file is not a PNG or SVG image{_describe_other(data)}. {ACCEPTED}")


def decode_data_uri(uri: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, bytes]:
    """Decode a base64 PNG or SVG data URI into (declared media type, bytes), size-checked first."""
    accepted = "Send it as data:image/png;base64,... or data:image/svg+xml;base64,..."
    if uri[:5].lower() != "data:":
        raise ImageError(f"The image is not a data URI. {accepted}")
    comma = uri.find(",")
    if comma < 0:
        raise ImageError(f"The image is not a valid data URI (no ',' before the data). {accepted}")
    parameters = [part.strip() for part in uri[5:comma].split(";")]
    media_type = parameters[0].lower()
    if len(parameters) < 2 or parameters[-1].lower() != "base64":
        raise ImageError(f"The image data URI is not base64-encoded (no ';base64'). {accepted}")
    if media_type not in (PNG_MEDIA_TYPE, SVG_MEDIA_TYPE):
        shown = f"media type {_shorten(media_type)}" if media_type else "no media type"
        raise ImageError(
            f"The image data URI has {shown}, but only PNG and SVG images can be used. {accepted}"
        )
    payload = uri[comma + 1 :]
    # The decoded size follows from the length: never decode a string that is too big.
    padding = 2 if payload.endswith("==") else 1 if payload.endswith("=") else 0
    _check_size(len(payload) * 3 // 4 - padding, max_bytes)
    try:
        data = base64.b64decode(payload, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII characters
        raise ImageError(
            "The image data URI does not contain valid base64 data (only A-Z, a-z, 0-9, '+', '/' "
            "and '=' padding, without whitespace)."
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
        raise ImageError(
            f"The image file is too large ({actual}); the maximum size is {limit}. Make it "
            f"smaller (a {RECOMMENDED_SIZE}x{RECOMMENDED_SIZE} PNG is usually far below that) "
            f"and upload it again."
        )


def _format_bytes(size: int) -> str:
    if size < 1024:
        return "1 byte" if size == 1 else f"{size} bytes"
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2)):
        if size >= factor:
            return f"{_format_number(round(size / factor, 1))} {unit}"
    return f"{_format_number(round(size / 1024, 1))} KiB"


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
            f"The image was sent as {shown}, but the file is {kind} image. Send it with the type "
            f"that matches its content ({actual})."
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


def size_warning_texts() -> dict[str, str]:
    """The size warnings with the recommended size filled in and ``{width}`` and ``{height}``
    left to fill: the badge form's script shows the very same words before saving."""
    return {
        kind: text.format(width="{width}", height="{height}", size=RECOMMENDED_SIZE)
        for kind, text in SIZE_WARNINGS.items()
    }


def _size_warnings(width: float | None, height: float | None) -> tuple[str, ...]:
    size = RECOMMENDED_SIZE
    if width is None or height is None:
        return (SIZE_WARNINGS["unknown_size"].format(size=size),)
    shown = {"width": _format_number(width), "height": _format_number(height), "size": size}
    if width != height:
        return (SIZE_WARNINGS["not_square"].format(**shown),)
    if width != size:
        return (SIZE_WARNINGS["not_recommended_size"].format(**shown),)
    return ()
