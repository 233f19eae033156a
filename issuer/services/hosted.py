"""The public, hosted Open Badges documents and images, built from the stored records."""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, undefer

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, BadgeTally, Image, Issuer
from issuer.openbadges import ob2
from issuer.openbadges.urls import PublicUrls, parse_key_ref
from issuer.services.assertions import AwardRow, assertion_data
from issuer.services.errors import GoneError, NotFoundError
from issuer.services.keystore import SigningKey
from issuer.services.rows import RowReader, table_reader


@dataclass(frozen=True)
class HostedAssertion:
    """An assertion's serialised public document; a revoked one carries only the revocation."""

    body: bytes
    etag: str
    revoked: bool
    row: AwardRow


def load_assertion(assertion_id: uuid.UUID) -> AwardRow:
    """Read the columns of an assertion that its public forms are built from."""
    reader, raw = _read_assertion(assertion_id)
    return AwardRow._make(reader.convert(raw))


def _read_assertion(assertion_id: uuid.UUID) -> tuple[RowReader, tuple[Any, ...]]:
    """The fast reader of assertion rows and this one's raw row (as the driver gives it)."""
    reader = table_reader(Assertion.__tablename__, AwardRow._fields)
    raw = reader.read_raw(assertion_id)
    if raw is None:
        raise NotFoundError(
            f"There is no award with the id {assertion_id} on this site: the link may be "
            "incomplete."
        )
    return reader, raw


class Revocable(Protocol):
    """A row that says whether its award is revoked, and why."""

    @property
    def revoked(self) -> bool:
        """Whether the award is revoked."""
        ...

    @property
    def revocation_reason(self) -> str | None:
        """Why, if it is."""
        ...


def refuse_revoked(row: Revocable) -> None:
    """Raise GoneError, with the reason, for a revoked award: its exports are withdrawn."""
    if row.revoked:
        reason = f" The reason given: {row.revocation_reason}" if row.revocation_reason else ""
        raise GoneError(f"This award was revoked, so it is no longer valid.{reason}")


def profile_document(
    issuer: Issuer, urls: PublicUrls, keys: Sequence[SigningKey], kid: str | None = None
) -> dict[str, Any]:
    """Build an issuer's Profile; its key-scoped view (kid) lists the one key that signed.

    The plain Profile lists the current signing key: openbadges-validator-core refuses a
    Profile with more than one ``publicKey``, and every hosted badge is checked through it.
    """
    listed = _find_key(keys, kid) if kid else (keys[-1] if keys else None)
    return ob2.build_profile(
        ob2.ProfileData(
            id=urls.issuer(issuer.id, kid),
            name=issuer.name,
            url=issuer.url,
            email=issuer.email,
            description=issuer.description,
            image=urls.issuer_image(issuer.id) if issuer.image_id else None,
            public_keys=[urls.key(issuer.id, listed.kid)] if listed else [],
            revocation_list=urls.revocations(issuer.id),
        )
    )


def key_document(ref: str, urls: PublicUrls, keys: Sequence[SigningKey]) -> dict[str, Any]:
    """Build the CryptographicKey at ``/public/keys/<ref>``: one key, owned by one issuer."""
    parsed = parse_key_ref(ref)
    if parsed is None or db.session.get(Issuer, parsed[0]) is None:
        raise NotFoundError(f"no key {ref}")
    issuer_id, kid = parsed
    key = _find_key(keys, kid)
    return ob2.build_cryptographic_key(
        urls.key(issuer_id, key.kid), urls.issuer(issuer_id, key.kid), key.public_pem
    )


def _find_key(keys: Sequence[SigningKey], kid: str) -> SigningKey:
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise NotFoundError(f"no signing key {kid}")
    return key


@dataclass(frozen=True)
class SerialisedDocument:
    """A public document ready to serve: its bytes and their ETag."""

    body: bytes
    etag: str


def revocation_list(issuer_id: uuid.UUID, urls: PublicUrls) -> SerialisedDocument:
    """An issuer's RevocationList, serialised: every revoked award of its badges, oldest first.

    Built again only when the issuer's count of revoked awards (a kept tally) has changed, so
    a request costs two small look-ups however many awards were ever revoked.
    """
    if db.session.get(Issuer, issuer_id) is None:
        raise NotFoundError(f"There is no issuer with the id {issuer_id} on this site.")
    revoked = db.session.scalar(
        select(func.coalesce(func.sum(BadgeTally.revoked), 0))
        .join(BadgeClass, BadgeClass.id == BadgeTally.badge_id)
        .where(BadgeClass.issuer_id == issuer_id)
    )
    return _revocation_list(issuer_id, urls.revocations(issuer_id), urls.issuer(issuer_id), revoked)


