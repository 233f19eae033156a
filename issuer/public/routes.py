"""Hosted documents: one URL each, JSON-LD for verifiers and HTML for people."""

from __future__ import annotations

import uuid

from flask import Response

from issuer import context
from issuer.models.types import utcnow
from issuer.public import bp
from issuer.public.responses import (
    REVALIDATE,
    body_response,
    document_response,
    image_response,
    page_response,
    prefers_html,
)
from issuer.services import hosted
from issuer.services.issuers import list_issuers


@bp.get("/")
def index() -> Response:
    """The home page: who issues badges here."""
    return page_response("public/index.html", issuers=list_issuers())


@bp.get("/public/issuers/<uuid:issuer_id>", defaults={"force_json": False})
@bp.get("/public/issuers/<uuid:issuer_id>.json", defaults={"force_json": True})
def get_issuer(issuer_id: uuid.UUID, force_json: bool) -> Response:
    """An issuer Profile, or its page listing the issuer's public badges."""
    issuer, badges = hosted.get_issuer_with_badges(issuer_id)
    urls = context.urls()
    if prefers_html(force_json):
        return page_response("public/issuer.html", issuer=issuer, badges=badges, urls=urls)
    return document_response(hosted.profile_document(issuer, urls))


@bp.get("/public/issuers/<uuid:issuer_id>/image")
def get_issuer_image(issuer_id: uuid.UUID) -> Response:
    """An issuer's image."""
    image = hosted.issuer_image(issuer_id)
    return image_response(image.data, image.media_type, image.sha256)


@bp.get("/public/badges/<uuid:badge_id>", defaults={"force_json": False})
@bp.get("/public/badges/<uuid:badge_id>.json", defaults={"force_json": True})
def get_badge(badge_id: uuid.UUID, force_json: bool) -> Response:
    """A BadgeClass, or its page."""
    badge = hosted.get_badge_with_issuer(badge_id)
    urls = context.urls()
    if prefers_html(force_json):
        return page_response("public/badge.html", badge=badge, urls=urls)
    return document_response(hosted.badge_document(badge, urls))


@bp.get("/public/badges/<uuid:badge_id>/image")
def get_badge_image(badge_id: uuid.UUID) -> Response:
    """A badge's image."""
    image = hosted.badge_image(badge_id)
    return image_response(image.data, image.media_type, image.sha256)


@bp.get("/public/assertions/<uuid:assertion_id>", defaults={"force_json": False})
@bp.get("/public/assertions/<uuid:assertion_id>.json", defaults={"force_json": True})
def get_assertion(assertion_id: uuid.UUID, force_json: bool) -> Response:
    """A hosted Assertion (410 once revoked), or its page."""
    urls = context.urls()
    if prefers_html(force_json):
        assertion = hosted.get_assertion_for_page(assertion_id)
        return page_response(
            "public/assertion.html",
            status=410 if assertion.revoked else 200,
            cache_control=REVALIDATE,
            assertion=assertion,
            urls=urls,
            now=utcnow(),
        )
    found = hosted.hosted_assertion(assertion_id, urls)
    return body_response(
        found.body, found.etag, status=410 if found.revoked else 200, cache_control=REVALIDATE
    )
