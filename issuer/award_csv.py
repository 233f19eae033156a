"""Bulk award rosters: parse a CSV file of badge recipients and report every problem in it.

The file has a header row naming its columns (``email`` is required; ``name``, ``narrative``,
``evidence_url``, ``issued_on`` and ``expires`` are optional), then one record per recipient.
It is UTF-8, with or without a byte-order mark, separated by commas or semicolons (spreadsheets
in many locales save with semicolons), with LF, CRLF or CR line endings.

Only a file that cannot be read at all raises :class:`CsvFormatError`.  Anything wrong with the
header or with single rows is collected in the returned :class:`Roster`, so that a person fixing
the file sees every problem at once instead of one per upload.  Plain values only: no Flask, no
database.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from issuer.openbadges.identity import InvalidEmailError, normalize_email
from issuer.openbadges.text import text_problem
from issuer.openbadges.timestamps import TimestampError, check_timestamp

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "CsvFormatError",
    "RecipientRow",
    "Roster",
    "parse_roster",
]

MAX_ROWS: Final = 10_000
COLUMNS: tuple[str, ...] = ("email", "name", "narrative", "evidence_url", "issued_on", "expires")

MAX_NAME: Final = 500
MAX_NARRATIVE: Final = 20_000
MAX_URL: Final = 2048

_BOM: Final = b"\xef\xbb\xbf"
# The first bytes of an .xlsx (a ZIP archive) and of an old .xls workbook.
_XLSX: Final = b"PK\x03\x04"
_XLS: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ACCEPTED: Final = ", ".join(COLUMNS)
_SHOW_LIMIT: Final = 60
_FOUND_LIMIT: Final = 10
# Characters that make a line blank for choosing the delimiter: a spreadsheet saves an empty
# row as a run of separators.
_BLANK_LINE_CHARS: Final = " \t\r\n,;"
_DATE_OR_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?P<time>[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)
_DATE_FORMS: Final = (
    "use YYYY-MM-DD or a date-time such as 2026-05-01T09:30:00Z or 2026-05-01 09:30+02:00"
)
_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


class CsvFormatError(ValueError):
    """The file as a whole cannot be read: nothing in it is usable."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row


@dataclass(frozen=True, slots=True)
class RecipientRow:
    """One recipient record; a field is None when it is missing or invalid."""

    row: int
    email: str | None
    name: str | None
    narrative: str | None
    evidence_url: str | None
    issued_on: datetime | None
    expires: datetime | None
    errors: tuple[str, ...]
    duplicate_of: int | None


@dataclass(frozen=True, slots=True)
class Roster:
    """A parsed file: its delimiter, header, header problems and recipient rows."""

    delimiter: str
    columns: tuple[str, ...]
    header_errors: tuple[str, ...]
    rows: tuple[RecipientRow, ...]

    @property
    def has_errors(self) -> bool:
        """Return whether the header or any row has a problem."""
        return bool(self.header_errors) or any(row.errors for row in self.rows)


def parse_roster(data: bytes, *, max_rows: int = MAX_ROWS) -> Roster:
    """Parse a recipients CSV file; raise CsvFormatError only when the file is unreadable."""
    if data.startswith((_XLSX, _XLS)):
        # A workbook uploaded as it is: say what to do in the spreadsheet.
        raise CsvFormatError(
            "This is a spreadsheet workbook (Excel or similar), not a CSV file. In your "
            "spreadsheet, save or download the sheet as “CSV UTF-8” and upload that file."
        )
    offset = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[offset:].decode("utf-8")
    except UnicodeDecodeError as error:
        raise _not_utf8(data, offset + error.start) from None

    header_line = _first_content_line(text)
    if header_line is None:
        raise _empty_file()
    delimiter = _choose_delimiter(header_line)

    records = _read_records(text, delimiter)
    if not records:
        raise _empty_file()
    header_row, header = records[0]
    columns = tuple(cell.strip().lower() for cell in header)
    if "email" not in columns:
        found = ", ".join(_show(cell.strip()) for cell in header[:_FOUND_LIMIT])
        if len(header) > _FOUND_LIMIT:
            found += ", …"
        raise CsvFormatError(
            "The first line of the file must name the columns, and one of them must be email "
            f"(the first line here reads: {found}). The columns you can use are {_ACCEPTED}.",
            row=header_row,
        )
    data_records = records[1:]
    if not data_records:
        raise CsvFormatError(
            "The file names its columns but lists no recipients. Add one line per recipient "
            "below the first line."
        )
    if len(data_records) > max_rows:
        raise CsvFormatError(
            f"The file has {len(data_records):,} recipients, but at most {max_rows:,} can be "
            "awarded from one file. Split it into smaller files."
        )

    header_errors, positions = _check_header(header, columns)
    width = len(header)
    # An absent column reads the empty cell that _parse_row appends after the last column.
    picks = _Picks(*(positions.get(column, width) for column in COLUMNS))
    first_row_of: dict[str, int] = {}
    rows = tuple(
        _parse_row(row, record, picks, width, delimiter, first_row_of)
        for row, record in data_records
    )
    return Roster(
        delimiter=delimiter, columns=columns, header_errors=tuple(header_errors), rows=rows
    )


