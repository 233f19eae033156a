"""Safety checks for uploaded PNG images, which are decoded by the server and by browsers.

A PNG file is small, but what it decompresses to is not: a few KiB of zlib data can inflate to
gigabytes (a decompression bomb), in this server when Pillow decodes it and later in whatever
displays the stored badge.  So, before Pillow sees the file, and without keeping any output:

* the header must give a size within a decoded pixel limit and a layout the PNG spec defines;
* the chunk structure must be intact (every CRC, the IEND chunk at the very end);
* the IDAT pixel data, and each APNG frame, must inflate to (about) what the image needs, and the
  frames of an animation together must stay within the pixel limit;
* the zTXt, iCCP and compressed iTXt chunks must inflate to no more than a small metadata budget.

Then the file is fully decoded and verified with Pillow, to reject corrupt or truncated files.
Errors are :class:`PngError` with user-facing messages.  Plain values only.
"""

from __future__ import annotations

import contextlib
import io
import struct
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from PIL import Image

__all__ = ["PNG_SIGNATURE", "PngError", "check_png"]

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

# Valid bit depths for each PNG colour type, and its samples per pixel (PNG spec, IHDR table).
_BIT_DEPTHS: Final = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_CHANNELS: Final = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 passes: (first column, first row, column step, row step).
_ADAM7: Final = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
# Per the spec, the zlib stream of the pixel data inflates to exactly what the image needs and
# ends there.  But libpng only warns about more ("Too much image data") and about bytes after
# the end of the stream ("Extra compressed data"), Pillow ignores both, and real encoders have
# written such stray bytes (image-rs once added one after the stream).  Refusing any excess
# would refuse images that browsers show, for no safety gain: the danger is the amount.  So at
# most this much of either is allowed, which bounds what any reader inflates to the need + 1 KiB.
_PIXEL_DATA_SLACK: Final = 1024
# zTXt, iCCP and compressed iTXt chunks together may inflate to at most this much.  A total,
# not a per-chunk limit: a reader inflates them all, and a 2 MiB file holds thousands of chunks.
# Real text and colour profiles are a few KiB (an sRGB profile is 3 KiB).
_MAX_METADATA_MIB: Final = 1
_MAX_METADATA_BYTES: Final = _MAX_METADATA_MIB * 1024 * 1024
_METADATA_CHUNKS: Final = frozenset({b"zTXt", b"iCCP", b"iTXt"})
# Inflate at most this much output, from at most this much input, per zlib call: bounded memory
# (zlib copies the unconsumed input on every call, so the input is fed in slices too).
_INFLATE_OUTPUT_STEP: Final = 256 * 1024
_INFLATE_INPUT_STEP: Final = 64 * 1024


class PngError(ValueError):
    """A PNG image is corrupt or unsafe to decode; str(error) is a user-facing message."""


_REDO = "Open it in an image editor, export it again as PNG, and upload the new file."
_UNSAFE = "The PNG file is not safe to open: "


def _damaged(detail: str | None = None) -> PngError:
    """The error for a damaged file: what it means for people first, the technical detail last."""
    message = f"The PNG file is damaged or incomplete, so it cannot be used. {_REDO}"
    return PngError(message if detail is None else f"{message} (Details: {detail}.)")


