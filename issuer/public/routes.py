"""Hosted documents: one URL each, JSON-LD for verifiers and HTML for people."""

from __future__ import annotations

import uuid
from functools import partial

import segno
from flask import Response, request
from markupsafe import Markup

from issuer import context
from issuer.auth.access import login_required, signed_in_user
from issuer.extensions import db
from issuer.models.types import utcnow
from issuer.public import bp
from issuer.public.responses import (
    DID_LD,
    JWK,
    JWK_SET,
    PRIVATE,
    REVALIDATE,
    VC_JWT,
    VC_LD,
    body_response,
    document_response,
    image_response,
    page_response,
    prefers_html,
    text_response,
)
from issuer.services import credentials, exports, hosted, profiles, verification, wallet
from issuer.services.errors import InvalidInputError, ServiceError
from issuer.uploads import uploaded_image


@bp.get("/")
def index() -> Response:
    """The home page: what the site is for, recent public awards, badges to earn, the issuers."""
    # Awards can be revoked or hidden at any moment: caches revalidate (cheap, with the ETag).
    return page_response(
        "public/index.html",
        cache_control=REVALIDATE,
        home=profiles.home_page(),
        urls=context.urls(),
    )


@bp.get("/public/issuers/<uuid:issuer_id>", defaults={"force_json": False})
@bp.get("/public/issuers/<uuid:issuer_id>.json", defaults={"force_json": True})
def get_issuer(issuer_id: uuid.UUID, force_json: bool) -> Response:
    """An issuer Profile, or its page listing the issuer's public badges."""
    issuer, badges = hosted.get_issuer_with_badges(issuer_id)
    urls = context.urls()
    if prefers_html(force_json):
        return page_response("public/issuer.html", issuer=issuer, badges=badges, urls=urls)
    keys = context.keystore().list_keys()
    kid = request.args.get("key")
    return document_response(hosted.profile_document(issuer, urls, keys, kid))


@bp.get("/public/issuers/<uuid:issuer_id>/revocations")
def get_revocations(issuer_id: uuid.UUID) -> Response:
    """An issuer's RevocationList: the signed awards verifiers must no longer accept."""
    found = hosted.revocation_list(issuer_id, context.urls())
    return body_response(found.body, found.etag, cache_control=REVALIDATE)


@bp.get("/public/keys/<key_ref>")
def get_key(key_ref: str) -> Response:
    """A CryptographicKey: the public half of a signing key, owned by one issuer."""
    keys = context.keystore().list_keys()
    return document_response(hosted.key_document(key_ref, context.urls(), keys))


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
    keys = context.keystore().list_keys()
    kid = request.args.get("key")
    return document_response(hosted.badge_document(badge, urls, keys, kid))


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
        viewer = signed_in_user()
        return page_response(
            "public/assertion.html",
            status=410 if assertion.revoked else 200,
            cache_control=REVALIDATE,
            assertion=assertion,
            viewer=viewer,
            urls=urls,
            now=utcnow(),
        )
    found = hosted.hosted_assertion(assertion_id, urls)
    return body_response(
        found.body, found.etag, status=410 if found.revoked else 200, cache_control=REVALIDATE
    )


@bp.get("/public/assertions/<uuid:assertion_id>/signed")
def get_signed_assertion(assertion_id: uuid.UUID) -> Response:
    """The signed form of an award: a compact JWS, as text (410 once revoked)."""
    form = exports.signed_form(assertion_id, context.signer)
    if form.fresh:
        db.session.commit()
    body = form.jws.encode("ascii")
    return text_response(body, hosted.etag_of(body))


@bp.get("/public/assertions/<uuid:assertion_id>/credential")
def get_credential(assertion_id: uuid.UUID) -> Response:
    """The award as an OB 3.0 OpenBadgeCredential, a VC-JWT (410 once revoked)."""
    form = _credential_form(assertion_id)
    return text_response(form.jwt.encode("ascii"), form.etag, VC_JWT)


@bp.get("/public/assertions/<uuid:assertion_id>/credential.json")
def get_credential_json(assertion_id: uuid.UUID) -> Response:
    """The award as an OB 3.0 OpenBadgeCredential in JSON-LD with a Data Integrity proof by
    the issuer's did:web (410 once revoked)."""
    form = credentials.ld_credential_form(
        assertion_id, context.proof_signer, context.check_credential
    )
    if form.fresh:
        db.session.commit()
    return body_response(form.body, form.etag, cache_control=REVALIDATE, content_type=VC_LD)


def _credential_form(assertion_id: uuid.UUID) -> credentials.CredentialForm:
    form = credentials.credential_form(assertion_id, context.signer, context.check_credential)
    if form.fresh:
        db.session.commit()
    return form


@bp.get("/public/issuers/<uuid:issuer_id>/profile")
def get_issuer_profile(issuer_id: uuid.UUID) -> Response:
    """An issuer's OB 3.0 Profile: the ``issuer`` of its credentials."""
    return document_response(credentials.profile_document(issuer_id, context.urls()))


@bp.get("/public/issuers/<uuid:issuer_id>/status/<kid>/<int:number>")
def get_status_list(issuer_id: uuid.UUID, kid: str, number: int) -> Response:
    """One of an issuer's OB 3.0 status lists: a BitstringStatusListCredential as a VC-JWT."""
    keys = context.keystore().list_keys()
    token = credentials.status_list_jwt(issuer_id, kid, number, context.urls(), keys)
    body = token.encode("ascii")
    return text_response(body, hosted.etag_of(body), VC_JWT)


