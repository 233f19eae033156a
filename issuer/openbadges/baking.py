"""Open Badges 2.0 baking: embed an assertion in a PNG or SVG badge image, and read it back.

Implements Open Badges 2.0 Baking 1.0 (spec digest section 4): section 4.1, the PNG ``iTXt``
chunk with keyword ``openbadges``, and section 4.2, the SVG ``<openbadges:assertion>`` element
in the ``http://openbadges.org`` namespace.  OB 3.0 baking is not implemented here.

Baking splices the new chunk or element into the original bytes or text; nothing else in the
image is re-encoded.  The layout matches what openbadges-bakery 2.0.0 writes and reads: the
chunk goes right after ``IHDR``, and the element right after the root ``<svg>`` start tag.
Plain values only: no Flask, no database.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Any, Final, Literal
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

__all__ = ["BakingError", "bake_png", "bake_svg", "detect_image_type", "unbake_png", "unbake_svg"]

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
OPENBADGES_NS: Final = "http://openbadges.org"

_KEYWORD_PREFIX: Final = b"openbadges\x00"
# keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL
_ITXT_HEADER: Final = _KEYWORD_PREFIX + b"\x00\x00\x00\x00"
_ITXT_CRC_SEED: Final = zlib.crc32(b"iTXt" + _ITXT_HEADER)
_IHDR_START: Final = b"\x00\x00\x00\x0dIHDR"  # length 13, type IHDR
_IHDR_END: Final = len(PNG_SIGNATURE) + 12 + 13
_COPY_LIMIT: Final = 16 * 1024
_TEXT_CHUNKS: Final = (b"iTXt", b"tEXt")
_MAX_CHUNK_LENGTH: Final = 2**31 - 1  # PNG limit on a chunk's length field
# A compressed iTXt is never written by a spec-following baker; cap what one may inflate to.
_MAX_INFLATED: Final = 1 << 20
_LENGTH_AND_TYPE = struct.Struct(">I4s")
_UINT32 = struct.Struct(">I")

_ASSERTION_TAG: Final = "{" + OPENBADGES_NS + "}assertion"
_SVG_NS: Final = "http://www.w3.org/2000/svg"
_NS_DECLARATION: Final = f' xmlns:openbadges="{OPENBADGES_NS}"'
_SNIFF_BYTES: Final = 4096

_WS = "[ \t\r\n]"
_NAME = "[^ \t\r\n/>=<\"']+"
_ATTRIBUTE_VALUE = "(?:\"[^\"]*\"|'[^']*')"
_START_TAG = re.compile(
    rf"<(?P<name>{_NAME})(?P<attrs>(?:{_WS}+{_NAME}{_WS}*={_WS}*{_ATTRIBUTE_VALUE})*)"
    rf"(?P<space>{_WS}*)(?P<close>/?>)"
)
_ATTRIBUTE_NAME = re.compile(rf"({_NAME}){_WS}*={_WS}*{_ATTRIBUTE_VALUE}")
_END_TAG = re.compile(rf"</{_NAME}{_WS}*>")
_SPACE = re.compile(f"{_WS}*")
# The internal subset may hold comments, PIs and declarations whose quoted literals contain
# ']' or '>', so those are matched as units.
_DOCTYPE = re.compile(
    rf"<!DOCTYPE(?:[^\[>\"']|{_ATTRIBUTE_VALUE})*"
    rf"(?:\[(?:<!--.*?-->|<\?.*?\?>|<!(?:[^>\"']|{_ATTRIBUTE_VALUE})*>|[^\]<])*\]{_WS}*)?>",
    re.DOTALL,
)
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
_SVG_SNIFF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?svg[ \t\r\n/>]")
_ATTRIBUTE_ESCAPES: Final = {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&quot;",
    # Literal tabs and newlines in an attribute would be normalised to spaces by parsers.
    ord("\t"): "&#9;",
    ord("\n"): "&#10;",
    ord("\r"): "&#13;",
}


class BakingError(ValueError):
    """An image cannot be baked or unbaked; str(error) says why."""


def detect_image_type(data: bytes) -> Literal["png", "svg"] | None:
    """Sniff whether bytes are a PNG or an SVG image (a cheap check, not a validation)."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head = data[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if head.startswith(b"<") and _SVG_SNIFF.search(head):
        return "svg"
    return None


