"""An award as stored: the row a new award is inserted as, and the values its Open Badges 2.0
documents are built from.

Every way of awarding builds its rows with ``new_award`` and every OB 2.0 document (hosted or
signed) reads a stored award through ``assertion_data``: changing what an assertion says means
changing the domain builder (issuer.openbadges.ob2) and these two functions, nothing else.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from issuer.openbadges import ob2
from issuer.openbadges.identity import new_salt


class StoredAward(Protocol):
    """An award as far as its OB 2.0 documents go: a stored row, a new one, or its ORM object."""

    @property
    def id(self) -> uuid.UUID:
        """The award's id."""

    @property
    def badge_id(self) -> uuid.UUID:
        """The awarded badge."""

    @property
    def recipient_email(self) -> str:
        """The address the recipient identity is hashed from."""

    @property
    def salt(self) -> str:
        """The salt of that hash."""

    @property
    def issued_on(self) -> datetime:
        """When the award was issued."""

    @property
    def expires(self) -> datetime | None:
        """When it expires, if it does."""

    @property
    def narrative(self) -> str | None:
        """What the recipient did."""

    @property
    def evidence(self) -> Sequence[Mapping[str, str]] | None:
        """The evidence items."""


class AwardRow(NamedTuple):
    """The columns of a stored award that its public forms (documents, images, credentials)
    are built from, in the order the hosted fast read selects them."""

    id: uuid.UUID
    badge_id: uuid.UUID
    recipient_email: str
    salt: str
    issued_on: datetime
    expires: datetime | None
    narrative: str | None
    evidence: list[dict[str, str]] | None
    revoked: bool
    revocation_reason: str | None
    signed_jws: str | None
    signed_kid: str | None
    credential_jwt: str | None
    credential_ld: str | None


def assertion_data(award: StoredAward, document_id: str, badge_url: str) -> ob2.AssertionData:
    """The values an OB 2.0 Assertion of a stored award is built from, under the given id and
    BadgeClass URL (the hosted document and the signed one name them differently)."""
    return ob2.AssertionData(
        id=document_id,
        badge=badge_url,
        recipient_email=award.recipient_email,
        salt=award.salt,
        issued_on=award.issued_on,
        expires=award.expires,
        narrative=award.narrative,
        evidence=award.evidence or (),
    )


@dataclass
class NewAward:
    """The row of an award about to be inserted; the columns it leaves out take their defaults.

    ``columns()`` is the row as insert_rows takes it; signing fills ``signed_jws``/``signed_kid``.
    """

    id: uuid.UUID
    badge_id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_email: str
    salt: str
    issued_on: datetime
    expires: datetime | None
    narrative: str | None
    evidence: list[dict[str, str]]
    duplicate: bool
    in_feed: bool
    created_at: datetime
    revoked: bool = False
    signed_jws: str | None = None
    signed_kid: str | None = None

    def columns(self) -> dict[str, Any]:
        """The row's column values by name (the object's own dict: not to be changed)."""
        return self.__dict__


def new_award(
    badge_id: uuid.UUID,
    recipient_id: uuid.UUID,
    recipient_email: str,
    *,
    issued_on: datetime,
    expires: datetime | None,
    narrative: str | None,
    evidence: Sequence[Mapping[str, str]],
    duplicate: bool,
    in_feed: bool,
    now: datetime,
) -> NewAward:
    """Build the row of a new award, with a fresh id and salt; dates already checked."""
    return NewAward(
        id=uuid.uuid4(),
        badge_id=badge_id,
        recipient_id=recipient_id,
        recipient_email=recipient_email,
        salt=new_salt(),
        issued_on=issued_on,
        expires=expires,
        narrative=narrative,
        evidence=[dict(item) for item in evidence],
        duplicate=duplicate,
        in_feed=in_feed,
        created_at=now,
    )
