"""One-time grants to take an award's credential into a wallet.

A grant is a secret that names one award and when it expires, authenticated with the server's
grant key (HMAC-SHA-256), so making one writes nothing: an award e-mail to 10,000 people costs
no row. Spending one records the SHA-256 of its secret (never the secret itself), which makes
a second spend fail. The grant knows nothing of the transport that spends it: today a wallet's
DID Authentication request (issuer.services.wallet) presents it as its challenge; an OpenID for
Verifiable Credential Issuance pre-authorised code could spend the same grant.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from issuer.extensions import db
from issuer.models import SpentWalletGrant
from issuer.models.types import utcnow
from issuer.services.batches import insert_ignoring_duplicates
from issuer.services.errors import ForbiddenError

# A grant shown on the award page is scanned or tapped at once; one sent by e-mail is read later.
PAGE_GRANT_TTL = timedelta(minutes=30)
EMAIL_GRANT_TTL = timedelta(days=14)

_VERSION = b"\x01"
_MAC_BYTES = 16  # 128 bits: a forgery needs 2**128 tries
_LENGTH = len(_VERSION) + 16 + 8 + _MAC_BYTES


class GrantError(ForbiddenError):
    """The grant cannot be spent: unknown, expired or already used."""


@dataclass(frozen=True)
class GrantKey:
    """The secret that makes and checks grants."""

    secret: bytes = field(repr=False)

    @classmethod
    def derive(cls, app_secret: str, label: bytes = b"issuer wallet grants") -> GrantKey:
        """A key derived from the app's secret key (shared by all its hosts) for one use."""
        return cls(hmac.digest(app_secret.encode("utf-8"), label, "sha256"))

    def mac(self, body: bytes) -> bytes:
        """The authentication code of a grant's body."""
        return hmac.digest(self.secret, body, "sha256")[:_MAC_BYTES]


@dataclass(frozen=True)
class Grant:
    """A grant as handed to its owner: the secret exists only here, never in the database."""

    secret: str
    assertion_id: uuid.UUID
    expires_at: datetime


def make_grants(
    assertion_ids: Sequence[uuid.UUID], ttl: timedelta, key: GrantKey, now: datetime | None = None
) -> list[Grant]:
    """Make one grant per award (nothing is stored)."""
    expires_at = (now or utcnow()).replace(microsecond=0) + ttl
    expiry = int(expires_at.timestamp()).to_bytes(8, "big")
    grants = []
    for assertion_id in assertion_ids:
        body = _VERSION + assertion_id.bytes + expiry
        token = base64.urlsafe_b64encode(body + key.mac(body)).rstrip(b"=").decode("ascii")
        grants.append(Grant(token, assertion_id, expires_at))
    return grants


def spend_grant(secret: str, holder: str, key: GrantKey) -> uuid.UUID:
    """Spend a grant for ``holder`` (who receives the credential); return its award's id.

    Only one caller can spend a grant, even concurrently. GrantError says why one cannot.
    """
    assertion_id, expires_at = _read(secret, key)
    now = utcnow()
    if expires_at <= now:
        raise GrantError(
            f"the challenge expired at {expires_at:%Y-%m-%d %H:%M} UTC: ask for a new link on "
            "the award page"
        )
    spent = db.session.execute(
        insert_ignoring_duplicates(SpentWalletGrant, "secret_hash")
        .values(
            secret_hash=hashlib.sha256(secret.encode("ascii")).hexdigest(),
            assertion_id=assertion_id,
            spent_at=now,
            holder=holder,
        )
        .returning(SpentWalletGrant.secret_hash)
    ).first()
    if spent is None:
        raise GrantError(
            "the challenge was used already: each link adds the badge to one wallet once; ask "
            "for a new link on the award page"
        )
    return assertion_id


def _read(secret: str, key: GrantKey) -> tuple[uuid.UUID, datetime]:
    unknown = GrantError("the challenge is unknown: ask for a new link on the award page")
    try:
        raw = base64.urlsafe_b64decode(secret.encode("ascii") + b"=" * (-len(secret) % 4))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise unknown from None
    body, mac = raw[: _LENGTH - _MAC_BYTES], raw[_LENGTH - _MAC_BYTES :]
    if (
        len(raw) != _LENGTH
        or not body.startswith(_VERSION)
        or not hmac.compare_digest(mac, key.mac(body))
    ):
        raise unknown
    expiry = int.from_bytes(body[17:], "big")
    return uuid.UUID(bytes=body[1:17]), datetime.fromtimestamp(expiry, UTC)
