"""Unit tests for issuer.award_csv: parsing a bulk-award CSV file of recipients."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from issuer.award_csv import (
    COLUMNS,
    MAX_ROWS,
    CsvFormatError,
    RecipientRow,
    Roster,
    parse_roster,
)

ACCEPTED = "email, name, narrative, evidence_url, issued_on, expires"
DATE_FORMS = "use YYYY-MM-DD or a date-time such as 2026-05-01T09:30:00Z or 2026-05-01 09:30+02:00"
ALL_COLUMNS = b"email,name,narrative,evidence_url,issued_on,expires\n"


# --- helpers ---------------------------------------------------------------------------------


def recipient(
    row: int,
    email: str | None,
    *,
    name: str | None = None,
    narrative: str | None = None,
    evidence_url: str | None = None,
    issued_on: datetime | None = None,
    expires: datetime | None = None,
    errors: tuple[str, ...] = (),
    duplicate_of: int | None = None,
) -> RecipientRow:
    """The RecipientRow expected for a row: every field not given is None or empty."""
    return RecipientRow(
        row=row,
        email=email,
        name=name,
        narrative=narrative,
        evidence_url=evidence_url,
        issued_on=issued_on,
        expires=expires,
        errors=errors,
        duplicate_of=duplicate_of,
    )


def fatal(data: bytes, **options: int) -> CsvFormatError:
    """The CsvFormatError parse_roster raises for data."""
    with pytest.raises(CsvFormatError) as caught:
        parse_roster(data, **options)
    return caught.value


def errors_of(data: bytes) -> list[tuple[str, ...]]:
    """The errors of each row of a file that is readable."""
    return [row.errors for row in parse_roster(data).rows]


def one_row(header: bytes, line: bytes) -> RecipientRow:
    """The single row of a file with the given header and one record."""
    roster = parse_roster(header + b"\n" + line + b"\n")
    assert len(roster.rows) == 1
    return roster.rows[0]


# --- the public constants ----------------------------------------------------------------------


def test_public_constants() -> None:
    assert MAX_ROWS == 10_000
    assert COLUMNS == ("email", "name", "narrative", "evidence_url", "issued_on", "expires")


# --- well-formed files -------------------------------------------------------------------------


def test_a_minimal_email_only_file() -> None:
    roster = parse_roster(b"email\nada@example.org\n")

    assert roster == Roster(
        delimiter=",",
        columns=("email",),
        header_errors=(),
        rows=(recipient(2, "ada@example.org"),),
    )
    assert roster.has_errors is False


def test_a_file_without_a_final_newline() -> None:
    roster = parse_roster(b"email\nada@example.org\nbob@example.org")

    assert roster.rows == (recipient(2, "ada@example.org"), recipient(3, "bob@example.org"))


def test_all_columns() -> None:
    data = ALL_COLUMNS + (
        b"Ada@Example.org,Ada Lovelace,Wrote the first program,https://example.org/notes,"
        b"2026-05-01,2027-05-01T12:30:00Z\n"
    )

    assert parse_roster(data).rows == (
        recipient(
            2,
            "ada@example.org",
            name="Ada Lovelace",
            narrative="Wrote the first program",
            evidence_url="https://example.org/notes",
            issued_on=datetime(2026, 5, 1, tzinfo=UTC),
            expires=datetime(2027, 5, 1, 12, 30, tzinfo=UTC),
        ),
    )


def test_columns_may_come_in_any_order_and_cells_are_trimmed() -> None:
    roster = parse_roster(b"name,email\n  Ada  ,  ada@example.org  \n")

    assert roster.columns == ("name", "email")
    assert roster.rows == (recipient(2, "ada@example.org", name="Ada"),)


def test_empty_cells_mean_not_given_and_missing_trailing_cells_are_empty() -> None:
    data = ALL_COLUMNS + b"ada@example.org,,  ,\nbob@example.org\n"

    assert parse_roster(data).rows == (
        recipient(2, "ada@example.org"),
        recipient(3, "bob@example.org"),
    )


def test_utf8_text_and_a_byte_order_mark() -> None:
    data = "\ufeffemail,name\nzoe@example.org,Zoë ✓\n".encode()

    roster = parse_roster(data)

    assert roster.columns == ("email", "name")
    assert roster.rows == (recipient(2, "zoe@example.org", name="Zoë ✓"),)


def test_semicolon_separated_with_commas_inside_values() -> None:
    roster = parse_roster(b"email;name\nada@example.org;Lovelace, Ada\n")

    assert roster.delimiter == ";"
    assert roster.rows == (recipient(2, "ada@example.org", name="Lovelace, Ada"),)


def test_a_separator_inside_quotes_in_the_header_does_not_count() -> None:
    roster = parse_roster(b'email;"name, full"\nada@example.org;Ada\n')

    assert roster.delimiter == ";"
    assert roster.columns == ("email", "name, full")


def test_with_both_separators_the_one_giving_known_columns_wins() -> None:
    roster = parse_roster(b"email;name;weird,column\nada@example.org;Ada;x\n")

    assert roster.delimiter == ";"
    assert roster.columns == ("email", "name", "weird,column")
    assert roster.rows == (recipient(2, "ada@example.org", name="Ada"),)


def test_with_both_separators_and_a_tie_the_comma_wins() -> None:
    roster = parse_roster(b"email,x;y\nada@example.org,z\n")

    assert roster.delimiter == ","
    assert roster.columns == ("email", "x;y")


@pytest.mark.parametrize("newline", [b"\r\n", b"\r", b"\n"], ids=["CRLF", "CR", "LF"])
def test_line_endings(newline: bytes) -> None:
    data = newline.join([b"email,name", b"ada@example.org,Ada", b"bob@example.org,Bob", b""])

    assert parse_roster(data).rows == (
        recipient(2, "ada@example.org", name="Ada"),
        recipient(3, "bob@example.org", name="Bob"),
    )


def test_quoted_fields_with_delimiters_doubled_quotes_and_newlines() -> None:
    data = (
        b"email,name,narrative\n"
        b'ada@example.org,"Lovelace, Ada","She said ""hello""\nand left"\n'
        b"bob@example.org,Bob,\n"
        b'cy@example.org,"Cy\n\nYoung",x\n'
        b"dee@example.org\n"
    )

    assert parse_roster(data).rows == (
        recipient(
            2, "ada@example.org", name="Lovelace, Ada", narrative='She said "hello"\nand left'
        ),
        recipient(4, "bob@example.org", name="Bob"),
        recipient(5, "cy@example.org", name="Cy\n\nYoung", narrative="x"),
        recipient(8, "dee@example.org"),
    )


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_quoted_newlines_with_other_line_endings_keep_row_numbers(newline: bytes) -> None:
    data = newline.join(
        [b"email,narrative", b'ada@example.org,"one', b'two"', b"bob@example.org,x", b""]
    )

    assert parse_roster(data).rows == (
        recipient(2, "ada@example.org", narrative="one" + newline.decode() + "two"),
        recipient(4, "bob@example.org", narrative="x"),
    )


def test_a_space_before_an_opening_quote_is_ignored() -> None:
    roster = parse_roster(b'email, name\nada@example.org, "Lovelace, Ada"\n')

    assert roster.rows == (recipient(2, "ada@example.org", name="Lovelace, Ada"),)


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers() -> None:
    data = b"\n  \n,,\nemail,name\n\nada@example.org,Ada\n , \n \t , \nbob@example.org,Bob\n\n\n"

    roster = parse_roster(data)

    assert roster.columns == ("email", "name")
    assert roster.rows == (
        recipient(6, "ada@example.org", name="Ada"),
        recipient(9, "bob@example.org", name="Bob"),
    )


def test_header_names_ignore_case_and_surrounding_space() -> None:
    data = b" EMAIL , Name ,NARRATIVE,Evidence_URL, issued_ON ,Expires\nada@example.org,Ada\n"

    roster = parse_roster(data)

    assert roster.columns == COLUMNS
    assert roster.header_errors == ()
    assert roster.rows == (recipient(2, "ada@example.org", name="Ada"),)


# --- header problems that still let the rows be read --------------------------------------------


def test_an_unknown_column_is_a_header_error_and_rows_are_still_parsed() -> None:
    roster = parse_roster(b"email,nmae,colour\nada@example.org,Ada,red\nnot-an-address,Bob,blue\n")

    assert roster.columns == ("email", "nmae", "colour")
    assert roster.header_errors == (
        f"column 2: unknown column 'nmae' (did you mean 'name'?); the accepted columns are "
        f"{ACCEPTED}",
        f"column 3: unknown column 'colour'; the accepted columns are {ACCEPTED}",
    )
    assert roster.rows[0] == recipient(2, "ada@example.org")
    assert roster.rows[1].row == 3
    assert roster.rows[1].email is None
    assert roster.has_errors is True


def test_a_repeated_column_is_a_header_error_and_the_first_one_is_read() -> None:
    roster = parse_roster(b"email,name,Name\nada@example.org,Ada,Other\n")

    assert roster.header_errors == (
        f"column 3: 'name' is repeated (first in column 2); each of {ACCEPTED} may appear once",
    )
    assert roster.rows == (recipient(2, "ada@example.org", name="Ada"),)
    assert roster.has_errors is True


def test_an_empty_column_name_is_a_header_error() -> None:
    roster = parse_roster(b"email,,name\nada@example.org,ignored,Ada\n")

    assert roster.columns == ("email", "", "name")
    assert roster.header_errors == (
        f"column 2 has no name; name it or delete it (the accepted columns are {ACCEPTED})",
    )
    assert roster.rows == (recipient(2, "ada@example.org", name="Ada"),)


def test_header_errors_alone_make_the_roster_have_errors() -> None:
    roster = parse_roster(b"email,extra\nada@example.org,x\n")

    assert roster.rows == (recipient(2, "ada@example.org"),)
    assert roster.has_errors is True


# --- files that cannot be read at all -----------------------------------------------------------


def test_a_missing_email_column_is_fatal() -> None:
    error = fatal(b"Emial,name\nada@example.org,Ada\n")

    assert error.row == 1
    assert error.message == (
        "The first line of the file must name the columns, and one of them must be email (the "
        f"first line here reads: 'Emial', 'name'). The columns you can use are {ACCEPTED}."
    )
    assert str(error) == error.message
    assert isinstance(error, ValueError)


def test_a_file_without_a_header_is_fatal() -> None:
    error = fatal(b"ada@example.org,Ada\n")

    assert error.row == 1
    assert "(the first line here reads: 'ada@example.org', 'Ada')" in error.message
    assert error.message.startswith("The first line of the file must name the columns")


def test_the_missing_email_column_is_reported_on_the_header_line() -> None:
    assert fatal(b"\n\nname\nAda\n").row == 3


@pytest.mark.parametrize(
    "data", [b"", b"\xef\xbb\xbf", b"\n\n", b"  \r\n\t\r\n", b",,,\n;;\n"], ids=repr
)
def test_an_empty_file_is_fatal(data: bytes) -> None:
    error = fatal(data)

    assert error.message == (
        "The file is empty. Its first line must name the columns, for example: email,name"
    )
    assert error.row is None


@pytest.mark.parametrize("data", [b"email,name\n", b"email,name", b"email\n\n  \n,\n"], ids=repr)
def test_a_header_without_rows_is_fatal(data: bytes) -> None:
    error = fatal(data)

    assert error.message == (
        "The file names its columns but lists no recipients. Add one line per recipient below "
        "the first line."
    )
    assert error.row is None


def test_non_utf8_bytes_are_fatal_with_their_line_and_byte() -> None:
    error = fatal("email,name\nzoe@example.org,Zoé\n".encode("latin-1"))

    assert error.message == (
        "The file is not saved as UTF-8 text: line 2 has a character that cannot be read (byte "
        "0xE9). In your spreadsheet, save the file as “CSV UTF-8” and upload it again."
    )
    assert error.row == 2


@pytest.mark.parametrize(
    "start", [b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"], ids=["xlsx", "xls"]
)
def test_a_spreadsheet_workbook_is_named_as_such(start: bytes) -> None:
    error = fatal(start + b"email\nada@example.org\n")

    assert error.message == (
        "This is a spreadsheet workbook (Excel or similar), not a CSV file. In your spreadsheet, "
        "save or download the sheet as “CSV UTF-8” and upload that file."
    )


def test_the_line_of_a_bad_byte_counts_any_line_ending_after_a_byte_order_mark() -> None:
    error = fatal(b"\xef\xbb\xbfemail\r\na@example.org\rb@example.org\r\n\xff\n")

    assert error.message.startswith(
        "The file is not saved as UTF-8 text: line 4 has a character that cannot be read (byte "
        "0xFF)."
    )
    assert error.row == 4


def test_exactly_max_rows_is_accepted() -> None:
    # One address repeated keeps the test fast: e-mail validation is cached.
    data = b"email\n" + b"ada@example.org\n" * 10_000

    roster = parse_roster(data)

    assert len(roster.rows) == 10_000
    assert roster.rows[0] == recipient(2, "ada@example.org")
    assert roster.rows[-1] == recipient(10_001, "ada@example.org", duplicate_of=2)
    assert roster.has_errors is False


def test_one_more_than_max_rows_is_fatal_with_the_real_count() -> None:
    data = b"email\n" + b"ada@example.org\n" * 10_001

    error = fatal(data)

    assert error.message == (
        "The file has 10,001 recipients, but at most 10,000 can be awarded from one file. Split "
        "it into smaller files."
    )
    assert error.row is None


def test_the_row_limit_counts_every_row_and_skips_blank_lines() -> None:
    data = b"email\n" + b"\nnot an address\n" * 3

    assert fatal(data, max_rows=2).message.startswith(
        "The file has 3 recipients, but at most 2 can be awarded from one file."
    )
    assert len(parse_roster(data, max_rows=3).rows) == 3


def test_an_unclosed_quote_is_fatal_with_the_row_where_it_opens() -> None:
    error = fatal(b'email,name\nada@example.org,Ada\n\nbob@example.org,"Bob\ncy@example.org,Cy\n')

    assert error.message == (
        'Row 4 has a quoted value that is never closed: a double quote (") is missing.'
    )
    assert error.row == 4


def test_a_huge_value_is_fatal_with_a_hint_about_quotes() -> None:
    data = b'email,narrative\nada@example.org,"' + b"x\n" * 70_000 + b'"\n'

    error = fatal(data)

    assert error.message == (
        "Row 2 has a value longer than 131,072 characters. Is a double quote left open?"
    )
    assert error.row == 2


def test_text_after_a_closing_quote_is_fatal() -> None:
    error = fatal(b'email,name\nada@example.org,"Ada" Lovelace\n')

    assert error.message.startswith("Row 2 cannot be read as CSV (',' expected after '\"').")
    assert "Put values that contain commas" in error.message
    assert error.row == 2


# --- per-row problems ---------------------------------------------------------------------------


def test_duplicate_emails_differing_in_case_point_at_the_first_row() -> None:
    data = b"email\nada@example.org\nbob@example.org\nADA@example.org\n Ada@Example.Org \n"

    roster = parse_roster(data)

    assert roster.rows == (
        recipient(2, "ada@example.org"),
        recipient(3, "bob@example.org"),
        recipient(4, "ada@example.org", duplicate_of=2),
        recipient(5, "ada@example.org", duplicate_of=2),
    )
    assert roster.has_errors is False


def test_a_missing_email_is_a_row_error() -> None:
    row = one_row(b"email,name", b",Ada")

    assert row == recipient(
        2,
        None,
        name="Ada",
        errors=("email: missing; every row needs the recipient's e-mail address",),
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ada", "An email address must have an @-sign."),
        ("ada@", "There must be something after the @-sign."),
        (
            "a b@example.org",
            "The email address contains invalid characters before the @-sign: SPACE.",
        ),
    ],
)
def test_an_invalid_email_uses_the_identity_message(value: str, reason: str) -> None:
    row = one_row(b"email", value.encode())

    assert row.email is None
    assert row.errors == (f"email: {value!r} is not a valid e-mail address: {reason}",)


def test_a_long_invalid_email_is_shortened_in_the_message() -> None:
    value = "x" * 100 + "@"

    row = one_row(b"email", value.encode())

    assert row.errors == (
        f"email: '{'x' * 60}…' is not a valid e-mail address: "
        "There must be something after the @-sign.",
    )


def test_invalid_emails_are_not_counted_as_duplicates() -> None:
    rows = parse_roster(b"email\nnope\nnope\nada@example.org\n").rows

    assert [(row.email, row.duplicate_of) for row in rows] == [
        (None, None),
        (None, None),
        ("ada@example.org", None),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01T09:30", datetime(2026, 5, 1, 9, 30, tzinfo=UTC)),
        ("2026-05-01 09:30:15", datetime(2026, 5, 1, 9, 30, 15, tzinfo=UTC)),
        ("2026-05-01T09:30:15.250Z", datetime(2026, 5, 1, 9, 30, 15, 250_000, tzinfo=UTC)),
        ("2026-05-01t09:30z", datetime(2026, 5, 1, 9, 30, tzinfo=UTC)),
        ("2026-05-01T09:30:00+02:00", datetime(2026, 5, 1, 7, 30, tzinfo=UTC)),
        ("2026-05-01 00:30-0130", datetime(2026, 5, 1, 2, 0, tzinfo=UTC)),
        ("2026-01-01T00:30+01:00", datetime(2025, 12, 31, 23, 30, tzinfo=UTC)),
    ],
)
def test_dates_and_date_times_become_aware_utc(value: str, expected: datetime) -> None:
    row = one_row(b"email,issued_on", b"ada@example.org," + value.encode())

    assert row.errors == ()
    assert row.issued_on == expected
    assert row.issued_on is not None and row.issued_on.tzinfo is UTC


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("01/02/2026", f"issued_on: '01/02/2026' is not a date; {DATE_FORMS}"),
        ("tomorrow", f"issued_on: 'tomorrow' is not a date; {DATE_FORMS}"),
        ("20260501", f"issued_on: '20260501' is not a date; {DATE_FORMS}"),
        ("2026-W18-5", f"issued_on: '2026-W18-5' is not a date; {DATE_FORMS}"),
        ("2026-05-01T09", f"issued_on: '2026-05-01T09' is not a date; {DATE_FORMS}"),
        (
            "2026-13-01",
            f"issued_on: '2026-13-01' is not a valid date (month must be in 1..12); {DATE_FORMS}",
        ),
        (
            "2026-02-30",
            f"issued_on: '2026-02-30' is not a valid date (day is out of range for month); "
            f"{DATE_FORMS}",
        ),
        (
            "2026-05-01T25:00Z",
            f"issued_on: '2026-05-01T25:00Z' is not a valid date (hour must be in 0..23); "
            f"{DATE_FORMS}",
        ),
    ],
)
def test_bad_dates_are_row_errors(value: str, message: str) -> None:
    row = one_row(b"email,issued_on", b"ada@example.org," + value.encode())

    assert row.issued_on is None
    assert row.errors == (message,)


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00+01:00",  # overflows when converted to UTC
        "0001-01-01",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:30+01:00",
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_a_date_no_award_can_carry_is_a_row_error(value: str) -> None:
    row = one_row(b"email,expires", f"ada@example.org,{value}".encode())

    assert row.expires is None
    assert row.errors == (f"expires: {value!r} must lie between 1970-01-01 and 9999-12-31 (UTC)",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1970-01-01", datetime(1970, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("10000-01-01", None),  # not a four-digit year: not a date at all
    ],
)
def test_the_edges_of_the_date_range(value: str, expected: datetime | None) -> None:
    row = one_row(b"email,issued_on", f"ada@example.org,{value}".encode())

    assert row.issued_on == expected
    assert bool(row.errors) == (expected is None)


def test_control_characters_in_text_cells_are_row_errors() -> None:
    row = one_row(b"email,name,narrative", b"ada@example.org,Ada\x00,Tab\tand\x1b")

    assert (row.name, row.narrative) == (None, None)
    assert row.errors == (
        "name: 'Ada\\x00' contains a control character (U+0000); only tabs and line breaks "
        "are allowed",
        "narrative: 'Tab\\tand\\x1b' contains a control character (U+001B); only tabs and "
        "line breaks are allowed",
    )


@pytest.mark.parametrize(
    ("issued_on", "expires"),
    [
        ("2026-05-01", "2026-04-30"),
        ("2026-05-01", "2026-05-01"),
        ("2026-05-01T10:00Z", "2026-05-01T11:00+01:00"),
    ],
)
def test_expires_must_be_later_than_issued_on(issued_on: str, expires: str) -> None:
    row = one_row(b"email,issued_on,expires", f"ada@example.org,{issued_on},{expires}".encode())

    assert row.errors == (f"expires: {expires!r} is not later than issued_on {issued_on!r}",)
    assert row.issued_on is not None
    assert row.expires is not None


def test_expires_alone_or_later_is_fine() -> None:
    data = (
        b"email,issued_on,expires\na@example.org,,2026-01-01\nb@example.org,2026-01-01,2026-01-02\n"
    )

    assert errors_of(data) == [(), ()]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org",
        "http://example.org/work?id=1#top",
        "HTTPS://user@example.org:8443/x",
        "https://[2001:db8::1]/work",
    ],
)
def test_good_evidence_urls(url: str) -> None:
    row = one_row(b"email,evidence_url", f"ada@example.org,{url}".encode())

    assert row.errors == ()
    assert row.evidence_url == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x",
        "not a url",
        "javascript:alert(1)",
        "example.org/work",
        "https://",
        "https:///path",
        "https://user@:80/",
        "https://exa mple.org/",
        "https://example.org/\x7f",
        "http://[::1/",
    ],
)
def test_bad_evidence_urls(url: str) -> None:
    row = one_row(b"email,evidence_url", f'ada@example.org,"{url}"'.encode())

    assert row.evidence_url is None
    assert row.errors == (
        f"evidence_url: {url!r} is not an absolute http(s) URL, e.g. https://example.org/work",
    )


def test_evidence_url_length_limit() -> None:
    ok = "https://example.org/" + "a" * (2048 - 20)
    long = ok + "a"

    rows = parse_roster(
        f"email,evidence_url\na@example.org,{ok}\nb@example.org,{long}\n".encode()
    ).rows

    assert rows[0].evidence_url == ok
    assert rows[0].errors == ()
    assert rows[1].evidence_url is None
    assert rows[1].errors == (
        f"evidence_url: '{long[:60]}…' is 2,049 characters long; the limit is 2,048",
    )


def test_name_and_narrative_length_limits() -> None:
    data = (
        f"email,name,narrative\n"
        f"a@example.org,{'n' * 500},{'t' * 20_000}\n"
        f"b@example.org,{'n' * 501},{'t' * 20_001}\n"
    ).encode()

    rows = parse_roster(data).rows

    assert rows[0] == recipient(2, "a@example.org", name="n" * 500, narrative="t" * 20_000)
    assert rows[1] == recipient(
        3,
        "b@example.org",
        errors=(
            f"name: '{'n' * 60}…' is 501 characters long; the limit is 500",
            f"narrative: '{'t' * 60}…' is 20,001 characters long; the limit is 20,000",
        ),
    )


def test_too_many_cells_is_a_row_error() -> None:
    row = one_row(b"email,name", b"ada@example.org,Lovelace, Ada")

    assert row == recipient(
        2,
        "ada@example.org",
        name="Lovelace",
        errors=(
            "This row has 3 values but the first line names 2 columns: 'Ada' in column 3 has "
            "no column. Put values that contain ',' in double quotes.",
        ),
    )


def test_too_many_cells_with_semicolons_names_the_semicolon() -> None:
    row = one_row(b"email;name", b"ada@example.org;Ada;;x;y")

    assert row.errors == (
        "This row has 5 values but the first line names 2 columns: 'x' in column 4 has no "
        "column. Put values that contain ';' in double quotes.",
    )


def test_extra_empty_cells_are_not_an_error() -> None:
    assert one_row(b"email,name", b"ada@example.org,Ada,, ,") == recipient(
        2, "ada@example.org", name="Ada"
    )


def test_several_problems_in_one_row_are_all_reported_in_column_order() -> None:
    data = ALL_COLUMNS + b",,,mailto:ada,2026-05-02,2026-05-01,surplus\n"

    assert errors_of(data) == [
        (
            "This row has 7 values but the first line names 6 columns: 'surplus' in column 7 "
            "has no column. Put values that contain ',' in double quotes.",
            "email: missing; every row needs the recipient's e-mail address",
            "evidence_url: 'mailto:ada' is not an absolute http(s) URL, e.g. "
            "https://example.org/work",
            "expires: '2026-05-01' is not later than issued_on '2026-05-02'",
        )
    ]


def test_good_rows_next_to_bad_rows_are_returned_in_file_order() -> None:
    roster = parse_roster(b"email\nada@example.org\nbad\nbob@example.org\n")

    assert [row.row for row in roster.rows] == [2, 3, 4]
    assert [bool(row.errors) for row in roster.rows] == [False, True, False]
    assert roster.has_errors is True
