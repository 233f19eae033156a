"""Reading public ids (UUIDs) from request input: JSON bodies and form fields alike."""

from __future__ import annotations

import uuid

from issuer.services.errors import InvalidInputError


def parse_id(value: str, field: str) -> uuid.UUID:
    """Return the id written in ``value``, or raise InvalidInputError naming ``field``."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInputError(f"{field}: {value!r} is not a valid id", field) from None


def optional_id(value: str | None, field: str) -> uuid.UUID | None:
    """Like parse_id, but None (or an empty form field) means no id."""
    return parse_id(value, field) if value else None
