"""What text we accept from people: no control characters, valid Unicode, bounded nesting.

Every input path (JSON bodies, forms and query strings, CSV cells) applies the same rules, so
the same input behaves the same on SQLite and PostgreSQL: PostgreSQL cannot store NUL in text,
and a lone surrogate cannot be encoded as UTF-8 at all. Tabs and line breaks are ordinary text.
Plain values only: no Flask, no database.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["MAX_JSON_DEPTH", "TextInputError", "check_json_text", "check_text", "text_problem"]

# Deeper than any body of our API needs (the deepest is 3), shallow enough for any recursive code.
MAX_JSON_DEPTH: Final = 32

# C0 controls except tab, LF and CR; DEL and the C1 controls; UTF-16 surrogate code points,
# which Python strings can hold (JSON "\ud800" escapes) but no UTF-8 text can.
_FORBIDDEN: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class TextInputError(ValueError):
    """A piece of input text cannot be accepted; ``field`` names where it is (may be empty)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def text_problem(value: str) -> str | None:
    """Why this text cannot be accepted, or None when it is fine."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    if "\ud800" <= found.group() <= "\udfff":
        return f"contains an unpaired surrogate ({code}), which is not valid Unicode text"
    return f"contains a control character ({code}); only tabs and line breaks are allowed"


def check_text(value: str, field: str) -> None:
    """Raise TextInputError naming ``field`` when the text cannot be accepted."""
    problem = text_problem(value)
    if problem is not None:
        where = f"The text in {field}" if field else "The text"
        raise TextInputError(f"{where} {problem}. Remove it and send the text again.", field)


def check_json_text(document: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Check every key and string of a parsed JSON value, and how deep it nests.

    Iterative, so that a hostile document cannot exhaust the stack while being checked.
    """
    pending: list[tuple[Any, str, int]] = [(document, "", 1)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            check_text(value, path)
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise TextInputError(
                    f"{f'The JSON in {path}' if path else 'The JSON body'} nests arrays and "
                    f"objects more than {max_depth} levels deep.",
                    path,
                )
            if isinstance(value, list):
                pending.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
                continue
            for key, item in value.items():
                where = f"{path}.{key}" if path else key
                problem = text_problem(key)
                if problem is not None:
                    shown = ascii(key)[1:-1][:60]
                    raise TextInputError(f"The field name '{shown}' {problem}.", path)
                pending.append((item, where, depth + 1))
