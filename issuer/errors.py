"""One error shape for the whole app: JSON ``{"error", "message"}`` or an HTML page."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    RequestEntityTooLarge,
)
from werkzeug.http import HTTP_STATUS_CODES

from issuer.openbadges.schemas import SchemaValidationError
from issuer.services.errors import ServiceError
from issuer.services.keystore import KeyStoreError

log = logging.getLogger(__name__)

_MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication is required.",
    403: "You are not allowed to do this.",
    404: "Nothing is published at this address.",
    405: "This method is not allowed here.",
    406: "No representation of this resource matches the Accept header.",
    410: "This resource is gone.",
    413: "The request body is too large.",
    415: "Unsupported media type.",
    429: "Too many requests from your address; wait a little (see Retry-After) and try again.",
    500: "Something went wrong on our side; the error has been logged.",
}


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(RateLimitExceeded, _handle_rate_limit)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(RequestEntityTooLarge, _handle_too_large)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(ServiceError, _handle_service)
    app.register_error_handler(SchemaValidationError, _handle_schema)
    app.register_error_handler(KeyStoreError, _handle_keystore)
    app.register_error_handler(Exception, _handle_unexpected)


def wants_html() -> bool:
    """Whether the client prefers an HTML page to JSON (never for the API)."""
    if request.path.startswith("/api/"):
        return False
    accept = request.headers.get("Accept", "")
    if "html" not in accept:  # verifiers: skip parsing the header on the hot path
        return False
    best = request.accept_mimetypes.best_match(
        ["application/ld+json", "application/json", "text/html"], default="application/ld+json"
    )
    return best == "text/html"


def error_response(status: int, message: str | None = None, field: str | None = None) -> Response:
    """Build an error response in the format the client asked for."""
    message = message or _MESSAGES.get(status) or HTTP_STATUS_CODES.get(status, "Error")
    title = HTTP_STATUS_CODES.get(status, "Error")
    if wants_html():
        response = Response(
            render_template("errors/error.html", status=status, title=title, message=message),
            status=status,
            mimetype="text/html",
        )
    else:
        body: dict[str, str] = {"error": title, "message": message}
        if field:
            body["field"] = field
        response = jsonify(body)
        response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if request.path.startswith("/public/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept"
    return response


def _handle_http(error: HTTPException) -> Response:
    status = error.code or 500
    description = error.description if error.description != type(error).description else None
    response = error_response(status, description)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _handle_rate_limit(error: RateLimitExceeded) -> Response:
    # Retry-After (and the X-RateLimit-* headers) are added by Flask-Limiter after the request.
    return error_response(
        429,
        f"Too many requests from your address: at most {error.limit.limit}. Wait a little and "
        "try again (the Retry-After header says how long).",
    )


def _handle_csrf(error: CSRFError) -> Response:
    # Usually a page left open past the token's lifetime, or a form posted from elsewhere.
    return error_response(
        400,
        "This form could not be accepted: it has expired, or it was not sent from this site's "
        f"page. Go back, reload the page and send the form again. (Details: {error.description})",
    )


def _handle_too_large(error: RequestEntityTooLarge) -> Response:
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    shown = f" (at most {_size(limit)} can be sent at once)" if limit else ""
    return error_response(413, f"What you sent is too large{shown}. Send a smaller file.")


def _size(size: int) -> str:
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor:
            return f"{round(size / factor, 1):g} {unit}"
    return f"{size} bytes"


def _handle_service(error: ServiceError) -> Response:
    return error_response(error.status, error.message, error.field)


def _handle_schema(error: SchemaValidationError) -> Response:
    return error_response(400, str(error), error.field)


def _handle_keystore(error: KeyStoreError) -> Response:
    log.error("signing is unavailable: %s", error)
    return error_response(
        503,
        "Badges cannot be signed on this server right now: it has no signing key. An "
        "administrator must run `flask --app wsgi init`.",
    )


def _handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(InternalServerError.code)