# --- reading the file -------------------------------------------------------------------------


def _not_utf8(data: bytes, position: int) -> CsvFormatError:
    # Count CR, LF and CR LF each as one line break, the way the CSV reader does.
    line = (
        data.count(b"\n", 0, position)
        + data.count(b"\r", 0, position)
        - data.count(b"\r\n", 0, position)
        + 1
    )
    return CsvFormatError(
        f"The file is not saved as UTF-8 text: line {line} has a character that cannot be read "
        f"(byte 0x{data[position]:02X}). In your spreadsheet, save the file as “CSV UTF-8” and "
        "upload it again.",
        row=line,
    )


def _empty_file() -> CsvFormatError:
    return CsvFormatError(
        "The file is empty. Its first line must name the columns, for example: email,name"
    )


def _first_content_line(text: str) -> str | None:
    # newline="" splits on LF, CRLF and CR alike and keeps the endings, as the csv module wants.
    for line in io.StringIO(text, newline=""):
        if line.strip(_BLANK_LINE_CHARS):
            return line
    return None


def _choose_delimiter(line: str) -> str:
    commas = semicolons = 0
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char == ",":
            commas += 1
        elif char == ";":
            semicolons += 1
    if commas and semicolons:
        # A header such as "name;email,address" is ambiguous; the split that yields real
        # column names is the one the author meant.
        return max((",", ";"), key=lambda delimiter: _known_names(line, delimiter))
    return ";" if semicolons else ","


def _known_names(line: str, delimiter: str) -> int:
    cells = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    return sum(1 for cell in cells if cell.strip().lower() in COLUMNS)


