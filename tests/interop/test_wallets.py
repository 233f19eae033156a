"""OB 3.0 Data Integrity credentials as the wallets and verifiers learners use check them.

The oracles run the Digital Credentials Consortium's verifier-core (what the Learner Credential
Wallet and VerifierPlus run) against the live app on a loopback port, resolving its did:web
over http: ``check-dcc`` verifies a credential, ``lcw-claim`` does what LCW does with an
``Add to wallet`` link, ``lcw-import-png`` what LCW does with a baked PNG. ``check-ob3`` is
openbadgeslib's eddsa-rdfc-2022 verifier.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from issuer.config import SCHEMAS_DIR
from issuer.extensions import db
from issuer.openbadges.jsonld import expand, load_contexts
from issuer.services import users
from issuer.services.keystore import MemoryKeyStore, rotate_keys
from tests.interop.conftest import require_oracle, run_checker
from tests.support import OFFICIAL_CREDENTIAL_SCHEMA, ORACLES, SVG_150, ApiClient, data_uri

pytestmark = pytest.mark.interop

CHECK_DCC = ORACLES / "check-dcc"
CHECK_OB3 = ORACLES / "check-ob3"
LCW_CLAIM = ORACLES / "lcw-claim"
LCW_IMPORT_PNG = ORACLES / "lcw-import-png"
PASSWORD = "wallet-pass-1"
# openbadgeslib checks a status list's proof only when the list is a VC-JWT; it still reads
# the bit of our Data Integrity list (check-dcc verifies that list's proof).
OB3_STATUS = ("--check-status", "--no-verify-status-list")
# Braces and an ampersand inside text: LCW's PNG import counts braces without regard to
# strings, and it decodes HTML entities in a claim response.
TRICKY = 'Won {it} — "fair & square" }{ \\ </svg> ]]>'


@pytest.fixture(scope="module", autouse=True)
def _oracles_present() -> None:
    for tool in (CHECK_DCC, CHECK_OB3, LCW_CLAIM, LCW_IMPORT_PNG):
        require_oracle(tool)


def fetch(live: Flask, url: str) -> bytes:
    """GET one of the live app's URLs through its test client."""
    parts = urlsplit(url)
    response = live.test_client().get(parts.path, query_string=parts.query)
    assert response.status_code == 200, (url, response.status_code)
    return bytes(response.data)


def dcc(*args: str) -> tuple[int, dict[str, Any]]:
    """Run check-dcc; its exit status and report."""
    return run_checker(CHECK_DCC, *args)


def owned_award(
    live: Flask, hosted_award: Callable[..., dict[str, Any]], email: str
) -> tuple[dict[str, Any], FlaskClient]:
    """An award to a learner who has an account, and a browser session of that learner."""
    with live.app_context():
        users.create_user(email, "Ada Lovelace", password=PASSWORD)
        db.session.commit()
    award = hosted_award(email, description=TRICKY)
    client = live.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    client.post("/login", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD})
    return award, client


def wallet_link(client: FlaskClient, award: dict[str, Any]) -> str:
    """Press `Add to wallet` on the award page; the dccrequest:// link it shows."""
    page_path = urlsplit(award["openBadgeId"]).path
    page = client.get(page_path, headers={"Accept": "text/html"}).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None and 'id="add-to-wallet"' in page
    shown = client.post(f"{page_path}/wallet", data={"csrf_token": token.group(1)})
    assert shown.status_code == 200
    link = re.search(r'href="(dccrequest://request\?[^"]+)"', shown.get_data(as_text=True))
    assert link is not None
    return html.unescape(link.group(1))


def conforms(credential: dict[str, Any]) -> None:
    """The official AchievementCredential schema passes, and JSON-LD expansion with our
    contexts drops no term (so the proof covers every term)."""
    schema = json.loads(OFFICIAL_CREDENTIAL_SCHEMA.read_text())
    jsonschema.Draft201909Validator(schema).validate(credential)
    expand(credential, load_contexts(SCHEMAS_DIR / "contexts"))


