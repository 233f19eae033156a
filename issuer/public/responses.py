"""Responses for hosted documents: JSON-LD or HTML, cacheable, open to every origin."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Response, render_template, request

from issuer.errors import wants_html

JSONLD = "application/ld+json"
# Assertions can be revoked at any moment: caches must revalidate (cheap, thanks to the ETag).
REVALIDATE = "public, no-cache"
SHORT_CACHE = "public, max-age=60"


def document_response(
    document: dict[str, Any], *, status: int = 200, cache_control: str = SHORT_CACHE
) -> Response:
    """Serve a JSON-LD document with CORS, an ETag and Cache-Control; answer 304 when fresh."""
    body = json.dumps(document, separators=(",", ":")).encode("ascii")
    response = Response(body, status=status, content_type=JSONLD)
    return _finish(response, body, cache_control)


def page_response(
    template: str, *, status: int = 200, cache_control: str = SHORT_CACHE, **values: Any
) -> Response:
    """Serve an HTML page with an ETag and Cache-Control."""
    body = render_template(template, **values).encode("utf-8")
    response = Response(body, status=status, mimetype="text/html")
    return _finish(response, body, cache_control)


def image_response(data: bytes, media_type: str, sha256: str) -> Response:
    """Serve image bytes with CORS and an ETag from their digest."""
    response = Response(data, content_type=media_type)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = SHORT_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    if media_type == "image/svg+xml":
        # An SVG opened directly must not run anything, even if a check were ever missed.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'"
        )
    response.set_etag(sha256)
    response.make_conditional(request)
    return response


def prefers_html(force_json: bool) -> bool:
    """Whether to answer with HTML: never for ``.json`` URLs, else by the Accept header."""
    return not force_json and wants_html()


def _finish(response: Response, body: bytes, cache_control: str) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = cache_control
    response.headers["Vary"] = "Accept"
    response.set_etag(hashlib.blake2b(body, digest_size=16).hexdigest())
    if response.status_code == 200:
        response.make_conditional(request)
    return response
