"""Issuers: create, find and list them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from issuer.extensions import db
from issuer.models import Issuer
from issuer.openbadges.identity import InvalidEmailError, normalize_email
from issuer.services.errors import InvalidInputError, NotFoundError
from issuer.services.images import store_image


@dataclass
class IssuerDraft:
    """The fields of a new issuer."""

    name: str
    url: str
    email: str
    description: str | None = None
    image: str | bytes | None = None  # a data URI, or an uploaded file's bytes


@dataclass
class Created:
    """A newly created object together with warnings about its input."""

    issuer: Issuer
    warnings: list[str] = field(default_factory=list)


def create_issuer(draft: IssuerDraft, *, max_image_bytes: int) -> Created:
    """Create an issuer, checking and storing its image if it has one."""
    try:
        email = normalize_email(draft.email)
    except InvalidEmailError as error:
        raise InvalidInputError(str(error), "email") from None
    issuer = Issuer(
        name=draft.name.strip(),
        url=draft.url,
        email=email,
        description=draft.description or None,
    )
    warnings: list[str] = []
    if draft.image:
        issuer.image, warnings = store_image(draft.image, max_bytes=max_image_bytes)
    db.session.add(issuer)
    db.session.flush()
    return Created(issuer, warnings)


def get_issuer(issuer_id: uuid.UUID) -> Issuer:
    """Return an issuer by id or raise NotFoundError."""
    issuer = db.session.get(Issuer, issuer_id)
    if issuer is None:
        raise NotFoundError(f"no issuer with id {issuer_id}")
    return issuer


def list_issuers(*, limit: int | None = None) -> list[Issuer]:
    """Return every issuer (or the first ``limit``), oldest first."""
    query = select(Issuer).order_by(Issuer.created_at, Issuer.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))