@functools.lru_cache(maxsize=64)
def _revocation_list(
    issuer_id: uuid.UUID, url: str, issuer_url: str, revoked: int
) -> SerialisedDocument:
    rows = db.session.execute(
        select(Assertion.id, Assertion.revocation_reason)
        .join(BadgeClass, BadgeClass.id == Assertion.badge_id)
        .where(BadgeClass.issuer_id == issuer_id, Assertion.revoked.is_(True))
        .order_by(Assertion.revoked_at, Assertion.id)
    )
    document = ob2.build_revocation_list(
        url, issuer_url, [(f"urn:uuid:{assertion_id}", reason) for assertion_id, reason in rows]
    )
    body = ob2.serialize(document)
    return SerialisedDocument(body, etag_of(body))


def badge_document(
    badge: BadgeClass, urls: PublicUrls, keys: Sequence[SigningKey], kid: str | None = None
) -> dict[str, Any]:
    """Build a badge's BadgeClass; its key-scoped view (kid) names the key-scoped issuer."""
    if kid:
        _find_key(keys, kid)
    return ob2.build_badge_class(
        ob2.BadgeClassData(
            id=urls.badge(badge.id, kid),
            issuer=urls.issuer(badge.issuer_id, kid),
            name=badge.name,
            description=badge.description,
            image=urls.badge_image(badge.id),
            criteria_narrative=badge.criteria_narrative,
            criteria_url=badge.criteria_url,
            tags=badge.tags,
            alignment=badge.alignment,
        )
    )


def hosted_assertion(assertion_id: uuid.UUID, urls: PublicUrls) -> HostedAssertion:
    """Return an assertion's hosted document, serialised (the hottest public path)."""
    _, raw = _read_assertion(assertion_id)
    return _hosted_assertion(assertion_id, urls.base_url, raw)


# Keyed by the raw row, read on every request: any change to the row (a revocation above all)
# is a new key, served at once; the entries of earlier versions age out.
@functools.lru_cache(maxsize=20_000)
def _hosted_assertion(
    assertion_id: uuid.UUID, base_url: str, raw: tuple[Any, ...]
) -> HostedAssertion:
    row = AwardRow._make(table_reader(Assertion.__tablename__, AwardRow._fields).convert(raw))
    urls = PublicUrls(base_url)
    url = urls.assertion(assertion_id)
    if row.revoked:
        document = ob2.build_revoked_assertion(url, row.revocation_reason)
    else:
        document = ob2.build_assertion(assertion_data(row, url, urls.badge(row.badge_id)))
    body = ob2.serialize(document)
    return HostedAssertion(body, etag_of(body), row.revoked, row)


def etag_of(body: bytes) -> str:
    """Return a strong entity tag for a response body."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def get_issuer_with_badges(issuer_id: uuid.UUID) -> tuple[Issuer, list[BadgeClass]]:
    """Return an issuer and its public (never private) badges, for its public page."""
    issuer = db.session.get(Issuer, issuer_id)
    if issuer is None:
        raise NotFoundError(f"There is no issuer with the id {issuer_id} on this site.")
    badges = db.session.scalars(
        select(BadgeClass)
        .where(
            BadgeClass.issuer_id == issuer_id,
            BadgeClass.private.is_(False),
            BadgeClass.archived.is_(False),
        )
        .order_by(BadgeClass.name, BadgeClass.id)
    ).all()
    return issuer, list(badges)


def get_badge_with_issuer(badge_id: uuid.UUID) -> BadgeClass:
    """Return a badge with its issuer loaded, for its public page and document."""
    badge = db.session.scalars(
        select(BadgeClass).where(BadgeClass.id == badge_id).options(joinedload(BadgeClass.issuer))
    ).one_or_none()
    if badge is None:
        raise NotFoundError(f"There is no badge with the id {badge_id} on this site.")
    return badge


def get_assertion_for_page(assertion_id: uuid.UUID) -> Assertion:
    """Return an assertion with its badge, issuer and recipient loaded, for its HTML page."""
    assertion = db.session.scalars(
        select(Assertion)
        .where(Assertion.id == assertion_id)
        .options(
            joinedload(Assertion.badge).joinedload(BadgeClass.issuer),
            joinedload(Assertion.recipient),
        )
    ).one_or_none()
    if assertion is None:
        raise NotFoundError(
            f"There is no award with the id {assertion_id} on this site: the link may be "
            "incomplete."
        )
    return assertion


def badge_image(badge_id: uuid.UUID) -> Image:
    """Return the image of a badge."""
    return _image_of(BadgeClass, badge_id, f"no badge with id {badge_id}")


def issuer_image(issuer_id: uuid.UUID) -> Image:
    """Return the image of an issuer (NotFoundError when it has none)."""
    return _image_of(Issuer, issuer_id, f"no image for issuer {issuer_id}")


def _image_of(owner: type[BadgeClass] | type[Issuer], owner_id: uuid.UUID, missing: str) -> Image:
    image = db.session.scalars(
        select(Image)
        .join(owner, owner.image_id == Image.id)
        .where(owner.id == owner_id)
        .options(undefer(Image.data))
    ).one_or_none()
    if image is None:
        raise NotFoundError(missing)
    return image