# --- PNG (section 4.1) -----------------------------------------------------------------------


def bake_png(png: bytes, payload: str) -> bytes:
    """Return the PNG with one ``openbadges`` iTXt chunk holding payload, right after IHDR."""
    text = _encode_payload(payload)
    _check_png_start(png)
    size = len(png)
    # Slicing a memoryview costs more than copying a small image, but avoids copying big ones.
    source: bytes | memoryview = png if size < _COPY_LIMIT else memoryview(png)
    pieces = [
        source[:_IHDR_END],
        _UINT32.pack(len(_ITXT_HEADER) + len(text)),
        b"iTXt",
        _ITXT_HEADER,
        text,
        _UINT32.pack(zlib.crc32(text, _ITXT_CRC_SEED)),
    ]
    # The same walk as _png_chunks, inlined because bake_png must be fast: copy everything
    # else in as few slices as possible, leaving out old badge chunks.
    run_start = position = _IHDR_END
    while True:
        if position + 12 > size:
            raise _chunk_error(png, position)
        length, chunk_type = _LENGTH_AND_TYPE.unpack_from(png, position)
        end = position + 12 + length
        if end > size or length > _MAX_CHUNK_LENGTH or not chunk_type.isalpha():
            raise _chunk_error(png, position)
        if chunk_type in _TEXT_CHUNKS and png.startswith(_KEYWORD_PREFIX, position + 8, end - 4):
            pieces.append(source[run_start:position])
            run_start = end
        elif chunk_type == b"IEND":
            break
        position = end
    pieces.append(source[run_start:])  # includes any bytes after IEND, untouched
    return b"".join(pieces)


def unbake_png(png: bytes) -> str | None:
    """Return the text of the PNG's ``openbadges`` iTXt (or legacy tEXt) chunk, or None."""
    legacy: tuple[int, int] | None = None
    for chunk_type, start, end in _png_chunks(png):
        if chunk_type not in _TEXT_CHUNKS or not png.startswith(
            _KEYWORD_PREFIX, start + 8, end - 4
        ):
            continue
        if chunk_type == b"iTXt":
            _check_crc(png, start, end)
            return _itxt_text(png[start + 8 + len(_KEYWORD_PREFIX) : end - 4])
        if legacy is None:
            legacy = (start, end)
    if legacy is None:
        return None
    # Pre-spec badges: a tEXt chunk whose Latin-1 text is the hosted assertion URL.
    start, end = legacy
    _check_crc(png, start, end)
    return png[start + 8 + len(_KEYWORD_PREFIX) : end - 4].decode("latin-1")


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


def _check_crc(png: bytes, start: int, end: int) -> None:
    expected = _UINT32.unpack_from(png, end - 4)[0]
    if zlib.crc32(memoryview(png)[start + 4 : end - 4]) != expected:
        name = png[start + 4 : start + 8].decode("ascii")
        raise BakingError(f"the openbadges {name} chunk at byte {start} has a bad CRC")


