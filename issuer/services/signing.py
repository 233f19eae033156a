"""Signing awards: the JWS of each assertion, made once and stored, and Data Integrity proofs
by an issuer's did:web."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.openbadges import dataintegrity, ob2, signing
from issuer.openbadges.did import verification_method
from issuer.openbadges.jsonld import Contexts
from issuer.openbadges.urls import PublicUrls
from issuer.services.assertions import StoredAward, assertion_data
from issuer.services.grants import GrantKey
from issuer.services.keystore import ProofKey, SigningKey

# Below this many awards, starting threads costs more than it saves.
_PARALLEL_FROM = 32
# RSA signing releases the GIL, so threads sign in parallel on every core.
_SIGNING_THREADS = 4


@dataclass(frozen=True)
class Signer:
    """Signs assertions with one key, naming that key's document for the badge's issuer; its
    grant and account keys authenticate the one-time links award e-mails carry (add to a
    wallet, set your password)."""

    urls: PublicUrls
    key: SigningKey
    grant_key: GrantKey
    account_key: GrantKey

    def sign(self, issuer_id: uuid.UUID, award: StoredAward) -> str:
        """Return the compact JWS of one award."""
        return self.sign_many(issuer_id, [award])[0]

    def sign_many(self, issuer_id: uuid.UUID, awards: Sequence[StoredAward]) -> list[str]:
        """Return the JWS of each award, in order, signing in parallel for large batches."""
        key_url = self.urls.key(issuer_id, self.key.kid)
        payloads = [
            ob2.serialize(signed_payload(award, self.urls, key_url, self.key.kid))
            for award in awards
        ]
        private_key = self.key.private_key

        def sign_one(payload: bytes) -> str:
            return signing.sign(payload, private_key, key_url)

        if len(payloads) < _PARALLEL_FROM:
            return [sign_one(payload) for payload in payloads]
        with ThreadPoolExecutor(_SIGNING_THREADS) as pool:
            return list(pool.map(sign_one, payloads, chunksize=64))


def signed_payload(award: StoredAward, urls: PublicUrls, key_url: str, kid: str) -> dict[str, Any]:
    """Build the signed Assertion of an award: ``urn:uuid`` id, key-scoped BadgeClass URL."""
    data = assertion_data(award, f"urn:uuid:{award.id}", urls.badge(award.badge_id, kid))
    return ob2.build_signed_assertion(data, creator=key_url)


@dataclass(frozen=True)
class ProofSigner:
    """Adds Data Integrity proofs (eddsa-rdfc-2022) by an issuer's did:web with one key."""

    urls: PublicUrls
    key: ProofKey
    contexts: Contexts

    def sign(
        self, issuer_id: uuid.UUID, document: Mapping[str, Any], created: datetime
    ) -> dict[str, Any]:
        """Return the document with a proof for assertions, by the issuer's DID key."""
        method = verification_method(self.urls.did(issuer_id), self.key.multibase)
        options = dataintegrity.ProofOptions(verification_method=method, created=created)
        return dataintegrity.sign(document, self.key.private_key, options, self.contexts)
