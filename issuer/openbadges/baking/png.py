"""PNG baking (spec digest section 4.1): one iTXt chunk right after IHDR.

- ``"ob2"`` (Open Badges 2.0 Baking 1.0): the ``iTXt`` chunk with keyword ``openbadges``.
  Unbaking also reads the legacy ``tEXt`` chunk.
- ``"ob3"`` (Open Badges 3.0): the ``iTXt`` chunk with keyword ``openbadgecredential``.

Baking splices the new chunk into the original bytes, replacing that version's chunks and keeping
the other's; nothing else is re-encoded.  The layout matches what openbadges-bakery 2.0.0 writes.
Plain values only: no Flask, no database.
"""

from __future__ import annotations

import functools
import struct
import zlib
from typing import Final, NamedTuple

from issuer.openbadges.baking.payloads import BakingError, BakingVersion, version_error
from issuer.openbadges.png import PNG_SIGNATURE

__all__ = ["bake_png", "unbake_png"]


class _PngFormat(NamedTuple):
    """What one version's badge chunk looks like, precomputed so bake_png stays cheap."""

    # keyword NUL: the whole keyword, so "openbadges" never matches "openbadgecredential"
    prefix: bytes
    # prefix, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL
    header: bytes
    crc_seed: int
    chunk_types: tuple[bytes, ...]  # the chunk types that hold this version's badge
    keyword: str  # for error messages


def _png_format(keyword: bytes, chunk_types: tuple[bytes, ...]) -> _PngFormat:
    header = keyword + b"\x00\x00\x00\x00\x00"
    return _PngFormat(
        keyword + b"\x00", header, zlib.crc32(b"iTXt" + header), chunk_types, keyword.decode()
    )


_PNG_FORMATS: Final = {
    "ob2": _png_format(b"openbadges", (b"iTXt", b"tEXt")),
    # The tEXt form predates the OB 2.0 baking spec; OB 3.0 never had it.
    "ob3": _png_format(b"openbadgecredential", (b"iTXt",)),
}
_OB2_BAKE: Final = _PNG_FORMATS["ob2"][:4]
_OB3_BAKE: Final = _PNG_FORMATS["ob3"][:4]
_IHDR_START: Final = b"\x00\x00\x00\x0dIHDR"  # length 13, type IHDR
_IHDR_END: Final = len(PNG_SIGNATURE) + 12 + 13
_MAX_CHUNK_LENGTH: Final = 2**31 - 1  # PNG limit on a chunk's length field
# A compressed iTXt is never written by a spec-following baker; cap what one may inflate to.
_MAX_INFLATED: Final = 1 << 20
_LENGTH_AND_TYPE = struct.Struct(">I4s")
_UINT32 = struct.Struct(">I")


def bake_png(png: bytes, payload: str, *, version: BakingVersion = "ob2") -> bytes:
    """Return the PNG with one iTXt chunk for version holding payload, right after IHDR."""
    # A branch on plain tuples, not a dict lookup: this call is benchmarked, the lookup cost 5%.
    if version == "ob2":
        keyword_prefix, header, crc_seed, chunk_types = _OB2_BAKE
    elif version == "ob3":
        keyword_prefix, header, crc_seed, chunk_types = _OB3_BAKE
    else:
        raise version_error(version)
    text = _encode_payload(payload)
    # Every award of a badge is baked into the same image: its layout is worked out once.
    # Big images are not kept (nor hashed as keys).
    split = _cached_png_layout if len(png) <= _LAYOUT_CACHE_LIMIT else _png_layout
    layout = split(png, keyword_prefix, chunk_types)
    return b"".join(
        (
            layout[0],
            _UINT32.pack(len(header) + len(text)),
            b"iTXt",
            header,
            text,
            _UINT32.pack(zlib.crc32(text, crc_seed)),
            layout[1],
        )
    )


_LAYOUT_CACHE_LIMIT: Final = 256 * 1024


def _png_layout(
    png: bytes, keyword_prefix: bytes, chunk_types: tuple[bytes, ...]
) -> tuple[bytes, bytes]:
    """Split a PNG for baking: (signature and IHDR, every later byte but old badge chunks)."""
    kept: list[bytes] = []
    run_start = _IHDR_END
    for chunk_type, start, end in _png_chunks(png):
        if chunk_type in chunk_types and png.startswith(keyword_prefix, start + 8, end - 4):
            kept.append(png[run_start:start])
            run_start = end
    kept.append(png[run_start:])  # includes any bytes after IEND, untouched
    return png[:_IHDR_END], b"".join(kept)


# Badge images are few and small: 64 of at most 256 KiB, with their layouts, is 32 MiB at most.
# The cache halves bake_png (about 1 us instead of 2-2.5 us), which bench_baking's 50x target
# needs.  lru_cache is thread-safe; a race only works a layout out twice.
_cached_png_layout: Final = functools.lru_cache(maxsize=64)(_png_layout)


