"""SVG baking (spec digest section 4.2): one badge element right after the root <svg> start tag.

- ``"ob2"`` (Open Badges 2.0 Baking 1.0): the ``<openbadges:assertion>`` element in the
  ``http://openbadges.org`` namespace, with a ``verify`` attribute (the hosted URL or a JWS)
  and, for hosted badges, the assertion JSON as CDATA.
- ``"ob3"`` (Open Badges 3.0): the ``<openbadges:credential>`` element in the
  ``https://purl.imsglobal.org/ob/v3p0`` namespace, holding a VC-JWT in ``verify`` or the
  credential JSON as its text.

Baking splices the new element into the original text, replacing that version's elements and
keeping the other's; the drawing is not re-serialised.  The OB 2.0 layout matches what
openbadges-bakery 2.0.0 writes.  Plain values only: no Flask, no database.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final, NamedTuple
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from issuer.openbadges.baking.payloads import BakingError, BakingVersion, version_error

__all__ = ["OB3_NS", "OPENBADGES_NS", "bake_svg", "unbake_svg"]

OPENBADGES_NS: Final = "http://openbadges.org"
OB3_NS: Final = "https://purl.imsglobal.org/ob/v3p0"


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
        raise version_error(version)
    return svg_format


def _assertion_parts(payload: str) -> tuple[str, str | None]:
    """The verify attribute and CDATA body (None for a self-closing element) for a payload."""
    _check_xml_text(payload, "badge payload")
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


def _check_xml_text(payload: str, what: str) -> None:
    """Raise BakingError for a payload an SVG element cannot carry: empty, or not XML text."""
    if not payload:
        raise BakingError(f"the {what} is empty")
    if _NOT_XML_CHAR.search(payload):
        raise BakingError(f"the {what} contains characters that XML cannot hold")


def _credential_parts(payload: str) -> tuple[str | None, str | None]:
    """The verify attribute (a VC-JWT) or the CDATA body (credential JSON) for an OB 3.0 payload."""
    _check_xml_text(payload, "credential payload")
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
