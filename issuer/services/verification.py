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
    """The outcome of a check: a status, why (a sentence for people), and the award when one
    was found."""

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
            f"Only badges awarded on this site can be checked here, and this address is not "
            f"one of ours. The address of a badge from this site starts with {prefix}",
            "url",
        )
    try:
        assertion_id = uuid.UUID(url.removeprefix(prefix).removesuffix(".json"))
    except ValueError:
        return Verification("not_a_badge", "There is no award at this address.")
    return _status_of(assertion_id, "hosted")


def verify_jws(token: str, urls: PublicUrls, keys: Sequence[SigningKey]) -> Verification:
    """Check a signed assertion or a VC-JWT: its key, its signature, then the award's status."""
    try:
        unverified = signing.read_unverified(token)
    except signing.MalformedJWSError as error:
        raise InvalidInputError(_not_signed(error), "jws") from None
    payload = unverified.payload
    if _is_credential(payload):
        return verify_credential_jwt(token, unverified, urls, keys)
    verification = payload.get("verification")
    creator = verification.get("creator") if isinstance(verification, dict) else None
    if not _is_assertion(payload) or not isinstance(creator, str):
        return Verification(
            "not_a_badge", "This signed text is not an Open Badges award: it holds something else."
        )
    key_prefix = f"{urls.base_url}/public/keys/"
    parsed = (
        parse_key_ref(creator.removeprefix(key_prefix)) if creator.startswith(key_prefix) else None
    )
    key = next((k for k in keys if parsed and k.kid == parsed[1]), None)
    if parsed is None or key is None:
        return Verification("unknown_key", _unknown_key(creator), "signed")
    try:
        signing.verify(token, key.public_pem)
    except signing.SignatureError:
        return Verification("bad_signature", _ALTERED.format(what="badge"), "signed")
    except signing.MalformedJWSError as error:
        raise InvalidInputError(_not_signed(error), "jws") from None
    assertion_id = _urn_uuid(payload.get("id"))
    if assertion_id is None:
        return Verification("not_a_badge", _NO_ID.format(what="signed badge"), "signed")
    result = _status_of(assertion_id, "signed")
    if result.assertion is not None and result.assertion.badge.issuer_id != parsed[0]:
        return Verification(
            "unknown_key",
            "The badge was signed with the key of another issuer than the one that awarded it.",
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
        return Verification("unknown_key", _unknown_key(kid), "credential")
    # The window is reported along with the award: an expired credential is still ours.
    window: tuple[str, str] | None = None
    try:
        vcjwt.verify_credential(token, key.public_pem)
    except signing.SignatureError:
        return Verification("bad_signature", _ALTERED.format(what="credential"), "credential")
    except signing.MalformedJWSError as error:
        raise InvalidInputError(_not_signed(error), "jws") from None
    except vcjwt.CredentialClaimsError as error:
        return Verification("not_a_badge", _not_a_credential(error), "credential")
    except vcjwt.ExpiredCredentialError as error:
        window = ("expired", _sentence(error))
    except vcjwt.PrematureCredentialError as error:
        window = ("not_yet_valid", _sentence(error))
    # The signature and the claims held, so the payload is a credential we signed.
    credential = unverified.payload
    assertion_id = _urn_uuid(credential.get("id"))
    if assertion_id is None:
        return Verification("not_a_badge", _NO_ID.format(what="credential"), "credential")
    result = _status_of(assertion_id, "credential")
    assertion = result.assertion
    if assertion is None:
        return result
    if vcjwt.issuer_id(credential) != urls.issuer_profile(assertion.badge.issuer_id):
        return Verification("not_a_badge", _OTHER_ISSUER, "credential")
    if window is not None and result.status != "revoked":
        return Verification(*window, "credential", assertion)
    return result


def verify_credential_ld(credential: Any, urls: PublicUrls, trusted: TrustedKeys) -> Verification:
    """Check an OB 3.0 credential with a Data Integrity proof by one of our issuers' did:web:
    its key, its signature and validity, then the award (issued to a wallet's DID or not)."""
    form = "credential_di"
    if not isinstance(credential, dict) or not _is_credential(credential):
        return Verification(
            "not_a_badge",
            "This JSON is not a Verifiable Credential, so it is not an Open Badges 3.0 badge.",
            form,
        )
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
        return Verification(
            "unknown_key",
            f"This credential was signed with a key this site does not know, so it cannot be "
            f"confirmed as issued here ({error}).",
            form,
        )
    except dataintegrity.ProofSignatureError:
        return Verification("bad_signature", _ALTERED.format(what="credential"), form)
    except (dataintegrity.ProofError, JsonLdError) as error:
        return Verification(
            "not_a_badge", f"This credential cannot be checked on this site ({error}).", form
        )
    except vcjwt.ExpiredCredentialError as error:
        window = ("expired", _sentence(error))
    except vcjwt.PrematureCredentialError as error:
        window = ("not_yet_valid", _sentence(error))
    except (KeyError, TypeError, ValueError) as error:
        return Verification("not_a_badge", _not_a_credential(error), form)
    signer = proof.verification_method.partition("#")[0]
    assertion_id = _urn_uuid(credential.get("id"))
    if assertion_id is None:
        return Verification("not_a_badge", _NO_ID.format(what="credential"), form)
    result = _status_of(assertion_id, form)
    assertion = result.assertion
    if assertion is None:
        return result
    did = urls.did(assertion.badge.issuer_id)
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != did or signer != did:
        return Verification("not_a_badge", _OTHER_ISSUER, form)
    if window is not None and result.status != "revoked":
        return Verification(*window, form, assertion)
    return result


def verify_image(data: bytes, urls: PublicUrls, trusted: TrustedKeys) -> Verification:
    """Check a baked PNG or SVG: unbake it (OB 3.0 first, then OB 2.0), then check it."""
    kind = detect_image_type(data)
    if kind is None:
        raise InvalidInputError(
            "This file is not a PNG or SVG image, so it cannot hold a badge. Upload the badge "
            "image (PNG or SVG) that was downloaded from the award's page.",
            "image",
        )
    try:
        text = data if kind == "png" else data.decode("utf-8")
        credential = _unbake(text, "ob3")
        payload = credential or _unbake(text, "ob2")
    except (BakingError, UnicodeDecodeError) as error:
        raise InvalidInputError(
            f"This {kind.upper()} file is damaged, so the badge in it cannot be read. Download "
            f"the badge image from the award's page again and upload the new file. (Details: "
            f"{error}.)",
            "image",
        ) from None
    if not payload:
        raise InvalidInputError(
            "This image has no badge in it. It may be a plain copy of the picture: upload the "
            "badge image downloaded from the award's page, or paste the badge's address instead.",
            "image",
        )
    payload = payload.strip()
    if credential and payload.startswith("{"):
        return verify_credential_ld(_json(payload, "image"), urls, trusted)
    if payload.startswith("{"):
        try:
            document = json.loads(payload)
        except json.JSONDecodeError:
            raise InvalidInputError(
                _BROKEN_JSON.format(where="The badge in this image"), "image"
            ) from None
        url = document.get("id") if isinstance(document, dict) else None
        if not isinstance(url, str):
            return Verification(
                "not_a_badge",
                "The badge in this image does not say where its award is published (its JSON "
                "has no id), so it cannot be checked.",
            )
        return verify_url(url, urls)
    if payload.startswith(("http://", "https://")):
        return verify_url(payload, urls)
    return verify_jws(payload, urls, trusted.signing)


_ALTERED = (
    "The signature does not match: the {what} was changed after it was issued, or it is forged."
)
_NO_ID = "The {what} does not say which award it is (it has no urn:uuid id)."
_OTHER_ISSUER = "The credential names another issuer than the one that made the award."
_BROKEN_JSON = (
    "{where} is not valid JSON, so it cannot be checked: it may have been cut short or edited."
)


def _sentence(error: Exception | str) -> str:
    """A message from the domain layer as a sentence: capital first letter, full stop."""
    text = str(error).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _unknown_key(key: object) -> str:
    return (
        f"This badge was signed with a key this site does not know ({key}), so it cannot be "
        f"confirmed as issued here."
    )


def _not_a_credential(error: Exception) -> str:
    return f"This is not a valid Open Badges 3.0 credential ({error})."


def _not_signed(error: Exception) -> str:
    return (
        "This text is not a signed badge that can be read. Paste the whole signed badge exactly "
        "as you received it: a JWS or VC-JWT is three parts separated by dots, a credential is "
        f"JSON. (Details: {error}.)"
    )


def _json(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = "The badge in this image" if field == "image" else "The credential you pasted"
        raise InvalidInputError(
            _BROKEN_JSON.format(where=where)
            + f" ({error.msg} at line {error.lineno}, column {error.colno}.)",
            field,
        ) from None


def _unbake(data: bytes | str, version: BakingVersion) -> str | None:
    if isinstance(data, bytes):
        return unbake_png(data, version=version)
    return unbake_svg(data, version=version)


def _status_of(assertion_id: uuid.UUID, form: str) -> Verification:
    try:
        assertion = get_assertion_for_page(assertion_id)
    except NotFoundError:
        return Verification(
            "not_a_badge", "There is no such award on this site: it was not issued here.", form
        )
    if assertion.revoked:
        reason = assertion.revocation_reason
        message = "This award was revoked." + (f" The reason given: {reason}" if reason else "")
        return Verification("revoked", message, form, assertion)
    if assertion.expires is not None and assertion.expires <= utcnow():
        return Verification("expired", "This award has expired.", form, assertion)
    return Verification(
        "valid", "This badge was awarded by this issuer and is valid.", form, assertion
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
            "Give exactly one thing to check: the badge's address (url), its signed form (jws), "
            "its credential JSON (credential) or the badge image (image)."
            + (f" This request gave {' and '.join(given)}." if given else " Nothing was given.")
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
