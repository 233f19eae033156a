"""Open Badges baking: embed an OB 2.0 assertion or OB 3.0 credential in a PNG or SVG image.

Implements baking as the spec digest's section 4 describes it, chosen by ``version``:
``"ob2"`` (Open Badges 2.0 Baking 1.0, the default) or ``"ob3"`` (Open Badges 3.0).  The two
are independent: baking one version replaces that version's chunk or element and keeps the
other's, so an image may carry both.  Baking splices the new chunk or element into the original
bytes or text; nothing else in the image is re-encoded.

- :mod:`.png`: the ``iTXt`` chunk right after ``IHDR`` (4.1);
- :mod:`.svg`: the badge element right after the root ``<svg>`` start tag (4.2);
- :mod:`.payloads`: what both share (versions, the error, serialising a credential).

Plain values only: no Flask, no database.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from issuer.openbadges.baking.payloads import BakingError, BakingVersion, brace_safe_json
from issuer.openbadges.baking.png import bake_png, unbake_png
from issuer.openbadges.baking.svg import bake_svg, unbake_svg
from issuer.openbadges.png import PNG_SIGNATURE

__all__ = [
    "BakingError",
    "BakingVersion",
    "bake_png",
    "bake_svg",
    "brace_safe_json",
    "detect_image_type",
    "unbake_png",
    "unbake_svg",
]

_SNIFF_BYTES: Final = 4096
_SVG_SNIFF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?svg[ \t\r\n/>]")


def detect_image_type(data: bytes) -> Literal["png", "svg"] | None:
    """Sniff whether bytes are a PNG or an SVG image (a cheap check, not a validation)."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head = data[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if head.startswith(b"<") and _SVG_SNIFF.search(head):
        return "svg"
    return None
