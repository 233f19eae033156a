"""The instants an award may carry: aware, in UTC, between 1970 and the end of year 9999.

Every format an award is published in must be able to say its dates: ISO 8601 needs four-digit
years, and a VC-JWT's ``nbf``/``exp`` are seconds since 1970. Dates outside that range are
refused where they come in, after conversion to UTC (``0001-01-01T00:00:00+14:00`` is still
in year 0). Plain values only: no Flask, no database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

__all__ = ["EARLIEST", "LATEST", "RANGE", "TimestampError", "check_timestamp", "parse_timestamp"]

EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
RANGE: Final = "between 1970-01-01 and 9999-12-31 (UTC)"


class TimestampError(ValueError):
    """A date or time that an award cannot carry (no timezone, or out of range)."""


def check_timestamp(value: datetime) -> datetime:
    """Return the instant in UTC; raise TimestampError when it is naive or out of range."""
    if value.tzinfo is None:
        raise TimestampError("a timezone is required (for example 2024-05-01T12:00:00Z)")
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:  # the UTC instant falls before year 1 or after year 9999
        raise TimestampError(f"must lie {RANGE}") from None
    if not EARLIEST <= in_utc <= LATEST:
        raise TimestampError(f"must lie {RANGE}")
    return in_utc


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 date-time with a timezone into UTC; raise TimestampError if unusable."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise TimestampError(f"not an ISO 8601 date-time ({error})") from None
    return check_timestamp(parsed)
