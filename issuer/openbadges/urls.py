"""The public URLs of hosted Open Badges documents, derived from the issuer's base URL.

Signed badges point at key-scoped views of their BadgeClass and issuer Profile
(``?key=<kid>``): a Profile that lists exactly the key that signed. openbadges-validator-core
accepts only one ``publicKey`` per Profile, so this is how badges signed before a key rotation
keep verifying after it.
"""

from __future__ import annotations

import uuid

from issuer.openbadges.did import did_web


class PublicUrls:
    """Builds the stable public URLs that appear as ids in every document."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def issuer(self, issuer_id: uuid.UUID, kid: str | None = None) -> str:
        """URL of an issuer Profile (the view for badges signed by key kid, when given)."""
        return f"{self.base_url}/public/issuers/{issuer_id}{_scope(kid)}"

    def issuer_image(self, issuer_id: uuid.UUID) -> str:
        """URL of an issuer's image."""
        return f"{self.base_url}/public/issuers/{issuer_id}/image"

    def badge(self, badge_id: uuid.UUID, kid: str | None = None) -> str:
        """URL of a BadgeClass (the view for badges signed by key kid, when given)."""
        return f"{self.base_url}/public/badges/{badge_id}{_scope(kid)}"

    def badge_image(self, badge_id: uuid.UUID) -> str:
        """URL of a BadgeClass image."""
        return f"{self.base_url}/public/badges/{badge_id}/image"

    def assertion(self, assertion_id: uuid.UUID) -> str:
        """URL of a hosted Assertion."""
        return f"{self.base_url}/public/assertions/{assertion_id}"

    def assertion_signed(self, assertion_id: uuid.UUID) -> str:
        """URL of an assertion's signed form (the JWS as text)."""
        return f"{self.base_url}/public/assertions/{assertion_id}/signed"

    def assertion_image(self, assertion_id: uuid.UUID) -> str:
        """URL of an assertion's baked badge image."""
        return f"{self.base_url}/public/assertions/{assertion_id}/image"

    def issuer_profile(self, issuer_id: uuid.UUID) -> str:
        """URL of an issuer's OB 3.0 Profile: the issuer id of its credentials."""
        return f"{self.base_url}/public/issuers/{issuer_id}/profile"

    def credential(self, assertion_id: uuid.UUID) -> str:
        """URL of an award's OB 3.0 OpenBadgeCredential as a VC-JWT."""
        return f"{self.base_url}/public/assertions/{assertion_id}/credential"

    def credential_json(self, assertion_id: uuid.UUID) -> str:
        """URL of an award's OB 3.0 credential as JSON-LD with a Data Integrity proof."""
        return f"{self.base_url}/public/assertions/{assertion_id}/credential.json"

    def status_list(self, issuer_id: uuid.UUID, kid: str, number: int) -> str:
        """URL of one of an issuer's OB 3.0 status lists as a VC-JWT signed by key kid."""
        return f"{self.base_url}/public/issuers/{issuer_id}/status/{kid}/{number}"

    def status_list_json(self, issuer_id: uuid.UUID, number: int) -> str:
        """URL of one of an issuer's OB 3.0 status lists as JSON-LD with a Data Integrity
        proof (the list of its Data Integrity credentials)."""
        return f"{self.base_url}/public/issuers/{issuer_id}/status/{number}.json"

    def did(self, issuer_id: uuid.UUID) -> str:
        """An issuer's did:web: the issuer of its Data Integrity credentials."""
        return did_web(self.base_url, "public", "issuers", str(issuer_id))

    def did_document(self, issuer_id: uuid.UUID) -> str:
        """URL of an issuer's DID document (where did:web resolution finds it)."""
        return f"{self.base_url}/public/issuers/{issuer_id}/did.json"

    def set_password(self, token: str) -> str:
        """URL of the page where a one-time link lets a person set their password."""
        return f"{self.base_url}/password/set?token={token}"

    def wallet_request(self) -> str:
        """URL where wallets present a one-time challenge to receive a credential."""
        return f"{self.base_url}/public/wallet/request"

    def jwk(self, kid: str) -> str:
        """URL of a signing key's bare public JWK: the ``kid`` of every VC-JWT it signs."""
        return f"{self.base_url}/public/jwk/{kid}"

    def jwks(self) -> str:
        """URL of the JWK Set of every signing key."""
        return f"{self.base_url}/.well-known/jwks.json"

    def revocations(self, issuer_id: uuid.UUID) -> str:
        """URL of an issuer's RevocationList."""
        return f"{self.base_url}/public/issuers/{issuer_id}/revocations"

    def key(self, issuer_id: uuid.UUID, kid: str) -> str:
        """URL of the CryptographicKey document of signing key kid, owned by one issuer."""
        return f"{self.base_url}/public/keys/{key_ref(issuer_id, kid)}"


def _scope(kid: str | None) -> str:
    return f"?key={kid}" if kid else ""


def key_ref(issuer_id: uuid.UUID, kid: str) -> str:
    """The last path segment of a key document: the key id, then its owner issuer's id.

    The server's signing keys sign for every issuer, but a CryptographicKey has one owner, so
    each issuer publishes each key under its own URL.
    """
    return f"{kid}-{issuer_id}"


def parse_key_ref(ref: str) -> tuple[uuid.UUID, str] | None:
    """Split a key document path segment into (issuer id, key id); None when malformed."""
    kid, _, issuer = ref.partition("-")
    try:
        return uuid.UUID(issuer), kid
    except ValueError:
        return None