@bp.get("/public/issuers/<uuid:issuer_id>/status/<int:number>.json")
def get_status_list_json(issuer_id: uuid.UUID, number: int) -> Response:
    """One of an issuer's OB 3.0 status lists for its Data Integrity credentials: a
    BitstringStatusListCredential in JSON-LD, signed by the issuer's DID."""
    text = credentials.status_list_json(issuer_id, number, context.proof_signer)
    body = text.encode("utf-8")
    return body_response(body, hosted.etag_of(body), cache_control=REVALIDATE, content_type=VC_LD)


@bp.get("/public/issuers/<uuid:issuer_id>/did.json")
def get_did_document(issuer_id: uuid.UUID) -> Response:
    """An issuer's DID document (did:web): the Ed25519 keys of its Data Integrity proofs."""
    keys = context.keystore().list_proof_keys()
    document = credentials.did_document(issuer_id, context.urls(), keys)
    # Revalidated (cheap, with its ETag): a rotated key must reach verifiers at once.
    return document_response(document, cache_control=REVALIDATE, content_type=DID_LD)


@bp.get("/public/jwk/<kid>")
def get_jwk(kid: str) -> Response:
    """The bare public JWK of a signing key: what a VC-JWT's ``kid`` header points at."""
    keys = context.keystore().list_keys()
    return document_response(credentials.jwk_document(kid, context.urls(), keys), content_type=JWK)


@bp.get("/.well-known/jwks.json")
def get_jwks() -> Response:
    """Every signing key as a JWK Set, old keys included so that old credentials verify."""
    keys = context.keystore().list_keys()
    return document_response(credentials.jwks_document(context.urls(), keys), content_type=JWK_SET)


@bp.get("/public/assertions/<uuid:assertion_id>/image")
def get_assertion_image(assertion_id: uuid.UUID) -> Response:
    """The badge image baked with the award: hosted JSON, its JWS (``?signed=1``), its
    OB 3.0 VC-JWT (``?format=ob3``) or its OB 3.0 Data Integrity credential
    (``?format=ob3-di``, the form wallets import)."""
    form = exports.image_form(request.args.get("format"), request.args.get("signed"))
    baked = exports.baked_image(
        assertion_id,
        context.urls(),
        form=form,
        make_signer=context.signer,
        make_proof_signer=context.proof_signer,
        check=context.check_credential,
    )
    if baked.fresh:
        db.session.commit()
    return image_response(
        baked.data, baked.media_type, baked.etag, filename=baked.filename, cache=REVALIDATE
    )


@bp.post("/public/assertions/<uuid:assertion_id>/wallet")
@login_required
def add_to_wallet(assertion_id: uuid.UUID) -> Response:
    """For the award's owner: a one-time link, and its QR code, that adds it to a wallet."""
    user = signed_in_user()
    assert user is not None  # noqa: S101  (login_required)
    assertion, links = wallet.offer_to_wallet(
        assertion_id, user.id, context.urls(), context.grant_key()
    )
    # The QR code is drawn as inline SVG: no image request, nothing from elsewhere.
    qr_code = Markup(  # noqa: S704  (segno draws the SVG itself; no text of ours is in it)
        segno.make(links.deep_link, error="m").svg_inline(border=2, omitsize=True)
    )
    return page_response(
        "public/wallet.html",
        cache_control=PRIVATE,
        assertion=assertion,
        links=links,
        qr_code=qr_code,
        urls=context.urls(),
    )


# A DID Authentication presentation is a few kilobytes.
_MAX_PRESENTATION_BYTES = 64 * 1024


@bp.post("/public/wallet/request")
def wallet_request() -> Response:
    """Where a wallet presents a one-time challenge in a signed VerifiablePresentation (DID
    Auth) and receives the award's credential, issued to the presentation's holder."""
    if (request.content_length or 0) > _MAX_PRESENTATION_BYTES:
        raise InvalidInputError("the presentation is larger than 64 KiB")
    presentation = request.get_json(force=True, silent=True)
    if presentation is None:
        raise InvalidInputError("the body must be the wallet's VerifiablePresentation, in JSON")
    credential = wallet.issue_to_holder(
        presentation, context.proof_signer(), context.check_credential, context.grant_key()
    )
    db.session.commit()
    body = wallet.response_text(credential).encode("utf-8")
    return body_response(body, hosted.etag_of(body), cache_control=PRIVATE, content_type=VC_LD)


# What a link may put in the form: far longer than any award address of ours.
_MAX_PREFILL_URL = 2048


@bp.route("/verify", methods=["GET", "POST"])
def verify() -> Response:
    """A page where anyone can check a badge: its URL, its JWS, or the baked image.

    ``?url=`` fills in the badge URL (an award's page links here so), to check with one press.
    """
    # The address checked stays in its field, to correct it after a failed check.
    source = request.args if request.method == "GET" else request.form
    page = partial(
        page_response,
        "public/verify.html",
        prefill_url=source.get("url", "")[:_MAX_PREFILL_URL],
        urls=context.urls(),
        cache_control=PRIVATE,
    )
    if request.method == "GET":
        return page(result=None, error=None)
    try:
        result = verification.verify_submission(
            url=request.form.get("url"),
            jws=request.form.get("jws"),
            image=uploaded_image(),
            urls=context.urls(),
            trusted=context.trusted_keys(),
        )
    except ServiceError as error:
        return page(status=error.status, result=None, error=error.message)
    return page(result=result, error=None)


@bp.get("/badges")
def list_badges() -> Response:
    """The public catalogue: each issuer's achievable badges, never a private one."""
    return page_response("public/badges.html", catalogue=profiles.catalogue(), urls=context.urls())
