"""Unit tests for issuer.openbadges.baking.payloads: versions and credential serialisation."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from issuer.openbadges.baking import (
    BakingError,
    bake_png,
    bake_svg,
    brace_safe_json,
    unbake_png,
    unbake_svg,
)
from tests.support import JWS, SVG_150, png_bytes


def test_unknown_version_is_a_value_error_not_a_baking_error() -> None:
    calls: list[Callable[[], object]] = [
        lambda: bake_png(png_bytes(), JWS, version="ob4"),  # type: ignore[arg-type]
        lambda: unbake_png(png_bytes(), version="ob4"),  # type: ignore[arg-type]
        lambda: bake_svg(SVG_150, JWS, version="ob4"),  # type: ignore[arg-type]
        lambda: unbake_svg(SVG_150, version="ob4"),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(ValueError, match="unknown Open Badges baking version 'ob4'") as info:
            call()
        assert not isinstance(info.value, BakingError)


def test_brace_safe_json_survives_brace_counting() -> None:
    document = {
        "name": 'Won {it} }{ "quoted" \\ back',
        "nested": {"list": ["{", "}", "ü{é}"], "n": 1},
    }
    text = brace_safe_json(document)
    assert json.loads(text) == document
    assert text.isascii()
    # As LCW reads it: from the first "{", count braces regardless of strings.
    depth, end = 0, 0
    for position, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            end = position
            break
    assert end == len(text) - 1
    assert json.loads(text[: end + 1]) == document
