"""Open Badges baking: embed an OB 2.0 assertion or OB 3.0 credential in a PNG or SVG image.

Implements baking as the spec digest's section 4 describes it, chosen by ``version``:

- ``"ob2"`` (Open Badges 2.0 Baking 1.0, the default): the PNG ``iTXt`` chunk with keyword
  ``openbadges`` (4.1), and the SVG ``<openbadges:assertion>`` element in the
  ``http://openbadges.org`` namespace (4.2).  Unbaking also reads the legacy ``tEXt`` chunk.
- ``"ob3"`` (Open Badges 3.0): the PNG ``iTXt`` chunk with keyword ``openbadgecredential``,
  and the SVG ``<openbadges:credential>`` element in the ``https://purl.imsglobal.org/ob/v3p0``
  namespace, holding a VC-JWT in ``verify`` or the credential JSON as its text.

The two are independent: baking one version replaces that version's chunk or element and keeps
the other's, so an image may carry both.  Baking splices the new chunk or element into the
original bytes or text; nothing else in the image is re-encoded.  The OB 2.0 layout matches what
openbadges-bakery 2.0.0 writes and reads, and OB 3.0 follows it: the chunk goes right after
``IHDR``, and the element right after the root ``<svg>`` start tag.
Plain values only: no Flask, no database.
"""

from __future__ import annotations

import functools
import json
import re
import struct
import zlib
from typing import Any, Final, Literal, NamedTuple, TypeAlias
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

__all__ = [
    "BakingError",
    "BakingVersion",
    "bake_png",
    "bake_svg",
    "detect_image_type",
    "unbake_png",
    "unbake_svg",
]

BakingVersion: TypeAlias = Literal["ob2", "ob3"]

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
OPENBADGES_NS: Final = "http://openbadges.org"
OB3_NS: Final = "https://purl.imsglobal.org/ob/v3p0"


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


class _SvgFormat(NamedTuple):
    """What one version's badge element looks like."""

    namespace: str
    local_name: str

    @property
    def tag(self) -> str:
        return f"{{{self.namespace}}}{self.local_name}"


_SVG_FORMATS: Final = {
    "ob2": _SvgFormat(OPENBADGES_NS, "assertion"),
    "ob3": _SvgFormat(OB3_NS, "credential"),
}
# Readers look for the literal names "openbadges:assertion" and "openbadges:credential".
_SVG_PREFIX: Final = "openbadges"
_SVG_NS: Final = "http://www.w3.org/2000/svg"
_SNIFF_BYTES: Final = 4096

_WS = "[ \t\r\n]"
_NAME = "[^ \t\r\n/>=<\"']+"
_ATTRIBUTE_VALUE = "(?:\"[^\"]*\"|'[^']*')"
_START_TAG = re.compile(
    rf"<(?P<name>{_NAME})(?P<attrs>(?:{_WS}+{_NAME}{_WS}*={_WS}*{_ATTRIBUTE_VALUE})*)"
    rf"(?P<space>{_WS}*)(?P<close>/?>)"
)
_ATTRIBUTE = re.compile(rf"({_NAME}){_WS}*={_WS}*({_ATTRIBUTE_VALUE})")
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


def bake_png(png: bytes, payload: str, *, version: BakingVersion = "ob2") -> bytes:
    """Return the PNG with one iTXt chunk for version holding payload, right after IHDR."""
    # A branch on plain tuples, not a dict lookup: this call is benchmarked, the lookup cost 5%.
    if version == "ob2":
        keyword_prefix, header, crc_seed, chunk_types = _OB2_BAKE
    elif version == "ob3":
        keyword_prefix, header, crc_seed, chunk_types = _OB3_BAKE
    else:
        raise _version_error(version)
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
_cached_png_layout: Final = functools.lru_cache(maxsize=64)(_png_layout)


def unbake_png(png: bytes, *, version: BakingVersion = "ob2") -> str | None:
    """Return the text of the PNG's first iTXt (OB 2.0: or legacy tEXt) chunk for version."""
    png_format = _PNG_FORMATS.get(version)
    if png_format is None:
        raise _version_error(version)
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


def _version_error(version: object) -> ValueError:
    # A caller's bug, not a bad image, so not a BakingError.
    return ValueError(f"unknown Open Badges baking version {version!r}: use 'ob2' or 'ob3'")


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


# --- SVG (section 4.2) -----------------------------------------------------------------------


def bake_svg(svg: str, payload: str, *, version: BakingVersion = "ob2") -> str:
    """Return the SVG with one assertion (ob2) or credential (ob3) element right after <svg>."""
    svg_format = _svg_format(version)
    if version == "ob3":
        verify, body = _credential_parts(payload)
    else:
        verify, body = _assertion_parts(payload)
    baked = _splice_svg(svg, _parse_svg(svg), svg_format, verify, body)
    _check_baked_svg(baked, svg_format, verify, body)
    return baked


def unbake_svg(svg: str, *, version: BakingVersion = "ob2") -> str | None:
    """Return the first badge element's verify attribute for version, else its text, or None."""
    svg_format = _svg_format(version)
    root = _parse_svg(svg)
    element = next(root.iter(svg_format.tag), None)
    if element is None:
        return None
    # Like openbadges-bakery: the verify attribute (the URL or JWS) wins over the body.
    verify = element.get("verify")
    if verify and verify.strip():
        return verify
    return "".join(element.itertext()).strip() or None