def _itxt_text(data: bytes) -> str:
    """Decode an iTXt chunk's data after its keyword and NUL."""
    if len(data) < 2:
        raise BakingError("the openbadges iTXt chunk is truncated")
    flag, method = data[0], data[1]
    _language, found, rest = data[2:].partition(b"\x00")
    _translated, found_too, text = rest.partition(b"\x00")
    if not (found and found_too):
        raise BakingError("the openbadges iTXt chunk is corrupt (missing NUL separators)")
    if flag == 1 and method == 0:
        text = _inflate(text)
    elif flag != 0:
        raise BakingError(
            f"the openbadges iTXt chunk has an unknown compression (flag {flag}, method {method})"
        )
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BakingError(f"the openbadges iTXt text is not valid UTF-8: {error}") from None


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, _MAX_INFLATED + 1)
    except zlib.error as error:
        raise BakingError(f"the compressed openbadges iTXt text is corrupt: {error}") from None
    if len(text) > _MAX_INFLATED:
        raise BakingError("the compressed openbadges iTXt text inflates to more than 1 MiB")
    if not inflater.eof:
        raise BakingError("the compressed openbadges iTXt text is truncated")
    return text


# --- SVG (section 4.2) -----------------------------------------------------------------------


def bake_svg(svg: str, payload: str) -> str:
    """Return the SVG with one ``<openbadges:assertion>`` for payload right after ``<svg>``."""
    verify, body = _assertion_parts(payload)
    element = f'<openbadges:assertion verify="{verify.translate(_ATTRIBUTE_ESCAPES)}"'
    if body is None:
        element += "/>"
    else:
        # "]]>" cannot appear inside a CDATA section: end it there and start another one.
        cdata = body.replace("]]>", "]]]]><![CDATA[>")
        element += f"><![CDATA[{cdata}]]></openbadges:assertion>"
    baked = _splice_svg(svg, _parse_svg(svg), element)
    _check_baked_svg(baked, verify, body)
    return baked


def unbake_svg(svg: str) -> str | None:
    """Return the first ``openbadges:assertion``'s verify attribute, else its text, or None."""
    root = _parse_svg(svg)
    element = next(root.iter(_ASSERTION_TAG), None)
    if element is None:
        return None
    # Like openbadges-bakery: the verify attribute (the URL or JWS) wins over the body.
    verify = element.get("verify")
    if verify and verify.strip():
        return verify
    return "".join(element.itertext()).strip() or None


