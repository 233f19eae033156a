"""What PNG and SVG baking share: the baking versions, the error, and payload serialisation.

Plain values only: no Flask, no database.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, TypeAlias

__all__ = ["BakingError", "BakingVersion", "brace_safe_json", "version_error"]

BakingVersion: TypeAlias = Literal["ob2", "ob3"]


class BakingError(ValueError):
    """An image cannot be baked or unbaked; str(error) says why."""


def version_error(version: object) -> ValueError:
    """The error for a version that is neither "ob2" nor "ob3"."""
    # A caller's bug, not a bad image, so not a BakingError.
    return ValueError(f"unknown Open Badges baking version {version!r}: use 'ob2' or 'ob3'")


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
