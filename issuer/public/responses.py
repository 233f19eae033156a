"""Responses for hosted documents: JSON-LD or HTML, cacheable, open to every origin."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from werkzeug.http import parse_etags

from issuer.auth.access import signed_in_user
from issuer.errors import wants_html
from issuer.openbadges.ob2 import serialize
from issuer.services.hosted import etag_of

JSONLD = "application/ld+json"
# A credential with an embedded proof (OB 3.0 section 8.3), and a DID document.
VC_LD = "application/vc+ld+json"
DID_LD = "application/did+ld+json"
# Assertions can be revoked at any moment: caches must revalidate (cheap, thanks to the ETag).
REVALIDATE = "public, no-cache"
SHORT_CACHE = "public, max-age=60"
PRIVATE = "private, no-store"


def document_response(
    document: dict[str, Any],
    *,
    status: int = 200,
    cache_control: str = SHORT_CACHE,
    content_type: str = JSONLD,
) -> Response:
    """Serve a JSON-LD document with CORS, an ETag and Cache-Control; answer 304 when fresh."""
    body = serialize(document)
    return body_response(
        body, etag_of(body), status=status, cache_control=cache_control, content_type=content_type
    )


def body_response(
    body: bytes,
    etag: str,
    *,
    status: int = 200,
    cache_control: str = SHORT_CACHE,
    content_type: str = JSONLD,
) -> Response:
    """Serve an already serialised JSON-LD (or other JSON) document with its ETag."""
    return _respond(body, etag, status, content_type, cache_control)


def page_response(
    template: str, *, status: int = 200, cache_control: str = SHORT_CACHE, **values: Any
) -> Response:
    """Serve an HTML page with an ETag and Cache-Control."""
    body = render_template(template, **values).encode("utf-8")
    if signed_in_user() is not None:
        # The page shows the signed-in user's menu: no shared cache may keep it.
        cache_control = PRIVATE
    return _respond(body, etag_of(body), status, "text/html; charset=utf-8", cache_control)


def image_response(
    data: bytes,
    media_type: str,
    etag: str,
    *,
    filename: str | None = None,
    cache: str = SHORT_CACHE,
) -> Response:
    """Serve image bytes with CORS, an ETag and, for downloads, a file name."""
    response = Response(data, headers=image_headers(media_type, etag, filename, cache))
    response.make_conditional(request)
    return response


def image_headers(
    media_type: str, etag: str, filename: str | None, cache: str
) -> list[tuple[str, str]]:
    """The headers of an image: its type, CORS, caching, its ETag and safety headers."""
    headers = [
        ("Content-Type", media_type),
        ("Access-Control-Allow-Origin", "*"),
        ("Cache-Control", cache),
        ("X-Content-Type-Options", "nosniff"),
        ("ETag", f'"{etag}"'),
    ]
    if filename:
        headers.append(("Content-Disposition", f'inline; filename="{filename}"'))
    if media_type == "image/svg+xml":
        # An SVG opened directly must not run anything, even if a check were ever missed.
        headers.append(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"))
    return headers


JWS_TEXT = "text/plain; charset=utf-8"
# VC-JOSE-COSE's media type for a credential secured as a JWT.
VC_JWT = "application/vc+jwt"
JWK = "application/jwk+json"
JWK_SET = "application/jwk-set+json"


def text_response(body: bytes, etag: str, content_type: str = JWS_TEXT) -> Response:
    """Serve a signed form (a JWS) as text, with CORS and an ETag."""
    return _respond(body, etag, 200, content_type, REVALIDATE)


def prefers_html(force_json: bool) -> bool:
    """Whether to answer with HTML: never for ``.json`` URLs, else by the Accept header."""
    return not force_json and wants_html()


def _respond(
    body: bytes, etag: str, status: int, content_type: str, cache_control: str
) -> Response:
    if status == 200 and etag_matches(request.headers.get("If-None-Match"), etag):
        body, status = b"", 304
    headers = document_headers(etag, status, content_type, cache_control)
    return Response(body, status=status, headers=headers)


def document_headers(
    etag: str, status: int, content_type: str, cache_control: str
) -> list[tuple[str, str]]:
    """The headers of a public document: CORS, caching, its ETag and (unless 304) its type."""
    # One header list at construction: much cheaper than setting headers one by one.
    headers = [
        ("Access-Control-Allow-Origin", "*"),
        ("Cache-Control", cache_control),
        ("Vary", "Accept"),
        ("ETag", f'"{etag}"'),
    ]
    if status != 304:
        headers.append(("Content-Type", content_type))
    return headers


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (cheaper than make_conditional)."""
    return if_none_match is not None and parse_etags(if_none_match).contains_weak(etag)
