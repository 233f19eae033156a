"""Reading request input: JSON bodies checked against their schema, ids and paging."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, request

from issuer import context


def json_body(schema_name: str) -> dict[str, Any]:
    """Return the request's JSON object after checking it against ``schemas/api/<name>.json``."""
    if not request.is_json:
        abort(415, "send a JSON body with 'Content-Type: application/json'")
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw)
    except UnicodeDecodeError:
        abort(400, "the request body is not UTF-8 text")
    except json.JSONDecodeError as error:
        abort(
            400,
            f"the request body is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}",
        )
    if not isinstance(body, dict):
        abort(400, "the request body must be a JSON object")
    context.schemas().validate(f"api/{schema_name}", body)
    return body


@dataclass(frozen=True)
class Page:
    """A page of a listing, from ``?page=`` (from 1) and ``?per_page=`` (1 to 500)."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.number - 1) * self.size


def page_args(default_size: int = 50, max_size: int = 500) -> Page:
    """Read and check the paging query parameters."""
    number = _int_arg("page", 1)
    size = _int_arg("per_page", default_size)
    if number < 1:
        abort(400, "page must be 1 or more")
    if not 1 <= size <= max_size:
        abort(400, f"per_page must be between 1 and {max_size}")
    return Page(number, size)


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        abort(400, f"{name} must be a whole number, got {raw!r}")


def optional_datetime(value: str | None) -> datetime | None:
    """Parse a date-time field that the request schema has already checked (zoned ISO 8601)."""
    return datetime.fromisoformat(value) if value else None


CSV_TYPES = ("text/csv", "application/csv")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def flag_arg(name: str, default: bool) -> bool:
    """Read a yes/no query parameter: 1/true/yes/on (or bare) or 0/false/no/off."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw == "" or raw.lower() in _TRUE:  # a bare ?dry_run means yes
        return True
    if raw.lower() in _FALSE:
        return False
    abort(400, f"{name} must be 1 or 0 (true or false), got {raw!r}")
