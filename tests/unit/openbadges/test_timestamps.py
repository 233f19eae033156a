"""Unit tests for issuer.openbadges.timestamps: the instants an award may carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from issuer.openbadges.timestamps import (
    EARLIEST,
    LATEST,
    TimestampError,
    check_timestamp,
    parse_timestamp,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01T00:00:00Z", EARLIEST),
        ("9999-12-31T23:59:59.999999Z", LATEST),
        ("2026-05-01T11:30:00+02:00", datetime(2026, 5, 1, 9, 30, tzinfo=UTC)),
        ("1970-01-01T01:00:00+01:00", EARLIEST),
    ],
)
def test_instants_in_range_come_back_in_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: astimezone overflows
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:30:00+01:00",
    ],
)
def test_instants_out_of_range_are_refused(text: str) -> None:
    with pytest.raises(TimestampError, match="between 1970-01-01 and 9999-12-31"):
        parse_timestamp(text)


@pytest.mark.parametrize("text", ["2026-05-01T09:00:00", "2026-05-01", "yesterday", ""])
def test_naive_or_unreadable_text_is_refused(text: str) -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(text)


def test_check_timestamp_needs_a_zone() -> None:
    with pytest.raises(TimestampError, match="timezone"):
        check_timestamp(datetime(2026, 1, 1))
    assert check_timestamp(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5)))).hour == 5
