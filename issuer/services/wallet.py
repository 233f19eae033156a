"""Taking an award into a wallet the way the Learner Credential Wallet does (DID Auth).

The learner opens a credential-request link (``dccrequest://request?...`` or its https form),
carrying the issuer's DID, the URL to post to and a one-time challenge (a grant). The wallet
makes a fresh did:key, signs a VerifiablePresentation with ``holder`` = that DID and the
challenge in its proof (Ed25519Signature2020 in LCW 2.2, or eddsa-rdfc-2022), and posts it.
We check the proof, that the key belongs to the holder, spend the grant, and answer with the
award's credential issued to the holder's DID.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from issuer.models import Assertion
from issuer.openbadges import dataintegrity
from issuer.openbadges.did import did_key_public_key
from issuer.openbadges.jsonld import JsonLdError
from issuer.openbadges.urls import PublicUrls
from issuer.services import grants
from issuer.services.credentials import CredentialCheck, holder_credential, serialize
from issuer.services.errors import ForbiddenError, InvalidInputError
from issuer.services.hosted import get_assertion_for_page, load_assertion, refuse_revoked
from issuer.services.signing import ProofSigner

# LCW's app.config.js: its own scheme, and the https address the phone hands to the app.
DEEP_LINK = "dccrequest://request"
UNIVERSAL_LINK = "https://lcw.app/request.html"


class PresentationError(ForbiddenError):
    """The presentation does not prove that its holder asked: bad proof, another key ..."""


@dataclass(frozen=True)
class WalletLinks:
    """One credential-request link (its query), in both forms, and when it expires."""

    query: str
    expires_at: datetime

    @property
    def deep_link(self) -> str:
        """The link that opens the wallet app: ``dccrequest://request?...``."""
        return f"{DEEP_LINK}?{self.query}"

    @property
    def https_link(self) -> str:
        """The same link as a web address, for e-mail and other devices."""
        return f"{UNIVERSAL_LINK}?{self.query}"


def wallet_links(issuer_did: str, urls: PublicUrls, grant: grants.Grant) -> WalletLinks:
    """The links a wallet opens to ask for an award's credential with a grant."""
    return _link_query(issuer_did, urls)(grant)


def _link_query(issuer_did: str, urls: PublicUrls) -> Callable[[grants.Grant], WalletLinks]:
    # Everything but the challenge is the same for every award of an issuer: encoded once.
    shared = urlencode(
        {"issuer": issuer_did, "vc_request_url": urls.wallet_request(), "auth_type": "bearer"}
    )

    def links(grant: grants.Grant) -> WalletLinks:
        # A grant's secret is URL-safe base64: nothing in it needs encoding.
        return WalletLinks(f"{shared}&challenge={grant.secret}", grant.expires_at)

    return links


def offer_to_wallet(
    assertion_id: uuid.UUID, viewer_id: uuid.UUID, urls: PublicUrls, key: grants.GrantKey
) -> tuple[Assertion, WalletLinks]:
    """Make a one-time link for the award's owner (nobody else) to add it to a wallet."""
    assertion = get_assertion_for_page(assertion_id)
    if assertion.recipient_id != viewer_id:
        raise ForbiddenError("only the person who received this badge can add it to a wallet")
    if assertion.revoked:
        raise ForbiddenError("this badge was revoked: it can no longer be added to a wallet")
    (grant,) = grants.make_grants([assertion_id], grants.PAGE_GRANT_TTL, key)
    return assertion, wallet_links(urls.did(assertion.badge.issuer_id), urls, grant)


def email_links(
    awards: Sequence[tuple[uuid.UUID, uuid.UUID]], urls: PublicUrls, key: grants.GrantKey
) -> dict[uuid.UUID, WalletLinks]:
    """One-time wallet links for award e-mails, by award id; awards are (award, issuer) ids.

    They last EMAIL_GRANT_TTL, as e-mail is read later.
    """
    issuers = dict(awards)
    made = grants.make_grants(list(issuers), grants.EMAIL_GRANT_TTL, key)
    by_issuer = {issuer: _link_query(urls.did(issuer), urls) for issuer in set(issuers.values())}
    return {grant.assertion_id: by_issuer[issuers[grant.assertion_id]](grant) for grant in made}


def issue_to_holder(
    presentation: Any, signer: ProofSigner, check: CredentialCheck, key: grants.GrantKey
) -> dict[str, Any]:
    """Check a DID Authentication presentation and spend its challenge; return the award's
    credential issued to the presentation's holder. The caller commits."""
    if not isinstance(presentation, Mapping):
        raise InvalidInputError("the body must be a VerifiablePresentation (a JSON object)")
    kinds = presentation.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "VerifiablePresentation" not in kinds:
        raise InvalidInputError("the body must be a VerifiablePresentation", "type")
    holder = presentation.get("holder")
    if not isinstance(holder, str) or not holder.startswith("did:key:"):
        raise InvalidInputError(
            "the presentation's holder must be a did:key (the wallet's own DID)", "holder"
        )
    try:
        proof = dataintegrity.verify(
            presentation, signer.contexts, _did_key, purpose="authentication"
        )
    except JsonLdError as error:
        raise InvalidInputError(f"the presentation is not valid JSON-LD: {error}") from None
    except dataintegrity.ProofError as error:
        raise PresentationError(f"the presentation's proof does not hold: {error}") from None
    if did_key_public_key(proof.verification_method)[0] != holder:
        raise PresentationError("the presentation is signed by another DID than its holder")
    if not proof.challenge:
        raise PresentationError("the presentation's proof carries no challenge")
    assertion_id = grants.spend_grant(proof.challenge, holder, key)
    refuse_revoked(load_assertion(assertion_id))
    return holder_credential(assertion_id, holder, signer, check)


def response_text(credential: dict[str, Any]) -> str:
    """The credential as the wallet's response body.

    LCW decodes HTML entities in the body before parsing it, so an ``&`` (only ever inside a
    JSON string) is written ``\\u0026``: the same text to a JSON parser, and no entity."""
    return serialize(credential).replace("&", "\\u0026")


def _did_key(method: str) -> Ed25519PublicKey | None:
    try:
        return did_key_public_key(method)[1]
    except ValueError:
        return None