def unbake_png(png: bytes, *, version: BakingVersion = "ob2") -> str | None:
    """Return the text of the PNG's first iTXt (OB 2.0: or legacy tEXt) chunk for version."""
    png_format = _PNG_FORMATS.get(version)
    if png_format is None:
        raise version_error(version)
    prefix, keyword = png_format.prefix, png_format.keyword
    legacy: tuple[int, int] | None = None
    for chunk_type, start, end in _png_chunks(png):
        if chunk_type not in png_format.chunk_types or not png.startswith(
            prefix, start + 8, end - 4
        ):
            continue
        if chunk_type == b"iTXt":
            _check_crc(png, start, end, keyword)
            return _itxt_text(png[start + 8 + len(prefix) : end - 4], keyword)
        if legacy is None:
            legacy = (start, end)
    if legacy is None:
        return None
    # Pre-spec badges: a tEXt chunk whose Latin-1 text is the hosted assertion URL.
    start, end = legacy
    _check_crc(png, start, end, keyword)
    return png[start + 8 + len(prefix) : end - 4].decode("latin-1")


def _encode_payload(payload: str) -> bytes:
    if not payload:
        raise BakingError("the badge payload is empty")
    try:
        return payload.encode("utf-8")
    except UnicodeEncodeError as error:
        raise BakingError(f"the badge payload is not valid Unicode text: {error}") from None


def _check_png_start(png: bytes) -> None:
    """The PNG signature, then a complete 13-byte IHDR chunk."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image (the PNG signature is missing)")
    if len(png) < _IHDR_END:
        raise BakingError(f"the PNG image is truncated: it is only {len(png)} bytes long")
    if not png.startswith(_IHDR_START, len(PNG_SIGNATURE)):
        raise BakingError("not a valid PNG image: the first chunk is not a 13-byte IHDR")


def _png_chunks(png: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk after IHDR, up to IEND; end includes the CRC."""
    _check_png_start(png)
    size = len(png)
    chunks: list[tuple[bytes, int, int]] = []
    position = _IHDR_END
    while True:
        if position + 12 > size:
            raise _chunk_error(png, position)
        length, chunk_type = _LENGTH_AND_TYPE.unpack_from(png, position)
        end = position + 12 + length
        if end > size or length > _MAX_CHUNK_LENGTH or not chunk_type.isalpha():
            raise _chunk_error(png, position)
        chunks.append((chunk_type, position, end))
        if chunk_type == b"IEND":
            return chunks
        position = end


def _chunk_error(png: bytes, position: int) -> BakingError:
    """Say what is wrong with the chunk header at position."""
    size = len(png)
    if position + 12 > size:
        return BakingError(
            f"the PNG image is truncated: it ends at byte {size} without an IEND chunk"
        )
    length, chunk_type = _LENGTH_AND_TYPE.unpack_from(png, position)
    if not chunk_type.isalpha():
        return BakingError(
            f"the PNG image is corrupt: invalid chunk type {chunk_type!r} at byte {position}"
        )
    return BakingError(
        f"the PNG image is truncated or corrupt: the {chunk_type.decode('ascii')} chunk at "
        f"byte {position} claims {length} bytes, past the end of the file"
    )


def _check_crc(png: bytes, start: int, end: int, keyword: str) -> None:
    expected = _UINT32.unpack_from(png, end - 4)[0]
    if zlib.crc32(memoryview(png)[start + 4 : end - 4]) != expected:
        name = png[start + 4 : start + 8].decode("ascii")
        raise BakingError(f"the {keyword} {name} chunk at byte {start} has a bad CRC")


def _itxt_text(data: bytes, keyword: str) -> str:
    """Decode an iTXt chunk's data after its keyword and NUL."""
    if len(data) < 2:
        raise BakingError(f"the {keyword} iTXt chunk is truncated")
    flag, method = data[0], data[1]
    _language, found, rest = data[2:].partition(b"\x00")
    _translated, found_too, text = rest.partition(b"\x00")
    if not (found and found_too):
        raise BakingError(f"the {keyword} iTXt chunk is corrupt (missing NUL separators)")
    if flag == 1 and method == 0:
        text = _inflate(text, keyword)
    elif flag != 0:
        raise BakingError(
            f"the {keyword} iTXt chunk has an unknown compression (flag {flag}, method {method})"
        )
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BakingError(f"the {keyword} iTXt text is not valid UTF-8: {error}") from None


def _inflate(compressed: bytes, keyword: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, _MAX_INFLATED + 1)
    except zlib.error as error:
        raise BakingError(f"the compressed {keyword} iTXt text is corrupt: {error}") from None
    if len(text) > _MAX_INFLATED:
        raise BakingError(f"the compressed {keyword} iTXt text inflates to more than 1 MiB")
    if not inflater.eof:
        raise BakingError(f"the compressed {keyword} iTXt text is truncated")
    return text
