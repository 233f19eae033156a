"""Hosted assertions, their signed form, their Data Integrity credential and their baked
image, served beneath Flask.

Every verifier and backpack fetches these, so their plain answers skip building a Flask request
and response, which costs more than the answer itself. Everything else (the HTML page, unknown
ids, revoked awards' 410 for the exports, first-time signing, errors) goes on to the normal
views, which give the same answers.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from issuer.openbadges.urls import PublicUrls
from issuer.public.responses import (
    JSONLD,
    JWS_TEXT,
    REVALIDATE,
    VC_LD,
    document_headers,
    etag_matches,
    image_headers,
)
from issuer.services import credentials, exports
from issuer.services.errors import ServiceError
from issuer.services.hosted import etag_of, hosted_assertion
from issuer.services.signing import ProofSigner, Signer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

_PATH = re.compile(
    r"/public/assertions/([0-9a-fA-F-]{36})(\.json|/signed|/image|/credential\.json)?"
)


class _NeedsTheView(Exception):
    """This request needs the full view (for example, to sign an old award on first request)."""


def _no_signer() -> Signer:
    raise _NeedsTheView


def _no_proof_signer() -> ProofSigner:
    raise _NeedsTheView


def _no_check(_credential: dict[str, Any]) -> None:
    raise _NeedsTheView


class HostedAssertionFastPath:
    """WSGI middleware answering ``GET``/``HEAD`` of an assertion's public forms itself."""

    def __init__(self, app: Flask, next_app: WSGIApplication) -> None:
        self.app = app
        self.next_app = next_app
        self.urls = PublicUrls(app.config["BASE_URL"])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve the answer, or hand the request on to Flask."""
        method = environ.get("REQUEST_METHOD")
        match = _PATH.fullmatch(environ.get("PATH_INFO") or "")
        suffix = match.group(2) if match else None
        if (
            match is None
            or method not in ("GET", "HEAD")
            or (suffix is None and "html" in environ.get("HTTP_ACCEPT", ""))
        ):
            return self.next_app(environ, start_response)
        try:
            assertion_id = uuid.UUID(match.group(1))
        except ValueError:  # dashes in odd places: the views answer 404
            return self.next_app(environ, start_response)
        try:
            with self.app.app_context():
                status, body, headers = self._answer(assertion_id, suffix, environ)
        except (_NeedsTheView, ServiceError):  # first signing, unknown ids, revoked exports
            return self.next_app(environ, start_response)
        except Exception:  # a fault here must not take the views' answer away: log it
            log.exception("the fast path failed on %s; the views answer", environ.get("PATH_INFO"))
            return self.next_app(environ, start_response)
        start_response(f"{status} {HTTP_STATUS_CODES[status]}", headers)
        return [b"" if method == "HEAD" else body]

    def _answer(
        self, assertion_id: uuid.UUID, suffix: str | None, environ: WSGIEnvironment
    ) -> tuple[int, bytes, list[tuple[str, str]]]:
        if suffix == "/signed":
            body = exports.signed_form(assertion_id, _no_signer).jws.encode("ascii")
            etag, headers = etag_of(body), None
            content_type = JWS_TEXT
            status = 200
        elif suffix == "/credential.json":
            linked = credentials.ld_credential_form(assertion_id, _no_proof_signer, _no_check)
            body, etag, headers = linked.body, linked.etag, None
            content_type, status = VC_LD, 200
        elif suffix == "/image":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            form = exports.image_form(
                query.get("format", [None])[-1], query.get("signed", [None])[-1]
            )
            baked = exports.baked_image(
                assertion_id,
                self.urls,
                form=form,
                make_signer=_no_signer,
                make_proof_signer=_no_proof_signer,
                check=_no_check,
            )
            body, etag, status = baked.data, baked.etag, 200
            headers = image_headers(baked.media_type, etag, baked.filename, REVALIDATE)
        else:
            found = hosted_assertion(assertion_id, self.urls)
            body, etag = found.body, found.etag
            status, headers, content_type = (410 if found.revoked else 200), None, JSONLD
        if status == 200 and etag_matches(environ.get("HTTP_IF_NONE_MATCH"), etag):
            status, body = 304, b""
        if headers is None:
            headers = document_headers(etag, status, content_type, REVALIDATE)
        elif status == 304:
            headers = [h for h in headers if h[0] != "Content-Type"]
        if status != 304:
            headers.append(("Content-Length", str(len(body))))
        return status, body, headers