def test_the_credential_verifies_in_the_dcc_verifier_and_openbadgeslib(
    live: Flask, hosted_award: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    award = hosted_award(description=TRICKY)
    credential = tmp_path / "credential.json"
    credential.write_bytes(fetch(live, award["credential_ld"]))
    for source in (str(credential), award["credential_ld"]):
        status, report = dcc(source, "--check-status")
        assert status == 0, report
        assert report["verified"] is True
    status, report = run_checker(CHECK_OB3, str(credential), "did", *OB3_STATUS)
    assert status == 0, json.dumps(report)
    assert report["verified"] is True
    document = json.loads(credential.read_text())
    conforms(document)
    assert document["credentialSubject"]["achievement"]["description"] == TRICKY


def test_a_revoked_credential_is_reported_revoked_and_a_tampered_one_fails(
    live: Flask,
    live_api: ApiClient,
    hosted_award: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    award = hosted_award()
    document = json.loads(fetch(live, award["credential_ld"]))
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps({**document, "name": "Something else"}))
    status, report = dcc(str(tampered))
    assert status == 1, report
    assert report["verified"] is False
    status, report = run_checker(CHECK_OB3, str(tampered), "did")
    assert status == 1, report

    credential = tmp_path / "credential.json"
    credential.write_text(json.dumps(document))
    revoked = live_api.post(f"/assertions/{award['id']}/revoke", {"reason": "Issued in error"})
    assert revoked.status_code == 200
    status, report = dcc(str(credential), "--check-status")
    assert status == 1, report
    (revocation,) = [c for c in report["checks"] if c["id"] == "revocation_status"]
    assert revocation["valid"] is False, report
    status, report = run_checker(CHECK_OB3, str(credential), "did", *OB3_STATUS)
    assert status == 1, report


@pytest.mark.parametrize("svg", [False, True])
def test_the_baked_image_imports_into_lcw(
    live: Flask, hosted_award: Callable[..., dict[str, Any]], tmp_path: Path, svg: bool
) -> None:
    image = data_uri(SVG_150.encode(), "image/svg+xml") if svg else None
    award = hosted_award(image=image, description=TRICKY)
    baked = tmp_path / ("badge.svg" if svg else "badge.png")
    baked.write_bytes(fetch(live, award["image"] + "?format=ob3-di"))
    if not svg:  # LCW imports PNG files
        status, report = run_checker(LCW_IMPORT_PNG, str(baked))
        assert status == 0, report
        assert report["lcw_imports"] is True, report
        status, report = dcc(str(baked), "--check-status")
        assert status == 0, report
    status, report = run_checker(CHECK_OB3, str(baked), "did", *OB3_STATUS)
    assert status == 0, report


def test_add_to_wallet_with_lcw(
    live: Flask, hosted_award: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    award, client = owned_award(live, hosted_award, "owner@example.org")
    link = wallet_link(client, award)
    query = parse_qs(urlsplit(link).query)
    assert query["auth_type"] == ["bearer"]
    assert query["issuer"][0].startswith("did:web:")
    received = tmp_path / "received.json"
    status, report = run_checker(LCW_CLAIM, link, "--out", str(received))
    assert status == 0, report
    credential = json.loads(received.read_text())
    subject = credential["credentialSubject"]
    assert subject["id"].startswith("did:key:")
    assert subject["identifier"][0]["identityType"] == "emailAddress"
    assert subject["achievement"]["description"] == TRICKY
    status, report = dcc(str(received), "--check-status", "--holder", subject["id"])
    assert status == 0, report
    status, report = run_checker(CHECK_OB3, str(received), "did", *OB3_STATUS)
    assert status == 0, report
    conforms(credential)
    # Its status list is JSON-LD with a proof too, and conforms.
    status_list = json.loads(fetch(live, credential["credentialStatus"]["statusListCredential"]))
    expand(status_list, load_contexts(SCHEMAS_DIR / "contexts"))
    # The link works once: a second wallet (a fresh did:key) is refused, nothing issued.
    status, report = run_checker(LCW_CLAIM, link)
    assert status == 1, report


def test_credentials_signed_before_a_key_rotation_keep_verifying(
    live: Flask,
    live_keys: MemoryKeyStore,
    hosted_award: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    award, client = owned_award(live, hosted_award, "rotate@example.org")
    before = tmp_path / "before.json"
    before.write_bytes(fetch(live, award["credential_ld"]))
    baked = tmp_path / "before.png"
    baked.write_bytes(fetch(live, award["image"] + "?format=ob3-di"))
    rotate_keys(live_keys)
    after_award = hosted_award("after@example.org")
    after = json.loads(fetch(live, after_award["credential_ld"]))
    old_method = json.loads(before.read_text())["proof"][0]["verificationMethod"]
    assert after["proof"][0]["verificationMethod"] != old_method
    assert fetch(live, award["credential_ld"]) == before.read_bytes()  # stored, unchanged
    for checker, args in (
        (CHECK_DCC, (str(before), "--check-status")),
        (CHECK_OB3, (str(before), "did", *OB3_STATUS)),
        (LCW_IMPORT_PNG, (str(baked),)),
    ):
        status, report = run_checker(checker, *args)
        assert status == 0, (checker.name, report)
    status, report = run_checker(LCW_CLAIM, wallet_link(client, award))
    assert status == 0, report
