"""Checking an award the way a verifier would: by hosted URL, by JWS or VC-JWT, by its Data
Integrity credential, or from a baked image."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from issuer.models import Assertion
from issuer.models.types import utcnow
from issuer.openbadges import dataintegrity, signing, vcjwt
from issuer.openbadges.baking import (
    BakingError,
    BakingVersion,
    detect_image_type,
    unbake_png,
    unbake_svg,
)
from issuer.openbadges.did import did_web
from issuer.openbadges.jsonld import Contexts, JsonLdError
from issuer.openbadges.keys import public_key_from_multibase
from issuer.openbadges.urls import PublicUrls, parse_key_ref
from issuer.services.errors import InvalidInputError, NotFoundError
from issuer.services.hosted import get_assertion_for_page
from issuer.services.keystore import ProofKey, SigningKey

STATUSES = (
    "valid",
    "revoked",
    "expired",
    "bad_signature",
    "unknown_key",
    "not_yet_valid",
    "not_a_badge",
)


@dataclass(frozen=True)
class TrustedKeys:
    """What a check trusts: this server's keys of both kinds, and its JSON-LD contexts."""

    signing: Sequence[SigningKey]
    proof: Sequence[ProofKey]
    contexts: Contexts


@dataclass(frozen=True)
class Verification:
    """The outcome of a check: a status, why, and the award when one was found."""

    status: str
    message: str
    # "hosted", "signed" (OB 2.0 JWS), "credential" (OB 3.0 VC-JWT) or "credential_di"
    # (OB 3.0 with a Data Integrity proof)
    format: str | None = None
    assertion: Assertion | None = None

    @property
    def valid(self) -> bool:
        """Whether the badge checks out."""
        return self.status == "valid"


def verify_url(url: str, urls: PublicUrls) -> Verification:
    """Check a hosted assertion URL of this server (other servers are never fetched)."""
    prefix = f"{urls.base_url}/public/assertions/"
    if not url.startswith(prefix):
        raise InvalidInputError(
            f"url: only awards hosted by this server can be checked here (their URLs start "
            f"with {prefix})",
            "url",
        )
    try:
        assertion_id = uuid.UUID(url.removeprefix(prefix).removesuffix(".json"))
    except ValueError:
        return Verification("not_a_badge", "there is no award at this address")
    return _status_of(assertion_id, "hosted")


def verify_jws(token: str, urls: PublicUrls, keys: Sequence[SigningKey]) -> Verification:
    """Check a signed assertion or a VC-JWT: its key, its signature, then the award's status."""
    try:
        unverified = signing.read_unverified(token)
    except signing.MalformedJWSError as error:
        raise InvalidInputError(f"jws: {error}", "jws") from None
    payload = unverified.payload
    if _is_credential(payload):
        return verify_credential_jwt(token, unverified, urls, keys)
    verification = payload.get("verification")
    creator = verification.get("creator") if isinstance(verification, dict) else None
    if not _is_assertion(payload) or not isinstance(creator, str):
        return Verification("not_a_badge", "the JWS does not carry a signed Open Badges assertion")
    key_prefix = f"{urls.base_url}/public/keys/"
    parsed = (
        parse_key_ref(creator.removeprefix(key_prefix)) if creator.startswith(key_prefix) else None
    )
    key = next((k for k in keys if parsed and k.kid == parsed[1]), None)
    if parsed is None or key is None:
        return Verification(
            "unknown_key", f"signed by a key this server does not know ({creator})", "signed"
        )
    try:
        signing.verify(token, key.public_pem)
    except signing.SignatureError:
        return Verification(
            "bad_signature",
            "the signature does not match the key: the badge was altered or forged",
            "signed",
        )
    except signing.MalformedJWSError as error:
        raise InvalidInputError(f"jws: {error}", "jws") from None
    assertion_id = _urn_uuid(payload.get("id"))
    if assertion_id is None:
        return Verification("not_a_badge", "the signed assertion has no urn:uuid id", "signed")
    result = _status_of(assertion_id, "signed")
    if result.assertion is not None and result.assertion.badge.issuer_id != parsed[0]:
        return Verification(
            "unknown_key",
            "the key belongs to another issuer than the badge",
            "signed",
            result.assertion,
        )
    return result


