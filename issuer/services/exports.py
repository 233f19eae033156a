"""The portable forms of an award: its signed JWS and the badge image baked with it."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from sqlalchemy import update

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, Image
from issuer.openbadges.baking import bake_png, bake_svg, brace_safe_json
from issuer.openbadges.urls import PublicUrls
from issuer.services.assertions import AwardRow
from issuer.services.credentials import CredentialCheck, credential_form, ld_credential_form
from issuer.services.errors import InvalidInputError, NotFoundError
from issuer.services.hosted import etag_of, hosted_assertion, load_assertion, refuse_revoked
from issuer.services.rows import table_reader
from issuer.services.signing import ProofSigner, Signer


class _BadgeRow(NamedTuple):
    issuer_id: uuid.UUID
    image_id: uuid.UUID
    name: str


class _ImageRow(NamedTuple):
    media_type: str
    sha256: str
    data: bytes


@dataclass(frozen=True)
class SignedForm:
    """An award's JWS; ``fresh`` when this call made it (the caller then commits)."""

    jws: str
    fresh: bool = False


@dataclass(frozen=True)
class BakedImage:
    """A badge image with an award baked in, ready to download."""

    data: bytes
    media_type: str
    etag: str
    filename: str
    fresh: bool = False


def signed_form(
    assertion_id: uuid.UUID, make_signer: Callable[[], Signer], row: AwardRow | None = None
) -> SignedForm:
    """Return an award's JWS, signing it now (once, with the current key) if it has none yet.

    ``row`` is the award's row when the caller has just read it.
    """
    row = row or load_assertion(assertion_id)
    refuse_revoked(row)
    if row.signed_jws:
        return SignedForm(row.signed_jws)
    # Awards made before signing existed are signed on their first request.
    signer = make_signer()
    jws = signer.sign(_badge(row.badge_id).issuer_id, row)
    db.session.execute(
        update(Assertion)
        .where(Assertion.id == assertion_id, Assertion.signed_jws.is_(None))
        .values(signed_jws=jws, signed_kid=signer.key.kid)
    )
    return SignedForm(jws, fresh=True)


def sign_pending(awards: Sequence[Assertion], signer: Signer) -> int:
    """Sign the awards of a batch that have no JWS yet (large batches are signed on first use).

    Revoked awards stay unsigned. Returns how many were signed; the caller commits.
    """
    pending = [a for a in awards if a.signed_jws is None and not a.revoked]
    by_issuer: dict[uuid.UUID, list[Assertion]] = {}
    for award in pending:
        by_issuer.setdefault(award.badge.issuer_id, []).append(award)
    for issuer_id, group in by_issuer.items():
        for award, jws in zip(group, signer.sign_many(issuer_id, group), strict=True):
            award.signed_jws = jws
            award.signed_kid = signer.key.kid
    return len(pending)


# hosted and signed: OB 2.0; ob3: the VC-JWT credential; ob3-di: the credential with its
# Data Integrity proof, as wallets import it.
ImageForm = Literal["hosted", "signed", "ob3", "ob3-di"]
_FILE_SUFFIXES: dict[ImageForm, str] = {
    "hosted": "",
    "signed": "-signed",
    "ob3": "-ob3",
    "ob3-di": "-ob3-di",
}


def image_form(format_value: str | None, signed_value: str | None) -> ImageForm:
    """Read which award a baked image carries from ``?format=ob2|ob3|ob3-di`` and
    ``?signed=1``."""
    fmt = (format_value or "ob2").strip().lower()
    if fmt in ("ob3", "ob3-di"):
        return "ob3" if fmt == "ob3" else "ob3-di"
    if fmt != "ob2":
        raise InvalidInputError(
            f"format: {format_value!r} is not a badge format; use ob2 (the default), ob3 "
            "(OB 3.0 VC-JWT) or ob3-di (OB 3.0 with a Data Integrity proof, for wallets)",
            "format",
        )
    signed = (signed_value or "0").strip().lower() in ("1", "true", "yes")
    return "signed" if signed else "hosted"


def baked_image(
    assertion_id: uuid.UUID,
    urls: PublicUrls,
    *,
    form: ImageForm,
    make_signer: Callable[[], Signer],
    make_proof_signer: Callable[[], ProofSigner],
    check: CredentialCheck,
) -> BakedImage:
    """Bake the badge image with the hosted assertion JSON, its JWS, or its OB 3.0 credential
    (the VC-JWT, or the JSON with its Data Integrity proof)."""
    hosted = hosted_assertion(assertion_id, urls)
    refuse_revoked(hosted.row)
    fresh = False
    if form == "hosted":
        payload = hosted.body.decode("ascii")
    elif form == "signed":
        signed = signed_form(assertion_id, make_signer, hosted.row)
        payload, fresh = signed.jws, signed.fresh
    elif form == "ob3":
        credential = credential_form(assertion_id, make_signer, check, hosted.row)
        payload, fresh = credential.jwt, credential.fresh
    else:
        linked = ld_credential_form(assertion_id, make_proof_signer, check, hosted.row)
        payload, fresh = brace_safe_json(linked.credential()), linked.fresh
    version: Literal["ob2", "ob3"] = "ob3" if form in ("ob3", "ob3-di") else "ob2"
    badge = _badge(hosted.row.badge_id)
    image = _image(badge.image_id)
    if image.media_type == "image/svg+xml":
        data = bake_svg(image.data.decode("utf-8"), payload, version=version).encode("utf-8")
    else:
        data = bake_png(image.data, payload, version=version)
    extension = "svg" if image.media_type == "image/svg+xml" else "png"
    return BakedImage(
        data=data,
        media_type=image.media_type,
        etag=etag_of(f"{image.sha256}:{payload}".encode()),
        filename=f"{_slug(badge.name)}{_FILE_SUFFIXES[form]}.{extension}",
        fresh=fresh,
    )


def _badge(badge_id: uuid.UUID) -> _BadgeRow:
    raw = table_reader(BadgeClass.__tablename__, _BadgeRow._fields).read(badge_id)
    if raw is None:  # pragma: no cover - an assertion always references its badge
        raise NotFoundError(f"no badge with id {badge_id}")
    return _BadgeRow._make(raw)


# Images never change (an upload is a new row): kept by id. 32 of at most 2 MiB each (the
# default upload limit) stay within 64 MiB; badge images are far smaller.
@functools.lru_cache(maxsize=32)
def _image(image_id: uuid.UUID) -> _ImageRow:
    raw = table_reader(Image.__tablename__, _ImageRow._fields).read(image_id)
    if raw is None:  # pragma: no cover - a badge always references its image
        raise NotFoundError(f"no image with id {image_id}")
    return _ImageRow._make(raw)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "badge"