def _assertion_parts(payload: str) -> tuple[str, str | None]:
    """The verify attribute and CDATA body (None for a self-closing element) for a payload."""
    if not payload:
        raise BakingError("the badge payload is empty")
    if _NOT_XML_CHAR.search(payload):
        raise BakingError("the badge payload contains characters that XML cannot hold")
    if payload.lstrip().startswith("{"):
        try:
            assertion = json.loads(payload)
        except ValueError as error:
            raise BakingError(f"the badge payload is not valid JSON: {error}") from None
        verify = assertion.get("id")
        if not _is_http_url(verify):
            # OB 1.0 assertions have no id; openbadges-bakery falls back to verify.url too.
            old_verify = assertion.get("verify")
            verify = old_verify.get("url") if isinstance(old_verify, dict) else None
        if not _is_http_url(verify):
            raise BakingError("the hosted assertion JSON has no http(s) id to put in verify")
        return verify, payload
    if _JWS.fullmatch(payload) or _is_http_url(payload):
        return payload, None
    raise BakingError("the badge payload is neither assertion JSON, a compact JWS nor a URL")


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str) or _URL_FORBIDDEN.search(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _parse_svg(svg: str) -> Element[Any]:
    try:
        root = fromstring(svg)
    except ParseError as error:
        raise BakingError(f"the SVG image is not well-formed XML: {error}") from None
    except DefusedXmlException as error:
        # Entity declarations and external references: billion laughs, XXE.
        raise BakingError(f"the SVG image uses forbidden XML features: {error!r}") from None
    if root.tag not in (f"{{{_SVG_NS}}}svg", "svg"):
        raise BakingError(f"not an SVG image: the root element is <{_local_name(root.tag)}>")
    return root


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def _splice_svg(svg: str, root: Element[Any], element: str) -> str:
    """Insert element after the root start tag and drop old assertions, at the text level.

    The text was already parsed, so it is well-formed and a simple scanner suffices.  Start
    tags appear in the same order as ``root.iter()``, which gives each one its namespace.
    """
    try:
        position = _root_start(svg)
        tag = _START_TAG.match(svg, position)
        if tag is None or _local_name(tag["name"]) != "svg":
            raise BakingError("could not find the root <svg> start tag")
        declared = set(_ATTRIBUTE_NAME.findall(tag["attrs"]))
        new_tag = "<{}{}{}{}>".format(
            tag["name"],
            tag["attrs"],
            "" if "xmlns:openbadges" in declared else _NS_DECLARATION,
            tag["space"],
        )
        if tag["close"] == "/>":
            return f"{svg[:position]}{new_tag}{element}</{tag['name']}>{svg[tag.end() :]}"
        pieces = [svg[:position], new_tag, element]
        kept_from = tag.end()
        elements = list(root.iter())
        index = 1
        depth = 1
        removing_at: int | None = None  # depth of the assertion being removed
        position = tag.end()
        while depth:
            position = svg.index("<", position)
            if svg.startswith("<!--", position):
                end = svg.index("-->", position) + 3
            elif svg.startswith("<![CDATA[", position):
                end = svg.index("]]>", position) + 3
            elif svg.startswith("<?", position):
                end = svg.index("?>", position) + 2
            elif svg.startswith("</", position):
                end = _match(_END_TAG, svg, position).end()
                depth -= 1
                if depth == removing_at:
                    kept_from, removing_at = end, None
            else:
                start_tag = _match(_START_TAG, svg, position)
                end = start_tag.end()
                parsed = elements[index]
                index += 1
                if _local_name(start_tag["name"]) != _local_name(parsed.tag):
                    raise BakingError("the SVG text does not match its parsed elements")
                if removing_at is None and parsed.tag == _ASSERTION_TAG:
                    pieces.append(svg[kept_from:position])
                    kept_from = end
                    if start_tag["close"] == ">":
                        removing_at = depth
                if start_tag["close"] == ">":
                    depth += 1
            position = end
        pieces.append(svg[kept_from:])
        return "".join(pieces)
    except BakingError:
        raise
    except (ValueError, IndexError) as error:  # cannot happen on well-formed XML; be safe
        raise BakingError(f"could not find where to bake this SVG: {error}") from None


def _root_start(svg: str) -> int:
    """Index of the root element's '<', after the BOM, XML declaration and prolog."""
    position = 1 if svg.startswith("\ufeff") else 0
    while True:
        position = _match(_SPACE, svg, position).end()
        if svg.startswith("<?", position):
            position = svg.index("?>", position) + 2
        elif svg.startswith("<!--", position):
            position = svg.index("-->", position) + 3
        elif svg.startswith("<!DOCTYPE", position):
            position = _match(_DOCTYPE, svg, position).end()
        elif svg.startswith("<", position):
            return position
        else:
            raise BakingError("could not find the root <svg> element")


def _match(pattern: re.Pattern[str], text: str, position: int) -> re.Match[str]:
    match = pattern.match(text, position)
    if match is None:
        raise BakingError(f"unexpected SVG markup at character {position}")
    return match


def _check_baked_svg(baked: str, verify: str, body: str | None) -> None:
    """Re-parse the result: one assertion, first in the root, holding exactly our payload."""
    root = _parse_svg(baked)
    first = next(iter(root), None)
    if (
        first is None
        or first.tag != _ASSERTION_TAG
        or first.get("verify") != verify
        or sum(1 for _ in root.iter(_ASSERTION_TAG)) != 1
    ):
        raise BakingError(
            "could not bake this SVG (does it bind the openbadges prefix to another namespace?)"
        )
    # XML parsers turn CR LF and CR into LF, inside CDATA too.
    if body is not None and (first.text or "") != body.replace("\r\n", "\n").replace("\r", "\n"):
        raise BakingError("could not bake this SVG: the assertion text did not survive")
