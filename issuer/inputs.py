"""The text rules of issuer.openbadges.text, applied to every request's query, form and path.

JSON bodies are checked where they are parsed (issuer.api.parsing) and CSV cells by the roster
parser; this hook covers what every other view reads, so no view can store a NUL byte on one
database that the other refuses.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, request

from issuer.openbadges.text import TextInputError, check_text
from issuer.services.errors import InvalidInputError

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    """Check the text of every request before its view runs."""
    app.before_request(check_request_text)


def check_request_text() -> None:
    """Refuse (400, naming the field) a query, form field, file name or path with bad text."""
    try:
        _check(request.args.items(multi=True))
        if request.view_args:
            _check((name, value) for name, value in request.view_args.items())
        if request.mimetype in _FORM_TYPES:
            _check(request.form.items(multi=True))
            _check((name, upload.filename or "") for name, upload in request.files.items())
    except TextInputError as error:
        raise InvalidInputError(error.message, error.field or None) from None


def _check(pairs: Iterable[tuple[str, object]]) -> None:
    for name, value in pairs:
        check_text(name, "")
        if isinstance(value, str):
            check_text(value, name)
