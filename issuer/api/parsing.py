"""Reading request input: JSON bodies checked against their schema, ids and paging."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, request

from issuer import context
from issuer.openbadges.text import MAX_JSON_DEPTH, TextInputError, check_json_text
from issuer.openbadges.timestamps import parse_timestamp
from issuer.services.errors import InvalidInputError

# Longer than any number our API takes: a bound-checked integer column holds 19 digits.
_MAX_NUMBER_LENGTH = 20


class _NumberError(ValueError):
    """A number in the body that no field of ours can hold."""


def json_body(schema_name: str) -> dict[str, Any]:
    """Return the request's JSON object after checking it against ``schemas/api/<name>.json``.

    Anything the parser cannot take (invalid or non-UTF-8 JSON, numbers beyond any field,
    NaN, nesting too deep, control characters or unpaired surrogates in text) is a 400.
    """
    if not request.is_json:
        abort(415, "send a JSON body with 'Content-Type: application/json'")
    raw = request.get_data(cache=False)
    try:
        body = json.loads(
            raw, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    except UnicodeDecodeError:
        abort(400, "the request body is not UTF-8 text")
    except json.JSONDecodeError as error:
        abort(
            400,
            f"the request body is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}",
        )
    except _NumberError as error:
        abort(400, f"the request body is not usable JSON: {error}")
    except RecursionError:
        abort(400, f"the request body nests more than {MAX_JSON_DEPTH} levels deep")
    if not isinstance(body, dict):
        abort(400, "the request body must be a JSON object")
    try:
        check_json_text(body)
    except TextInputError as error:
        raise InvalidInputError(error.message, error.field or None) from None
    context.schemas().validate(f"api/{schema_name}", body)
    return body


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_NUMBER_LENGTH:
        raise _NumberError(f"a number has more than {_MAX_NUMBER_LENGTH} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberError(f"the number {text[:40]} is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise _NumberError(f"{name} is not a JSON number")


@dataclass(frozen=True)
class Page:
    """A page of a listing, from ``?page=`` (from 1) and ``?per_page=`` (1 to 500)."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.number - 1) * self.size


# Far beyond any listing (a million pages), and an offset every database can take.
MAX_PAGE = 1_000_000


def page_args(default_size: int = 50, max_size: int = 500) -> Page:
    """Read and check the paging query parameters."""
    number = _int_arg("page", 1)
    size = _int_arg("per_page", default_size)
    if not 1 <= number <= MAX_PAGE:
        abort(400, f"page must be between 1 and {MAX_PAGE:,}")
    if not 1 <= size <= max_size:
        abort(400, f"per_page must be between 1 and {max_size}")
    return Page(number, size)


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        if len(raw) > _MAX_NUMBER_LENGTH:
            raise ValueError(raw)
        return int(raw)
    except ValueError:
        abort(400, f"{name} must be a whole number of at most {_MAX_NUMBER_LENGTH} digits")


def optional_datetime(value: str | None) -> datetime | None:
    """Parse a date-time field that the request schema has already checked, into UTC."""
    return parse_timestamp(value) if value else None


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
