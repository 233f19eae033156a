"""OB 3.0 forms of an award: its OpenBadgeCredential as a VC-JWT and as JSON-LD with a Data
Integrity proof, the status lists that revoke them, the issuer's OB 3.0 Profile and DID
document, and the public keys as JWKs.

A credential is made on its first request, like the OB 2.0 signed form: it takes the award's
status list entry (one per award, shared by both forms), is checked against the credential
schemas, signed with the current key and stored, so it never changes afterwards (key rotations
included). Revoking the award sets its status bit in both forms' lists at once: both are read
from the same ``revoked`` column.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, Issuer, StatusAllocator
from issuer.models.types import utcnow
from issuer.openbadges import ob3, signing, vcjwt
from issuer.openbadges.did import build_did_document
from issuer.openbadges.urls import PublicUrls
from issuer.services.assertions import AwardRow
from issuer.services.batches import insert_ignoring_duplicates
from issuer.services.errors import NotFoundError
from issuer.services.hosted import etag_of, load_assertion, refuse_revoked
from issuer.services.keystore import ProofKey, SigningKey
from issuer.services.rows import table_reader
from issuer.services.signing import ProofSigner, Signer

CredentialCheck = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class CredentialForm:
    """An award's VC-JWT; ``fresh`` when this call made it (the caller then commits)."""

    jwt: str
    fresh: bool = False

    @property
    def etag(self) -> str:
        """The entity tag of the VC-JWT."""
        return etag_of(self.jwt.encode("ascii"))

    def credential(self) -> dict[str, Any]:
        """The credential the VC-JWT carries, without its JWT claims."""
        return vcjwt.credential_of(signing.read_unverified(self.jwt).payload)


def credential_form(
    assertion_id: uuid.UUID,
    make_signer: Callable[[], Signer],
    check: CredentialCheck,
    row: AwardRow | None = None,
) -> CredentialForm:
    """Return an award's VC-JWT, making it now (once) if the award has none yet.

    A revoked award answers GoneError; a credential failing ``check`` is never signed.
    ``row`` is the award's row when the caller has just read it.
    """
    row = row or load_assertion(assertion_id)
    refuse_revoked(row)
    if row.credential_jwt:
        return CredentialForm(row.credential_jwt)
    return _issue(assertion_id, make_signer(), check)


def _issue(assertion_id: uuid.UUID, signer: Signer, check: CredentialCheck) -> CredentialForm:
    assertion = _load(assertion_id)
    list_number, index = _status_entry(assertion_id)
    urls = signer.urls
    issuer = assertion.badge.issuer
    status = ob3.StatusEntry(urls.status_list(issuer.id, signer.key.kid, list_number), index)
    credential = build_credential(assertion, profile_data(issuer, urls), urls, status)
    check(credential)
    token = vcjwt.sign_credential(credential, signer.key.private_key, urls.jwk(signer.key.kid))
    stored, fresh = _store_once(
        assertion_id, Assertion.credential_jwt, token, credential_kid=signer.key.kid
    )
    return CredentialForm(stored, fresh)


def _store_once(
    assertion_id: uuid.UUID, column: InstrumentedAttribute[str | None], made: str, **also: str
) -> tuple[str, bool]:
    """Store a form just made unless another request stored one first; return the stored
    form, and whether it is the one just made."""
    stored = db.session.execute(
        update(Assertion)
        .where(Assertion.id == assertion_id, column.is_(None))
        .values({column.key: made, **also})
        .returning(Assertion.id)
        .execution_options(synchronize_session=False)
    ).first()
    if stored is not None:
        return made, True
    winner = db.session.scalar(select(column).where(Assertion.id == assertion_id))
    assert winner is not None  # noqa: S101  (the update only skips a stored form)
    return winner, False