def _svg_format(version: object) -> _SvgFormat:
    svg_format = _SVG_FORMATS.get(version) if isinstance(version, str) else None
    if svg_format is None:
        raise _version_error(version)
    return svg_format


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


def _credential_parts(payload: str) -> tuple[str | None, str | None]:
    """The verify attribute (a VC-JWT) or the CDATA body (credential JSON) for an OB 3.0 payload."""
    if not payload:
        raise BakingError("the credential payload is empty")
    if _NOT_XML_CHAR.search(payload):
        raise BakingError("the credential payload contains characters that XML cannot hold")
    if payload.lstrip().startswith("{"):
        # Only well-formedness: what the credential says is for the verifier to judge.
        try:
            json.loads(payload)
        except ValueError as error:
            raise BakingError(f"the credential payload is not valid JSON: {error}") from None
        return None, payload
    if _JWS.fullmatch(payload):
        return payload, None
    # OB 3.0 has no hosted form, so unlike OB 2.0 a URL is not a credential.
    raise BakingError("the credential payload is neither credential JSON nor a compact VC-JWT")


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


def _splice_svg(
    svg: str, root: Element[Any], svg_format: _SvgFormat, verify: str | None, body: str | None
) -> str:
    """Insert our element after the root start tag and drop old ones, at the text level.

    The text was already parsed, so it is well-formed and a simple scanner suffices.  Start
    tags appear in the same order as ``root.iter()``, which gives each one its namespace.
    """
    try:
        position = _root_start(svg)
        tag = _START_TAG.match(svg, position)
        if tag is None or _local_name(tag["name"]) != "svg":
            raise BakingError("could not find the root <svg> start tag")
        declared = {name: value[1:-1] for name, value in _ATTRIBUTE.findall(tag["attrs"])}
        on_root, on_element = _declarations(declared, svg_format)
        element = _badge_element(f"{_SVG_PREFIX}:{svg_format.local_name}", on_element, verify, body)
        new_tag = f"<{tag['name']}{tag['attrs']}{on_root}{tag['space']}>"
        if tag["close"] == "/>":
            return f"{svg[:position]}{new_tag}{element}</{tag['name']}>{svg[tag.end() :]}"
        pieces = [svg[:position], new_tag, element]
        kept_from = tag.end()
        elements = list(root.iter())
        index = 1
        depth = 1
        removing_at: int | None = None  # depth of the old element being removed
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
                if removing_at is None and parsed.tag == svg_format.tag:
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


def _declarations(declared: dict[str, str], svg_format: _SvgFormat) -> tuple[str, str]:
    """Where to declare our namespace: (on the root start tag, on our element).

    Only the root's declarations matter: our element is the root's first child.  When the root
    binds the prefix to the other version's namespace (an SVG baked with both versions), the
    prefix is bound again on our element alone, so both elements keep their literal names.
    """
    declaration = f' xmlns:{_SVG_PREFIX}="{svg_format.namespace}"'
    bound_to = declared.get(f"xmlns:{_SVG_PREFIX}")
    if bound_to is None:
        return declaration, ""
    if bound_to == svg_format.namespace:
        return "", ""
    return "", declaration


def _badge_element(name: str, declaration: str, verify: str | None, body: str | None) -> str:
    """The element's markup: a verify attribute, a CDATA body, or both."""
    attribute = declaration
    if verify is not None:
        attribute += f' verify="{verify.translate(_ATTRIBUTE_ESCAPES)}"'
    if body is None:
        return f"<{name}{attribute}/>"
    # "]]>" cannot appear inside a CDATA section: end it there and start another one.
    cdata = body.replace("]]>", "]]]]><![CDATA[>")
    return f"<{name}{attribute}><![CDATA[{cdata}]]></{name}>"


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


def _check_baked_svg(
    baked: str, svg_format: _SvgFormat, verify: str | None, body: str | None
) -> None:
    """Re-parse the result: one badge element, first in the root, holding exactly our payload."""
    root = _parse_svg(baked)
    first = next(iter(root), None)
    if (
        first is None
        or first.tag != svg_format.tag
        or first.get("verify") != verify
        or sum(1 for _ in root.iter(svg_format.tag)) != 1
    ):
        raise BakingError(
            "could not bake this SVG: the badge element did not come out first and alone"
        )
    # XML parsers turn CR LF and CR into LF, inside CDATA too.
    if body is not None and (first.text or "") != body.replace("\r\n", "\n").replace("\r", "\n"):
        raise BakingError(
            f"could not bake this SVG: the {svg_format.local_name} text did not survive"
        )


# A JSON string literal (in text json.dumps made: every quote and backslash inside is escaped).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def brace_safe_json(document: Any) -> str:
    """Serialise a credential for baking so that no ``{`` or ``}`` appears inside a string.

    The Learner Credential Wallet finds a baked credential by counting braces from the first
    ``{`` after ``openbadgecredential``, without regard to strings; ``\\u007b`` and
    ``\\u007d`` are the same characters to every JSON parser. ASCII only, so no decoder
    can misread it.
    """
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    return _JSON_STRING.sub(
        lambda found: found.group(0).replace("{", "\\u007b").replace("}", "\\u007d"), text
    )
