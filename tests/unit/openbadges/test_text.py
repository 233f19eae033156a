"""Unit tests for issuer.openbadges.text: which text we accept, and how deep JSON may nest."""

from __future__ import annotations

from typing import Any

import pytest

from issuer.openbadges.text import (
    MAX_JSON_DEPTH,
    TextInputError,
    check_json_text,
    check_text,
    text_problem,
)


@pytest.mark.parametrize(
    "value",
    ["", "plain", "tab\there", "lines\r\nand\nmore", "Zoë ✓ 🎓 日本", "\u00a0nbsp", "\ufeff"],
)
def test_ordinary_text_passes(value: str) -> None:
    assert text_problem(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("\x00", "U+0000"),
        ("a\x08b", "U+0008"),
        ("\x0b", "U+000B"),
        ("\x1f", "U+001F"),
        ("\x7f", "U+007F"),
        ("\x85", "U+0085"),
        ("\x9f", "U+009F"),
    ],
)
def test_control_characters_are_refused(value: str, code: str) -> None:
    assert text_problem(value) == (
        f"contains a control character ({code}); only tabs and line breaks are allowed"
    )


@pytest.mark.parametrize("value", ["x\ud800", "\udfff", "\udc80y"])
def test_unpaired_surrogates_are_refused(value: str) -> None:
    assert "unpaired surrogate" in (text_problem(value) or "")


def test_check_text_names_the_field() -> None:
    with pytest.raises(TextInputError) as raised:
        check_text("a\x00", "name")
    assert raised.value.field == "name"
    assert raised.value.message == (
        "The text in name contains a control character (U+0000); only tabs and line breaks are "
        "allowed. Remove it and send the text again."
    )


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"a": {"b": ["ok", "bad\x00"]}}, "a.b[1]"),
        ([{"x": 1}, {"y": "\ud800"}], "[1].y"),
        ({"n\x00": 1}, ""),
        ({"a": [{"b\x01": True}]}, "a[0]"),
    ],
)
def test_check_json_text_finds_bad_text_anywhere(document: Any, field: str) -> None:
    with pytest.raises(TextInputError) as raised:
        check_json_text(document)
    assert raised.value.field == field


def test_check_json_text_limits_nesting_without_recursing() -> None:
    deep: Any = "leaf"
    for _ in range(100_000):  # far beyond the interpreter's recursion limit
        deep = [deep]
    with pytest.raises(TextInputError, match="levels deep"):
        check_json_text({"a": deep})
    shallow: Any = "leaf"
    for _ in range(MAX_JSON_DEPTH):  # exactly the limit
        shallow = [shallow]
    check_json_text(shallow)
    with pytest.raises(TextInputError):
        check_json_text([shallow])


def test_numbers_booleans_and_null_pass() -> None:
    check_json_text({"a": [1, 2.5, True, None, {"b": -3}]})