@dataclass(frozen=True)
class LinkedDataForm:
    """An award's credential as JSON-LD with a Data Integrity proof; ``fresh`` when this call
    made it (the caller then commits)."""

    text: str
    fresh: bool = False

    @property
    def body(self) -> bytes:
        """The credential as served."""
        return self.text.encode("utf-8")

    @property
    def etag(self) -> str:
        """The entity tag of the served credential."""
        return etag_of(self.body)

    def credential(self) -> dict[str, Any]:
        """The credential, proof included."""
        value: dict[str, Any] = json.loads(self.text)
        return value


def ld_credential_form(
    assertion_id: uuid.UUID,
    make_signer: Callable[[], ProofSigner],
    check: CredentialCheck,
    row: AwardRow | None = None,
) -> LinkedDataForm:
    """Return an award's Data Integrity credential, making it now (once) if it has none yet.

    Its issuer is the issuer's did:web; everything else is as in the VC-JWT. A revoked award
    answers GoneError; a credential failing ``check`` is never stored. ``row`` is the award's
    row when the caller has just read it; otherwise only the columns needed are read.
    """
    stored = row or _linked_data_row(assertion_id)
    refuse_revoked(stored)
    if stored.credential_ld:
        return LinkedDataForm(stored.credential_ld)
    signed = _sign_ld(assertion_id, make_signer(), check, subject_id=None)
    stored_text, fresh = _store_once(assertion_id, Assertion.credential_ld, serialize(signed))
    return LinkedDataForm(stored_text, fresh)


class _LinkedDataRow(NamedTuple):
    revoked: bool
    revocation_reason: str | None
    credential_ld: str | None


def _linked_data_row(assertion_id: uuid.UUID) -> _LinkedDataRow:
    # Three columns, not the whole award: this is every wallet's and verifier's read.
    raw = table_reader(Assertion.__tablename__, _LinkedDataRow._fields).read(assertion_id)
    if raw is None:
        raise NotFoundError(f"no assertion with id {assertion_id}")
    return _LinkedDataRow._make(raw)


def holder_credential(
    assertion_id: uuid.UUID, holder: str, signer: ProofSigner, check: CredentialCheck
) -> dict[str, Any]:
    """Make a Data Integrity credential of an award issued to a wallet holder's DID.

    The DID becomes ``credentialSubject.id`` (the hashed e-mail stays as ``identifier``); the
    credential sits on the award's status list position, so revoking the award revokes it.
    """
    return _sign_ld(assertion_id, signer, check, subject_id=holder)


def serialize(document: dict[str, Any]) -> str:
    """The text of a served JSON-LD document."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _sign_ld(
    assertion_id: uuid.UUID, signer: ProofSigner, check: CredentialCheck, subject_id: str | None
) -> dict[str, Any]:
    assertion = _load(assertion_id)
    list_number, index = _status_entry(assertion_id)
    urls = signer.urls
    issuer = assertion.badge.issuer
    status = ob3.StatusEntry(urls.status_list_json(issuer.id, list_number), index)
    profile = profile_data(issuer, urls, did=True)
    credential = build_credential(assertion, profile, urls, status, subject_id=subject_id)
    check(credential)
    signed = signer.sign(issuer.id, credential, utcnow())
    check(signed)
    return signed


def _load(assertion_id: uuid.UUID) -> Assertion:
    return db.session.scalars(
        select(Assertion)
        .where(Assertion.id == assertion_id)
        .options(joinedload(Assertion.badge).joinedload(BadgeClass.issuer))
    ).one()


def build_credential(
    assertion: Assertion,
    issuer: ob3.ProfileData,
    urls: PublicUrls,
    status: ob3.StatusEntry | None,
    subject_id: str | None = None,
) -> dict[str, Any]:
    """Build an award's OpenBadgeCredential (without proof) from its stored record."""
    badge = assertion.badge
    return ob3.build_credential(
        ob3.CredentialData(
            id=f"urn:uuid:{assertion.id}",
            issuer=issuer,
            achievement=ob3.AchievementData(
                id=urls.badge(badge.id),
                name=badge.name,
                description=badge.description,
                image=urls.badge_image(badge.id),
                criteria_narrative=badge.criteria_narrative,
                criteria_url=badge.criteria_url,
                tags=badge.tags,
                alignment=badge.alignment,
            ),
            recipient_email=assertion.recipient_email,
            salt=assertion.salt,
            valid_from=assertion.issued_on,
            valid_until=assertion.expires,
            narrative=assertion.narrative,
            evidence=assertion.evidence or (),
            status=status,
            subject_id=subject_id,
        )
    )


