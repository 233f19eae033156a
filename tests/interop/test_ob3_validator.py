"""openbadgeslib's OB3Verifier (the check-ob3 oracle) checks our OB 3.0 credentials."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from issuer.openbadges.keys import generate_private_key_pem
from issuer.openbadges.signing import read_unverified
from issuer.services.keystore import MemoryKeyStore, SigningKey
from tests.interop.conftest import require_oracle, run_checker
from tests.support import ORACLES, SVG_150, ApiClient, data_uri

pytestmark = pytest.mark.interop

CHECK_OB3 = ORACLES / "check-ob3"


@pytest.fixture(scope="module", autouse=True)
def _oracles_present() -> None:
    require_oracle(CHECK_OB3)


def check_ob3(*args: str) -> tuple[int, dict[str, Any]]:
    """Run the checker; return its exit status and JSON report."""
    return run_checker(CHECK_OB3, *args)


def fetch(live: Flask, url: str) -> bytes:
    """GET one of the live app's URLs through its test client."""
    parts = urlsplit(url)
    response = live.test_client().get(parts.path, query_string=parts.query)
    assert response.status_code == 200, (url, response.status_code)
    return bytes(response.data)


def credential_of(live: Flask, award: dict[str, Any], tmp_path: Path) -> Path:
    """Download an award's VC-JWT to a file."""
    target = tmp_path / "credential.jwt"
    target.write_bytes(fetch(live, award["credential"]))
    return target


def jwks_url(live: Flask) -> str:
    """The live app's JWK Set URL."""
    return f"{live.config['BASE_URL']}/.well-known/jwks.json"


def test_credential_verifies_with_the_jwks_and_the_kid_url(
    live: Flask, hosted_award: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    award = hosted_award()
    token = credential_of(live, award, tmp_path)
    kid = read_unverified(token.read_text()).header["kid"]
    for keysource in (f"jwks:{jwks_url(live)}", f"url:{kid}"):
        status, report = check_ob3(str(token), keysource, "--check-status")
        assert status == 0, report
        assert report["verified"] is True
        assert report["format"] == "vc-jwt"
        assert report["checks"]["status"] is True
        assert report["credential"]["id"] == f"urn:uuid:{award['id']}"
        assert report["credential"]["validUntil"]  # the badge expires after 365 days


def test_the_credential_url_itself_verifies(
    live: Flask, hosted_award: Callable[..., dict[str, Any]]
) -> None:
    award = hosted_award()
    status, report = check_ob3(award["credential"], f"jwks:{jwks_url(live)}")
    assert status == 0, report


def test_revoked_credential_is_reported_revoked(
    live: Flask,
    live_api: ApiClient,
    hosted_award: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    award = hosted_award()
    token = credential_of(live, award, tmp_path)
    response = live_api.post(f"/assertions/{award['id']}/revoke", {"reason": "Issued in error"})
    assert response.status_code == 200
    status, report = check_ob3(str(token), f"jwks:{jwks_url(live)}", "--check-status")
    assert status == 1, report
    assert report["verified"] is False
    assert "revocation" in report["error"] and "is set" in report["error"], report["error"]
    # Without the status check the signature alone still holds: the list is what revokes.
    status, report = check_ob3(str(token), f"jwks:{jwks_url(live)}")
    assert status == 0, report


def test_baked_images_verify(
    live: Flask, hosted_award: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    for name, image in (
        ("badge.png", None),
        ("badge.svg", data_uri(SVG_150.encode(), "image/svg+xml")),
    ):
        award = hosted_award(image=image)
        baked = tmp_path / name
        baked.write_bytes(fetch(live, award["image"] + "?format=ob3"))
        status, report = check_ob3(str(baked), f"jwks:{jwks_url(live)}", "--check-status")
        assert status == 0, (name, report)
        assert report["credential"]["id"] == f"urn:uuid:{award['id']}"


def test_tampered_and_foreign_credentials_fail(
    live: Flask, hosted_award: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    token = credential_of(live, hosted_award(), tmp_path).read_text()
    header, payload, signature = token.split(".")
    forged = tmp_path / "forged.jwt"
    forged.write_text(f"{header}.{payload[:-4]}AAAA.{signature}")
    status, report = check_ob3(str(forged), f"jwks:{jwks_url(live)}")
    assert status == 1, report
    other = MemoryKeyStore().add_key(generate_private_key_pem())
    assert isinstance(other, SigningKey)
    key_file = tmp_path / "other.pem"
    key_file.write_text(other.public_pem)
    status, report = check_ob3(str(tmp_path / "credential.jwt"), f"pem:{key_file}")
    assert status == 1, report
    assert "signature" in report["error"].lower()


def test_rotation_keeps_old_credentials_and_their_status_verifiable(
    live: Flask,
    live_keys: MemoryKeyStore,
    live_api: ApiClient,
    hosted_award: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    old = credential_of(live, hosted_award("old@example.org"), tmp_path)
    live_keys.add_key(generate_private_key_pem())
    new_award = hosted_award("new@example.org")
    new = tmp_path / "new.jwt"
    new.write_bytes(fetch(live, new_award["credential"]))
    assert (
        read_unverified(old.read_text()).header["kid"]
        != read_unverified(new.read_text()).header["kid"]
    )
    for token in (old, new):
        status, report = check_ob3(str(token), f"jwks:{jwks_url(live)}", "--check-status")
        assert status == 0, report
