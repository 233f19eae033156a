"""Safety checks for uploaded SVG images, which are served to browsers and baked into badges.

SVG files are parsed with defusedxml (no DTDs or entities) and rejected when they contain
scripts, event handlers, ``<foreignObject>``, style sheet processing instructions, or references
to anything outside the document other than embedded raster data URIs. Plain values only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, Final
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers.expat import ErrorString

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

ACCEPTED: Final = (
    "Only PNG and SVG images can be used: export or convert the image to PNG and upload it again."
)
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_SVG_NS: Final = "http://www.w3.org/2000/svg"
_SVG_ROOT: Final = "{" + _SVG_NS + "}svg"
_NAMESPACE_PREFIXES: Final = {
    "http://www.w3.org/1999/xlink": "xlink",
    "http://www.w3.org/XML/1998/namespace": "xml",
}
# Embedded raster images are inert; SVG data URIs could smuggle in scripts, so are not allowed.
_ALLOWED_DATA_PREFIXES: Final = (
    "data:image/png;base64,",
    "data:image/jpeg;base64,",
    "data:image/gif;base64,",
    "data:image/webp;base64,",
)
_ALLOWED_REFERENCES: Final = (
    "Badge images must be self-contained: only references inside the image (#id) and embedded "
    "PNG, JPEG, GIF or WebP base64 data URIs are allowed."
)
_SAVE_AS_UTF8: Final = "Save it with the UTF-8 encoding and upload it again."
_REMOVE: Final = "Remove it and upload the file again."
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


class SvgError(ValueError):
    """An SVG image is unsafe or malformed; str(error) is a user-facing message."""


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _SvgTreeBuilder(TreeBuilder):
    """A TreeBuilder that also records every processing instruction, even outside the root."""

    def __init__(self) -> None:
        super().__init__(insert_pis=True)
        self.processing_instructions: list[str] = []

    def pi(self, target: str, text: str | None = None, /) -> Element[Any]:
        self.processing_instructions.append(target)
        return super().pi(target, text)


def looks_like_xml(data: bytes) -> bool:
    """Whether the bytes start like an XML document (after an optional BOM and whitespace)."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    return data.lstrip(b" \t\r\n").startswith(b"<")


def parse_svg(data: bytes) -> Element[Any]:
    """Parse UTF-8 SVG bytes safely and return the root <svg> element."""
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SvgError(
            f"The SVG file is not saved as UTF-8 text (invalid UTF-8 at byte {error.start}). "
            f"{_SAVE_AS_UTF8}"
        ) from None
    declared_encoding = _XML_ENCODING.match(body)
    if declared_encoding and declared_encoding.group(1).decode("ascii", "replace").lower() not in (
        _UTF8_NAMES
    ):
        shown = _shorten(declared_encoding.group(1).decode("ascii", "replace"))
        raise SvgError(
            "The SVG file is not saved as UTF-8 text (its XML declaration says "
            f'encoding="{shown}"). ' + _SAVE_AS_UTF8
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
            raise SvgError(
                f"This file is not a PNG or SVG image: it is an HTML document. {ACCEPTED}"
            ) from None
        raise SvgError(
            f"The SVG file contains a DTD or entity declarations (<!DOCTYPE {error.name}>), which "
            "are not allowed because they can be used to attack servers. Remove the DOCTYPE and "
            "any <!ENTITY> declarations, then upload the file again."
        ) from None
    except (EntitiesForbidden, ExternalReferenceForbidden):  # pragma: no cover - DTD first
        raise SvgError(
            "The SVG file contains DTD or entity declarations or external entities, which are "
            f"not allowed because they can be used to attack servers. {_REMOVE}"
        ) from None
    except ParseError as error:
        line, column = error.position
        raise SvgError(
            f"The SVG file is damaged: it is not well-formed XML ({ErrorString(error.code)} at "
            f"line {line}, column {column + 1}). Export it again from your drawing program and "
            f"upload the new file."
        ) from None
    if root.tag != _SVG_ROOT:
        if root.tag == "svg":
            raise SvgError(
                "The file is not a valid SVG image: its <svg> element has no SVG namespace. "
                f'Add xmlns="{_SVG_NS}" to it and upload it again.'
            )
        raise SvgError(
            "This file is not a PNG or SVG image: it is an XML document whose root element is "
            f"<{_shorten(_local_name(root.tag))}>, not <svg>. {ACCEPTED}"
        )
    for target in builder.processing_instructions:
        if target.lower() == "xml-stylesheet":
            raise SvgError(
                "The SVG file loads a style sheet (<?xml-stylesheet?> processing instruction), "
                "which badge images may not do. Put the styles in a <style> element inside the "
                "image and upload it again."
            )
    return root


# --- safety checks -------------------------------------------------------------------


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


def check_svg_content(root: Element[Any]) -> None:
    """Raise SvgError when the document holds scripts, handlers or external references."""
    for element, name in _elements(root):
        lowered = name.lower()
        if lowered in _SCRIPT_ELEMENTS:
            raise SvgError(
                f"The SVG image contains a script (<{name}> element). Badge images are shown to "
                f"everyone and must not run code: remove the script and upload the file again."
            )
        if lowered == "foreignobject":
            raise SvgError(
                f"The SVG image contains HTML or other foreign content (<{name}> element), which "
                f"badge images may not have. {_REMOVE}"
            )
        for attribute, value in element.attrib.items():
            _check_attribute(name, lowered, attribute, value)
        if lowered == "style":
            _check_css("".join(element.itertext()), f"in <{name}>")


def _check_attribute(element: str, lowered_element: str, attribute: str, value: str) -> None:
    local = _local_name(attribute).lower()
    shown = _display_attribute(attribute)
    if local.startswith("on"):
        raise SvgError(
            f"The SVG image has an event handler attribute ({shown} on <{element}>), which can run "
            f"code. {_REMOVE}"
        )
    if local in _REFERENCE_ATTRIBUTES:
        if not _is_allowed_reference(value):
            raise SvgError(
                f'The SVG image refers to an outside resource ({shown}="{_shorten(value)}" on '
                f"<{element}>). {_ALLOWED_REFERENCES}"
            )
        return
    if local == "attributename" and lowered_element in _ANIMATION_ELEMENTS:
        target = value.strip().rsplit(":", 1)[-1].lower()
        if target in _REFERENCE_ATTRIBUTES or target.startswith("on"):
            raise SvgError(
                f'The SVG image animates a link or an event handler (attributeName="'
                f'{_shorten(value)}" on <{element}>), which can run code. Remove that animation '
                f"and upload the file again."
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
        raise SvgError(
            f"The SVG image imports an outside style sheet (@import {where}). Put the styles in "
            f"the image itself and upload it again."
        )
    if _CSS_IMAGE_SET.search(css):
        raise SvgError(
            f"The SVG image refers to an outside resource (image-set() {where}). "
            f"{_ALLOWED_REFERENCES}"
        )
    for match in _CSS_URL.finditer(css):
        reference = _css_url_value(css, match.end())
        if not _is_allowed_reference(reference):
            raise SvgError(
                f"The SVG image refers to an outside resource (url({_shorten(reference)}) "
                f"{where}). {_ALLOWED_REFERENCES}"
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


# --- size ----------------------------------------------------------------------------


def svg_size(root: Element[Any]) -> tuple[float | None, float | None]:
    """Return the width and height in pixels, from width/height or the viewBox, if known."""
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