def profile_data(issuer: Issuer, urls: PublicUrls, *, did: bool = False) -> ob3.ProfileData:
    """The values of an issuer's OB 3.0 Profile; its id is the https Profile URL, or the
    issuer's did:web for Data Integrity credentials."""
    return ob3.ProfileData(
        id=urls.did(issuer.id) if did else urls.issuer_profile(issuer.id),
        name=issuer.name,
        url=issuer.url,
        email=issuer.email,
        description=issuer.description,
        image=urls.issuer_image(issuer.id) if issuer.image_id else None,
    )


def profile_document(issuer_id: uuid.UUID, urls: PublicUrls) -> dict[str, Any]:
    """Build an issuer's OB 3.0 Profile document."""
    issuer = db.session.get(Issuer, issuer_id)
    if issuer is None:
        raise NotFoundError(f"no issuer with id {issuer_id}")
    return ob3.build_profile(profile_data(issuer, urls), also_known_as=[urls.did(issuer.id)])


def did_document(
    issuer_id: uuid.UUID, urls: PublicUrls, keys: Sequence[ProofKey]
) -> dict[str, Any]:
    """Build an issuer's DID document: every Ed25519 key ever used (old ones still verify)."""
    if db.session.get(Issuer, issuer_id) is None:
        raise NotFoundError(f"no issuer with id {issuer_id}")
    return build_did_document(
        urls.did(issuer_id), [key.multibase for key in keys], [urls.issuer_profile(issuer_id)]
    )


def _status_entry(assertion_id: uuid.UUID) -> tuple[int, int]:
    """The award's status list entry (list number, position), taken now if it has none."""
    current = db.session.execute(
        select(Assertion.status_list, Assertion.status_index).where(Assertion.id == assertion_id)
    ).one()
    if current.status_list is not None and current.status_index is not None:
        return current.status_list, current.status_index
    list_number, index = _allocate_status_entry()
    stored = db.session.execute(
        update(Assertion)
        .where(Assertion.id == assertion_id, Assertion.status_list.is_(None))
        .values(status_list=list_number, status_index=index)
        .returning(Assertion.id)
        .execution_options(synchronize_session=False)
    ).first()
    if stored is None:  # another request gave the award its entry first: that one counts
        return _status_entry(assertion_id)
    return list_number, index


def _allocate_status_entry() -> tuple[int, int]:
    """Take the next status list entry: (list number, position), never handed out twice."""
    take = (
        update(StatusAllocator)
        .where(StatusAllocator.id == 1)
        .values(next_number=StatusAllocator.next_number + 1)
        .returning(StatusAllocator.seed, StatusAllocator.next_number)
    )
    row = db.session.execute(take).one_or_none()
    if row is None:
        # The first credential ever: create the allocator with its secret (once, whoever wins).
        db.session.execute(
            insert_ignoring_duplicates(StatusAllocator, "id").values(
                id=1, seed=os.urandom(32), next_number=0
            )
        )
        row = db.session.execute(take).one()
    seed, next_number = row
    return ob3.status_position(seed, next_number - 1)