def verify_credential_jwt(
    token: str, unverified: signing.UnverifiedJWS, urls: PublicUrls, keys: Sequence[SigningKey]
) -> Verification:
    """Check an OB 3.0 VC-JWT: its key, signature, claims and validity, then the award."""
    kid = unverified.header.get("kid")
    key = next((k for k in keys if kid == urls.jwk(k.kid)), None)
    if key is None:
        return Verification(
            "unknown_key", f"signed by a key this server does not know ({kid})", "credential"
        )
    # The window is reported along with the award: an expired credential is still ours.
    window: tuple[str, str] | None = None
    try:
        vcjwt.verify_credential(token, key.public_pem)
    except signing.SignatureError:
        return Verification(
            "bad_signature",
            "the signature does not match the key: the credential was altered or forged",
            "credential",
        )
    except signing.MalformedJWSError as error:
        raise InvalidInputError(f"jws: {error}", "jws") from None
    except vcjwt.CredentialClaimsError as error:
        return Verification("not_a_badge", f"not a valid OB 3.0 credential: {error}", "credential")
    except vcjwt.ExpiredCredentialError as error:
        window = ("expired", str(error))
    except vcjwt.PrematureCredentialError as error:
        window = ("not_yet_valid", str(error))
    # The signature and the claims held, so the payload is a credential we signed.
    credential = unverified.payload
    assertion_id = _urn_uuid(credential.get("id"))
    if assertion_id is None:
        return Verification("not_a_badge", "the credential has no urn:uuid id", "credential")
    result = _status_of(assertion_id, "credential")
    assertion = result.assertion
    if assertion is None:
        return result
    if vcjwt.issuer_id(credential) != urls.issuer_profile(assertion.badge.issuer_id):
        return Verification(
            "not_a_badge", "the credential names another issuer than the award's", "credential"
        )
    if window is not None and result.status != "revoked":
        return Verification(*window, "credential", assertion)
    return result


def verify_credential_ld(credential: Any, urls: PublicUrls, trusted: TrustedKeys) -> Verification:
    """Check an OB 3.0 credential with a Data Integrity proof by one of our issuers' did:web:
    its key, its signature and validity, then the award (issued to a wallet's DID or not)."""
    form = "credential_di"
    if not isinstance(credential, dict) or not _is_credential(credential):
        return Verification("not_a_badge", "the JSON is not a Verifiable Credential", form)
    issuers = did_web(urls.base_url, "public", "issuers") + ":"

    def resolve(method: str) -> Ed25519PublicKey | None:
        did, _, fragment = method.partition("#")
        known = {key.multibase for key in trusted.proof}
        if not did.startswith(issuers) or fragment not in known:
            return None
        return public_key_from_multibase(fragment)

    window: tuple[str, str] | None = None
    try:
        proof = dataintegrity.verify(credential, trusted.contexts, resolve)
        vcjwt.check_validity(credential, utcnow())
    except dataintegrity.UnknownKeyError as error:
        return Verification("unknown_key", str(error), form)
    except dataintegrity.ProofSignatureError:
        return Verification(
            "bad_signature",
            "the signature does not match the key: the credential was altered or forged",
            form,
        )
    except (dataintegrity.ProofError, JsonLdError) as error:
        return Verification("not_a_badge", f"not a credential this server can check: {error}", form)
    except vcjwt.ExpiredCredentialError as error:
        window = ("expired", str(error))
    except vcjwt.PrematureCredentialError as error:
        window = ("not_yet_valid", str(error))
    except (KeyError, TypeError, ValueError) as error:
        return Verification("not_a_badge", f"not a valid OB 3.0 credential: {error}", form)
    signer = proof.verification_method.partition("#")[0]
    assertion_id = _urn_uuid(credential.get("id"))
    if assertion_id is None:
        return Verification("not_a_badge", "the credential has no urn:uuid id", form)
    result = _status_of(assertion_id, form)
    assertion = result.assertion
    if assertion is None:
        return result
    did = urls.did(assertion.badge.issuer_id)
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != did or signer != did:
        return Verification(
            "not_a_badge", "the credential names another issuer than the award's", form
        )
    if window is not None and result.status != "revoked":
        return Verification(*window, form, assertion)
    return result


