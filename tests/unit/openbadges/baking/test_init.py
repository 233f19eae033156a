"""Unit tests for issuer.openbadges.baking itself: telling PNG from SVG."""

from __future__ import annotations

import pytest

from issuer.openbadges.baking import detect_image_type
from tests.support import SVG_150, png_bytes


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png_bytes(10, 10), "png"),
        (SVG_150.encode(), "svg"),
        (b'\xef\xbb\xbf\n<?xml version="1.0"?><svg:svg xmlns:svg="x"/>', "svg"),
        (b"<html><body>svg</body></html>", None),
        (b"GIF89a", None),
        (b"", None),
    ],
    ids=["png", "svg", "svg-prolog", "html", "gif", "empty"],
)
def test_detect_image_type(data: bytes, expected: str | None) -> None:
    assert detect_image_type(data) == expected
