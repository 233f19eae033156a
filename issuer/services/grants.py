"""One-time grants to take an award's credential into a wallet.

A grant is a random secret bound to one award, stored only as its SHA-256, that expires and can
be spent once. It knows nothing of the transport that spends it: today a wallet's DID
Authentication request (issuer.services.wallet) presents it as its challenge; an OpenID for
Verifiable Credential Issuance pre-authorised code could spend the same grant.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, select, update

from issuer.extensions import db
from issuer.models import WalletGrant
from issuer.models.types import utcnow
from issuer.services.errors import ForbiddenError
from issuer.services.outbox import insert_rows

# A grant shown on the award page is scanned or tapped at once; one sent by e-mail is read later.
PAGE_GRANT_TTL = timedelta(minutes=30)
EMAIL_GRANT_TTL = timedelta(days=14)

_GRANTS = cast(Table, WalletGrant.__table__)


class GrantError(ForbiddenError):
    """The grant cannot be spent: unknown, expired or already used."""


@dataclass(frozen=True)
class Grant:
    """A grant as handed to its owner: the secret exists only here, never in the database."""

    secret: str
    assertion_id: uuid.UUID
    expires_at: datetime


def create_grants(
    assertion_ids: Sequence[uuid.UUID], ttl: timedelta, now: datetime | None = None
) -> list[Grant]:
    """Make one grant per award (one INSERT for all); flush."""
    moment = now or utcnow()
    grants = [Grant(secrets.token_urlsafe(32), award, moment + ttl) for award in assertion_ids]
    rows = [
        {
            "id": uuid.uuid4(),
            "assertion_id": grant.assertion_id,
            "secret_hash": _hash(grant.secret),
        }
        for grant in grants
    ]
    if rows:
        insert_rows(_GRANTS, rows, {"created_at": moment, "expires_at": moment + ttl})
    return grants


def create_grant(assertion_id: uuid.UUID, ttl: timedelta) -> Grant:
    """Make one grant for one award; flush."""
    return create_grants([assertion_id], ttl)[0]


def spend_grant(secret: str, holder: str) -> uuid.UUID:
    """Spend a grant for ``holder`` (who receives the credential); return its award's id.

    Only one caller can spend a grant, even concurrently. GrantError says why one cannot.
    """
    now = utcnow()
    secret_hash = _hash(secret)
    spent = db.session.execute(
        update(WalletGrant)
        .where(
            WalletGrant.secret_hash == secret_hash,
            WalletGrant.used_at.is_(None),
            WalletGrant.expires_at > now,
        )
        .values(used_at=now, holder=holder)
        .returning(WalletGrant.assertion_id)
        .execution_options(synchronize_session=False)
    ).first()
    if spent is not None:
        assertion_id: uuid.UUID = spent.assertion_id
        return assertion_id
    found = db.session.execute(
        select(WalletGrant.used_at, WalletGrant.expires_at).where(
            WalletGrant.secret_hash == secret_hash
        )
    ).first()
    if found is None:
        raise GrantError("the challenge is unknown: ask for a new link on the award page")
    if found.used_at is not None:
        raise GrantError(
            "the challenge was used already: each link adds the badge to one wallet once; ask "
            "for a new link on the award page"
        )
    raise GrantError(
        f"the challenge expired at {found.expires_at:%Y-%m-%d %H:%M} UTC: ask for a new link "
        "on the award page"
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