def _read_records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Return every non-blank record with the line it starts on."""
    # strict: an unclosed quote at the end of the file is an error instead of a silent
    # swallowing of the rest of the file into one cell.
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        skipinitialspace=True,
        strict=True,
    )
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            if "".join(record).strip():
                records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as error:
        reason = str(error)
        if reason == "unexpected end of data":
            message = (
                f'Row {start} has a quoted value that is never closed: a double quote (") is '
                "missing."
            )
        elif reason.startswith("field larger than field limit"):
            # Usually a stray quote that swallowed the following lines.
            message = (
                f"Row {start} has a value longer than {csv.field_size_limit():,} characters. Is "
                "a double quote left open?"
            )
        else:
            message = (
                f"Row {start} cannot be read as CSV ({reason}). Put values that contain commas, "
                'semicolons or quotes in double quotes, and double any quote inside them ("").'
            )
        raise CsvFormatError(message, row=start) from None
    return records


# --- the header -------------------------------------------------------------------------------


def _check_header(header: list[str], columns: tuple[str, ...]) -> tuple[list[str], dict[str, int]]:
    """Return the header's problems and the position of each known column's first occurrence."""
    errors: list[str] = []
    positions: dict[str, int] = {}
    for index, (cell, column) in enumerate(zip(header, columns, strict=True)):
        number = index + 1
        if not column:
            errors.append(
                f"column {number} has no name; name it or delete it "
                f"(the accepted columns are {_ACCEPTED})"
            )
        elif column not in COLUMNS:
            close = difflib.get_close_matches(column, COLUMNS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(
                f"column {number}: unknown column {_show(cell.strip())}{hint}; "
                f"the accepted columns are {_ACCEPTED}"
            )
        elif column in positions:
            errors.append(
                f"column {number}: {column!r} is repeated (first in column "
                f"{positions[column] + 1}); each of {_ACCEPTED} may appear once"
            )
        else:
            positions[column] = index
    return errors, positions


# --- one row ----------------------------------------------------------------------------------


class _Picks(NamedTuple):
    """The position of each known column in a record."""

    email: int
    name: int
    narrative: int
    evidence_url: int
    issued_on: int
    expires: int


def _parse_row(
    row: int,
    record: list[str],
    picks: _Picks,
    width: int,
    delimiter: str,
    first_row_of: dict[str, int],
) -> RecipientRow:
    errors: list[str] = []

    if len(record) > width:
        # Trailing empty cells are what spreadsheets write for an untouched column; only a
        # value with nowhere to go (usually an unquoted delimiter inside a name) is a problem.
        for index in range(width, len(record)):
            value = record[index].strip()
            if value:
                errors.append(
                    f"This row has {len(record)} values but the first line names {width} "
                    f"columns: {_show(value)} in column {index + 1} has no column. Put values "
                    f"that contain {delimiter!r} in double quotes."
                )
                break
        cells = record[:width]
    else:
        # Missing trailing cells are empty.
        cells = record + [""] * (width - len(record))
    cells.append("")

    email: str | None = None
    duplicate_of: int | None = None
    raw_email = cells[picks.email].strip()
    if not raw_email:
        errors.append("email: missing; every row needs the recipient's e-mail address")
    else:
        try:
            email = normalize_email(raw_email)
        except InvalidEmailError as error:
            errors.append(f"email: {_shorten_repr(str(error), raw_email)}")
        else:
            duplicate_of = first_row_of.setdefault(email, row)
            if duplicate_of == row:
                duplicate_of = None

    name = _limited(cells[picks.name].strip(), "name", MAX_NAME, errors)
    narrative = _limited(cells[picks.narrative].strip(), "narrative", MAX_NARRATIVE, errors)
    evidence_url = _url(cells[picks.evidence_url].strip(), errors)
    issued_text = cells[picks.issued_on].strip()
    expires_text = cells[picks.expires].strip()
    issued_on = _date(issued_text, "issued_on", errors)
    expires = _date(expires_text, "expires", errors)
    if issued_on is not None and expires is not None and expires <= issued_on:
        errors.append(
            f"expires: {_show(expires_text)} is not later than issued_on {_show(issued_text)}"
        )

    return RecipientRow(
        row=row,
        email=email,
        name=name,
        narrative=narrative,
        evidence_url=evidence_url,
        issued_on=issued_on,
        expires=expires,
        errors=tuple(errors),
        duplicate_of=duplicate_of,
    )


def _limited(value: str, column: str, limit: int, errors: list[str]) -> str | None:
    if not value:
        return None
    if len(value) > limit:
        errors.append(
            f"{column}: {_show(value)} is {len(value):,} characters long; the limit is {limit:,}"
        )
        return None
    problem = text_problem(value)
    if problem is not None:
        errors.append(f"{column}: {_show(value)} {problem}")
        return None
    return value


def _url(value: str, errors: list[str]) -> str | None:
    if not value:
        return None
    if len(value) > MAX_URL:
        errors.append(
            f"evidence_url: {_show(value)} is {len(value):,} characters long; "
            f"the limit is {MAX_URL:,}"
        )
        return None
    valid = False
    if not _URL_FORBIDDEN.search(value):
        try:
            parts = urlsplit(value)
        except ValueError:  # e.g. an unbalanced "[" in the host
            pass
        else:
            valid = parts.scheme in ("http", "https") and _has_host(parts.netloc)
    if not valid:
        errors.append(
            f"evidence_url: {_show(value)} is not an absolute http(s) URL, "
            "e.g. https://example.org/work"
        )
        return None
    return value


def _has_host(netloc: str) -> bool:
    # What SplitResult.hostname checks, without its cost: something between the user
    # information and the port.  urlsplit has already rejected unbalanced brackets.
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host.find("]") > 1
    return bool(host.partition(":")[0])


def _date(value: str, column: str, errors: list[str]) -> datetime | None:
    if not value:
        return None
    # fromisoformat alone also takes week dates, ordinal dates and compact forms; the regular
    # expression keeps the accepted forms to the ones the message promises.
    candidate = value.upper()
    match = _DATE_OR_DATETIME.fullmatch(candidate)
    if match is None:
        errors.append(f"{column}: {_show(value)} is not a date; {_DATE_FORMS}")
        return None
    # Spelling out UTC in the text is several times cheaper than datetime.replace(tzinfo=...).
    if match["time"] is None:
        candidate += "T00:00+00:00"
    elif match["zone"] is None:
        candidate += "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError as error:
        # The shape is right, so this is a range problem such as "month must be in 1..12".
        errors.append(f"{column}: {_show(value)} is not a valid date ({error}); {_DATE_FORMS}")
        return None
    try:
        return check_timestamp(parsed)
    except TimestampError as error:
        errors.append(f"{column}: {_show(value)} {error}")
        return None


def _show(value: str) -> str:
    """Quote a value for a message, cut to about 60 characters."""
    if len(value) > _SHOW_LIMIT:
        value = value[:_SHOW_LIMIT] + "…"
    return repr(value)


def _shorten_repr(message: str, value: str) -> str:
    # normalize_email's message starts with the whole value; a pasted paragraph would drown it.
    full = repr(value)
    if message.startswith(full):
        return _show(value) + message[len(full) :]
    return message