@dataclass(frozen=True)
class _PngHeader:
    """What the IHDR chunk says about the layout of the pixel data."""

    width: int
    height: int
    bits_per_pixel: int
    interlaced: bool

    def filtered_size(self, width: int, height: int) -> int:
        """The exact inflated size of the pixel data of a width x height image (or frame)."""
        passes = _ADAM7 if self.interlaced else ((0, 0, 1, 1),)
        size = 0
        for first_column, first_row, column_step, row_step in passes:
            columns = -(-max(width - first_column, 0) // column_step)
            rows = -(-max(height - first_row, 0) // row_step)
            if columns and rows:  # an empty pass has no rows at all, not even filter bytes
                size += rows * (1 + -(-columns * self.bits_per_pixel // 8))
        return size


def check_png(data: bytes, max_pixels: int, *, recommended_size: int) -> tuple[int, int]:
    """Check that PNG data is intact and safe to decode; return its (width, height) in pixels."""
    # The first chunk must be IHDR: length 13, type, width, height, ... and a CRC.
    if len(data) < 33 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        raise _damaged("it does not start with a valid IHDR header")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise _damaged(f"the header gives a size of {width}x{height} pixels")
    _check_pixels(width, height, max_pixels, recommended_size)
    chunks = _png_chunks(data)
    header = _png_header(data)
    # Before Pillow, which stops inflating once it has the pixels: the rest of a bomb would
    # only go off in whatever decodes the stored image later.
    _check_image_data(chunks, header)
    _check_animation(chunks, header, max_pixels)
    _check_metadata(chunks)
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
        raise PngError(
            _too_large(width, height, pillow_limit or max_pixels, recommended_size)
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, struct.error, Warning):
        # Warnings only get here when the warning filters turn them into errors.
        raise _damaged() from None
    if decoded_size != (width, height):  # pragma: no cover - Pillow reads the same header
        raise _damaged()
    return width, height


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Walk the chunks: every CRC must match and the file must end with the IEND chunk."""
    # (Pillow does not check the IEND chunk, nor anything after it.)
    chunks: list[tuple[bytes, bytes]] = []
    position, end = len(PNG_SIGNATURE), len(data)
    while position + 12 <= end:
        length, chunk_type = struct.unpack(">I4s", data[position : position + 8])
        data_end = position + 8 + length
        if data_end + 4 > end:
            break
        (crc,) = struct.unpack(">I", data[data_end : data_end + 4])
        if zlib.crc32(data[position + 4 : data_end]) != crc:
            raise _damaged(f"bad checksum in the {_chunk_name(chunk_type)} chunk")
        chunks.append((chunk_type, data[position + 8 : data_end]))
        position = data_end + 4
        if chunk_type == b"IEND":
            if position != end:
                raise _damaged("there is unexpected data after the end of the image")
            return chunks
    raise _damaged("the file ends before the end of the image")


def _chunk_name(chunk_type: bytes) -> str:
    name = chunk_type.decode("ascii", "replace")
    return name if name.isalpha() else "damaged"


def _png_header(data: bytes) -> _PngHeader:
    """Read IHDR, refusing the combinations the PNG spec does not define."""
    # The size of the pixel data, hence the bomb check, depends on all of these.
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", data[16:29]
    )
    if depth not in _BIT_DEPTHS.get(colour, ()):
        raise _damaged(
            f"the header gives an invalid combination of bit depth {depth} and colour type {colour}"
        )
    if compression != 0 or filtering != 0 or interlace > 1:
        raise _damaged("the header gives an unknown compression, filter or interlace method")
    return _PngHeader(width, height, depth * _CHANNELS[colour], interlace == 1)


def _check_image_data(chunks: list[tuple[bytes, bytes]], header: _PngHeader) -> None:
    """The IDAT chunks must be consecutive and inflate to what the image needs."""
    positions = [index for index, (chunk_type, _) in enumerate(chunks) if chunk_type == b"IDAT"]
    if not positions:
        raise _damaged("there is no IDAT chunk with the pixel data")
    # The spec requires it; a reader that joined scattered IDAT chunks would see other data.
    if positions[-1] - positions[0] + 1 != len(positions):
        raise _damaged("the IDAT chunks with the pixel data are not consecutive")
    pieces = [body for _, body in chunks[positions[0] : positions[-1] + 1]]
    need = header.filtered_size(header.width, header.height)
    _check_pixel_stream(pieces, need, f"{header.width}x{header.height} image")


def _check_animation(
    chunks: list[tuple[bytes, bytes]], header: _PngHeader, max_pixels: int
) -> None:
    """APNG frames (fcTL, then fdAT chunks) are pixel data too: check each one, and their total."""
    frames: list[tuple[int, int, list[bytes]]] = []
    for chunk_type, body in chunks:
        if chunk_type == b"fcTL":
            if len(body) < 12:
                raise _damaged("the fcTL chunk is too short")
            width, height = struct.unpack(">II", body[4:12])
            frames.append((width, height, []))
        elif chunk_type == b"fdAT":
            if not frames:
                raise _damaged("an fdAT chunk has no frame control chunk before it")
            frames[-1][2].append(body[4:])  # after the sequence number (if short: incomplete)
    frames = [frame for frame in frames if frame[2]]  # a frame without fdAT is the IDAT image
    # Browsers decode every frame: the pixel limit applies to them all, before any inflating.
    total = header.width * header.height + sum(width * height for width, height, _ in frames)
    if total > max_pixels:
        raise PngError(
            f"{_UNSAFE}its animation frames have {total:,} pixels in total, more than the "
            f"limit of {max_pixels:,} pixels (a file like this can be a decompression bomb, "
            f"which attacks servers). Upload a small still image instead."
        )
    for width, height, pieces in frames:
        need = header.filtered_size(width, height)
        _check_pixel_stream(pieces, need, f"{width}x{height} animation frame")


def _check_pixel_stream(pieces: list[bytes], need: int, what: str) -> None:
    """The zlib stream in pieces must inflate to need bytes (see _PIXEL_DATA_SLACK), and end."""
    try:
        size, complete, trailing = _inflate(pieces, need + _PIXEL_DATA_SLACK)
    except zlib.error:
        raise _damaged("the compressed pixel data is damaged") from None
    if size > need + _PIXEL_DATA_SLACK:
        raise PngError(
            f"{_UNSAFE}its pixel data unpacks to more than the {need:,} bytes that a {what} "
            f"needs (a file like this can be a decompression bomb, which attacks servers). {_REDO}"
        )
    if size < need or not complete:
        raise _damaged("the compressed pixel data is incomplete")
    if trailing > _PIXEL_DATA_SLACK:
        raise _damaged("there is unexpected data after the compressed pixel data")


def _check_metadata(chunks: list[tuple[bytes, bytes]]) -> None:
    """zTXt, iCCP and compressed iTXt chunks must inflate to no more than a small total."""
    budget = _MAX_METADATA_BYTES
    for chunk_type, body in chunks:
        stream = _compressed_metadata(chunk_type, body)
        if stream is None:
            continue
        try:
            size = _inflate([stream], budget)[0]
        except zlib.error:
            name = chunk_type.decode("ascii")
            raise _damaged(f"the compressed data in the {name} chunk is damaged") from None
        if size > budget:
            raise PngError(
                f"{_UNSAFE}its text and colour profile data (zTXt, iTXt and iCCP chunks) unpack "
                f"to more than {_MAX_METADATA_MIB} MiB (a file like this can be a decompression "
                f"bomb, which attacks servers). Export the image again without metadata and "
                f"upload the new file."
            )
        budget -= size


def _compressed_metadata(chunk_type: bytes, body: bytes) -> bytes | None:
    """The zlib stream in a zTXt, iCCP or compressed iTXt chunk (None if there is none)."""
    if chunk_type not in _METADATA_CHUNKS:
        return None
    keyword_end = body.find(b"\0", 0, 80)  # a keyword has 1 to 79 bytes
    if keyword_end < 0:
        return None  # no reader can find the stream either
    if chunk_type != b"iTXt":
        return body[keyword_end + 2 :]  # after the compression method byte
    # iTXt: compression flag, method, language tag, NUL, translated keyword, NUL, text.
    # Any non-zero flag counts: Pillow, for one, inflates the text whenever it is set.
    if body[keyword_end + 1 : keyword_end + 2] in (b"", b"\0"):
        return None
    language_end = body.find(b"\0", keyword_end + 3)
    translated_end = body.find(b"\0", language_end + 1) if language_end >= 0 else -1
    return None if translated_end < 0 else body[translated_end + 1 :]


def _inflate(pieces: Iterable[bytes], limit: int) -> tuple[int, bool, int]:
    """Inflate a zlib stream and discard the output: (size, up to limit + 1; ended; bytes after)."""
    inflater = zlib.decompressobj()
    size = trailing = 0
    for piece in _slices(pieces):
        if inflater.eof:
            trailing += len(piece)  # never inflated: counted, not read
            continue
        size += _inflate_piece(inflater, piece, limit - size)
        if size > limit:
            break  # nothing more to learn, and a bomb is never inflated further
    return size, inflater.eof, trailing + len(inflater.unused_data)


def _slices(pieces: Iterable[bytes]) -> Iterator[memoryview]:
    for piece in pieces:
        view = memoryview(piece)
        for start in range(0, len(view), _INFLATE_INPUT_STEP):
            yield view[start : start + _INFLATE_INPUT_STEP]


def _inflate_piece(inflater: zlib._Decompress, data: bytes | memoryview, budget: int) -> int:
    """Feed data to the inflater; return how much it produced, stopping after budget + 1 bytes."""
    produced = 0
    while produced <= budget and not inflater.eof:
        # max_length must never be 0: for zlib, 0 means no limit at all.
        output = inflater.decompress(data, min(_INFLATE_OUTPUT_STEP, budget + 1 - produced))
        produced += len(output)
        data = inflater.unconsumed_tail
        if not output:  # all input consumed (zlib fills the output first), nothing pending
            break
    return produced


def _check_pixels(width: int, height: int, max_pixels: int, recommended_size: int) -> None:
    if width * height > max_pixels:
        raise PngError(_too_large(width, height, max_pixels, recommended_size))


def _too_large(width: int, height: int, max_pixels: int, recommended_size: int) -> str:
    return (
        f"The image is too large to open safely: {width}x{height} pixels "
        f"({width * height:,} pixels) is more than the limit of {max_pixels:,} pixels. Badge "
        f"images are small: {recommended_size}x{recommended_size} pixels is the recommended size."
    )