def verify_image(data: bytes, urls: PublicUrls, trusted: TrustedKeys) -> Verification:
    """Check a baked PNG or SVG: unbake it (OB 3.0 first, then OB 2.0), then check it."""
    kind = detect_image_type(data)
    if kind is None:
        raise InvalidInputError("image: the file is not a PNG or SVG image", "image")
    try:
        text = data if kind == "png" else data.decode("utf-8")
        credential = _unbake(text, "ob3")
        payload = credential or _unbake(text, "ob2")
    except (BakingError, UnicodeDecodeError) as error:
        raise InvalidInputError(
            f"image: the {kind.upper()} file is damaged ({error})", "image"
        ) from None
    if not payload:
        raise InvalidInputError("image: no badge is baked into this image", "image")
    payload = payload.strip()
    if credential and payload.startswith("{"):
        return verify_credential_ld(_json(payload, "image"), urls, trusted)
    if payload.startswith("{"):
        try:
            document = json.loads(payload)
        except json.JSONDecodeError:
            raise InvalidInputError(
                "image: the baked assertion is not valid JSON", "image"
            ) from None
        url = document.get("id") if isinstance(document, dict) else None
        if not isinstance(url, str):
            return Verification("not_a_badge", "the baked JSON is not an assertion with an id")
        return verify_url(url, urls)
    if payload.startswith(("http://", "https://")):
        return verify_url(payload, urls)
    return verify_jws(payload, urls, trusted.signing)


def _json(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"{field}: the credential is not valid JSON ({error})", field
        ) from None


def _unbake(data: bytes | str, version: BakingVersion) -> str | None:
    if isinstance(data, bytes):
        return unbake_png(data, version=version)
    return unbake_svg(data, version=version)


def _status_of(assertion_id: uuid.UUID, form: str) -> Verification:
    try:
        assertion = get_assertion_for_page(assertion_id)
    except NotFoundError:
        return Verification("not_a_badge", "there is no award with this id on this server", form)
    if assertion.revoked:
        reason = f": {assertion.revocation_reason}" if assertion.revocation_reason else ""
        return Verification("revoked", f"this award was revoked{reason}", form, assertion)
    if assertion.expires is not None and assertion.expires <= utcnow():
        return Verification("expired", "this award has expired", form, assertion)
    return Verification(
        "valid", "this badge was awarded by this issuer and is valid", form, assertion
    )


def _is_credential(payload: dict[str, object]) -> bool:
    kind = payload.get("type")
    return isinstance(kind, list) and "VerifiableCredential" in kind


def _is_assertion(payload: dict[str, object]) -> bool:
    kind = payload.get("type")
    return kind == "Assertion" or (isinstance(kind, list) and "Assertion" in kind)


def _urn_uuid(value: object) -> uuid.UUID | None:
    if not isinstance(value, str) or not value.lower().startswith("urn:uuid:"):
        return None
    try:
        return uuid.UUID(value[len("urn:uuid:") :])
    except ValueError:
        return None


def verify_submission(
    *,
    url: str | None,
    jws: str | None,
    image: bytes | None,
    urls: PublicUrls,
    trusted: TrustedKeys,
    credential: dict[str, Any] | None = None,
) -> Verification:
    """Check exactly one of: a hosted URL, a signed form (a JWS, a VC-JWT, or credential JSON
    with a Data Integrity proof, as text), a credential (as a JSON object) or a baked image."""
    url, jws = (url or "").strip(), (jws or "").strip()
    given = [
        name
        for name, value in (
            ("url", url),
            ("jws", jws),
            ("credential", credential),
            ("image", image),
        )
        if value
    ]
    if len(given) != 1:
        raise InvalidInputError(
            "give exactly one of: the badge's URL (url), its signed form (jws), its credential "
            "JSON (credential), or the baked badge image (image)"
            + (f"; got {', '.join(given)}" if given else "")
        )
    if url:
        return verify_url(url, urls)
    if jws.startswith("{"):
        return verify_credential_ld(_json(jws, "jws"), urls, trusted)
    if jws:
        return verify_jws(jws, urls, trusted.signing)
    if credential:
        return verify_credential_ld(credential, urls, trusted)
    assert image is not None  # noqa: S101  (narrowing: given holds exactly "image")
    return verify_image(image, urls, trusted)