def status_list_jwt(
    issuer_id: uuid.UUID, kid: str, number: int, urls: PublicUrls, keys: Sequence[SigningKey]
) -> str:
    """Return an issuer's status list ``number`` as a VC-JWT signed by key ``kid``.

    The list is signed by the key that signed the credentials pointing at it, so verifiers
    that check the list with the credential's key keep working after a key rotation.
    """
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise NotFoundError(f"no status list {number} of issuer {issuer_id} for key {kid}")
    positions, valid_from = _revoked_positions(issuer_id, number)
    return _signed_status_list(
        urls.status_list(issuer_id, kid, number),
        urls.issuer_profile(issuer_id),
        valid_from,
        positions,
        key,
        urls.jwk(key.kid),
    )


def status_list_json(
    issuer_id: uuid.UUID, number: int, make_signer: Callable[[], ProofSigner]
) -> str:
    """Return an issuer's status list ``number`` as JSON-LD with a Data Integrity proof by
    the issuer's DID (its current key: the DID document lists every key, old ones too)."""
    positions, valid_from = _revoked_positions(issuer_id, number)
    return _signed_status_list_ld(issuer_id, number, valid_from, positions, make_signer())


def _revoked_positions(issuer_id: uuid.UUID, number: int) -> tuple[tuple[int, ...], datetime]:
    """The revoked positions of an issuer's status list, and the time of its latest change."""
    issuer = db.session.get(Issuer, issuer_id)
    if issuer is None or not 0 <= number <= _last_list_number():
        raise NotFoundError(f"no status list {number} of issuer {issuer_id}")
    rows = db.session.execute(
        select(Assertion.status_index, Assertion.revoked_at)
        .join(BadgeClass, BadgeClass.id == Assertion.badge_id)
        .where(
            BadgeClass.issuer_id == issuer_id,
            Assertion.status_list == number,
            Assertion.revoked.is_(True),
        )
    ).all()
    positions = tuple(sorted(index for index, _ in rows if index is not None))
    # The list is as new as its latest revocation: the same bits always give the same list.
    valid_from: datetime = max(
        (revoked_at for _, revoked_at in rows if revoked_at), default=issuer.created_at
    )
    return positions, valid_from


def _last_list_number() -> int:
    handed_out = db.session.scalar(select(func.max(StatusAllocator.next_number))) or 0
    return max(handed_out - 1, 0) // ob3.STATUS_LIST_SIZE


# Signing costs far more than reading which bits are set: a list is signed once per content.
@functools.lru_cache(maxsize=256)
def _signed_status_list(
    url: str,
    issuer_profile: str,
    valid_from: datetime,
    positions: tuple[int, ...],
    key: SigningKey,
    kid_url: str,
) -> str:
    document = ob3.build_status_list_credential(url, issuer_profile, valid_from, positions)
    return vcjwt.sign_credential(document, key.private_key, kid_url)


@functools.lru_cache(maxsize=256)
def _signed_status_list_ld(
    issuer_id: uuid.UUID,
    number: int,
    valid_from: datetime,
    positions: tuple[int, ...],
    signer: ProofSigner,
) -> str:
    urls = signer.urls
    document = ob3.build_status_list_credential(
        urls.status_list_json(issuer_id, number), urls.did(issuer_id), valid_from, positions
    )
    # Created when its content last changed: every host signs the same list the same way.
    return serialize(signer.sign(issuer_id, document, valid_from))


def jwk_document(kid: str, urls: PublicUrls, keys: Sequence[SigningKey]) -> dict[str, Any]:
    """Return the bare public JWK of signing key kid (what a VC-JWT's ``kid`` URL serves)."""
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        raise NotFoundError(f"no signing key {kid}")
    return vcjwt.public_jwk(key.public_pem, urls.jwk(key.kid))


def jwks_document(urls: PublicUrls, keys: Sequence[SigningKey]) -> dict[str, Any]:
    """Return the JWK Set of every signing key, old ones included (they still verify)."""
    return {"keys": [vcjwt.public_jwk(key.public_pem, urls.jwk(key.kid)) for key in keys]}
