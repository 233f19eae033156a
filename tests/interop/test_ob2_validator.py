"""The official 1EdTech validator (openbadges-validator-core) checks our hosted badges by URL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from issuer.openbadges.baking import bake_png
from issuer.openbadges.signing import read_unverified
from issuer.services.keystore import MemoryKeyStore
from tests.interop.conftest import require_oracle, run_checker
from tests.support import ORACLES, SVG_150, ApiClient, data_uri, png_bytes

pytestmark = pytest.mark.interop

CHECK_OB2 = ORACLES / "check-ob2"


@pytest.fixture(scope="module", autouse=True)
def _oracles_present() -> None:
    require_oracle(CHECK_OB2)


def check_ob2(*args: str) -> tuple[int, dict[str, Any]]:
    """Run the checker; return its exit status and JSON report."""
    return run_checker(CHECK_OB2, *args)


def messages(report: dict[str, Any]) -> list[str]:
    """The validator's error messages, for assertion output."""
    return [
        m.get("result", "")
        for m in report["report"].get("messages", [])
        if m.get("messageLevel") == "ERROR"
    ]


def test_hosted_assertion_is_valid(hosted_award: Callable[..., dict[str, Any]]) -> None:
    assertion = hosted_award()
    status, report = check_ob2(
        assertion["openBadgeId"], "--recipient", json.dumps({"email": "ada@example.org"})
    )
    assert status == 0, messages(report)
    assert report["report"]["valid"] is True
    assert report["report"]["errorCount"] == 0
    assert report["report"]["openBadgesVersion"] == "2.0"


def test_second_opinion_agrees(hosted_award: Callable[..., dict[str, Any]]) -> None:
    assertion = hosted_award()
    status, report = check_ob2(
        assertion["openBadgeId"],
        "--second-opinion",
        "--recipient",
        json.dumps({"email": "ada@example.org"}),
    )
    assert status == 0, report


def test_svg_badge_is_valid(hosted_award: Callable[..., dict[str, Any]]) -> None:
    assertion = hosted_award(image=data_uri(SVG_150.encode(), "image/svg+xml"))
    status, report = check_ob2(
        assertion["openBadgeId"], "--recipient", json.dumps({"email": "ada@example.org"})
    )
    assert status == 0, messages(report)


def test_wrong_recipient_is_rejected(hosted_award: Callable[..., dict[str, Any]]) -> None:
    assertion = hosted_award()
    status, _ = check_ob2(
        assertion["openBadgeId"], "--recipient", json.dumps({"email": "mallory@example.org"})
    )
    assert status == 1


def test_revoked_assertion_fails(
    hosted_award: Callable[..., dict[str, Any]], live_api: ApiClient
) -> None:
    assertion = hosted_award()
    live_api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Issued in error"})
    status, report = check_ob2(
        assertion["openBadgeId"],
        "--strict-revocation",
        "--recipient",
        json.dumps({"email": "ada@example.org"}),
    )
    assert status == 1
    assert report["report"]["valid"] is False


RECIPIENT = json.dumps({"email": "ada@example.org"})


def download(live: Flask, url: str, target: Path) -> Path:
    """Fetch one of the live app's public files into target."""
    parts = urlsplit(url)
    response = live.test_client().get(parts.path, query_string=parts.query)
    assert response.status_code == 200, response.data[:200]
    target.write_bytes(response.data)
    return target


def test_signed_assertion_is_valid(hosted_award: Callable[..., dict[str, Any]]) -> None:
    assertion = hosted_award()
    status, report = check_ob2(assertion["signed"], "--recipient", RECIPIENT)
    assert status == 0, messages(report)
    status, report = check_ob2(assertion["signed"], "--second-opinion", "--recipient", RECIPIENT)
    assert status == 0, report


@pytest.mark.parametrize(("svg", "signed"), [(False, False), (True, False), (False, True)])
def test_baked_images_are_valid(
    hosted_award: Callable[..., dict[str, Any]],
    live: Flask,
    tmp_path: Path,
    svg: bool,
    signed: bool,
) -> None:
    image = data_uri(SVG_150.encode(), "image/svg+xml") if svg else None
    assertion = hosted_award(image=image)
    url = assertion["image"] + ("?signed=1" if signed else "")
    baked = download(live, url, tmp_path / ("badge.svg" if svg else "badge.png"))
    status, report = check_ob2(str(baked), "--recipient", RECIPIENT)
    assert status == 0, messages(report)


def test_png_baked_with_the_hosted_url_is_valid(
    hosted_award: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    assertion = hosted_award()
    baked = tmp_path / "badge.png"
    baked.write_bytes(bake_png(png_bytes(), assertion["openBadgeId"]))
    status, report = check_ob2(str(baked), "--recipient", RECIPIENT)
    assert status == 0, messages(report)


def test_revoked_signed_assertion_fails(
    hosted_award: Callable[..., dict[str, Any]], live_api: ApiClient
) -> None:
    assertion = hosted_award()
    live_api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Issued in error"})
    status, report = check_ob2(assertion["signed"], "--strict-revocation")
    assert status == 1
    assert report["report"]["valid"] is False


def test_signatures_survive_key_rotation(
    hosted_award: Callable[..., dict[str, Any]], live: Flask, live_keys: MemoryKeyStore
) -> None:
    before = hosted_award()
    old_kid = live_keys.list_keys()[-1].kid
    rotated = live.test_cli_runner().invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    new_kid = live_keys.list_keys()[-1].kid
    after = hosted_award()
    assert f"/keys/{old_kid}-" in creator(before["signed"])
    assert f"/keys/{new_kid}-" in creator(after["signed"])
    for token in (before["signed"], after["signed"]):
        status, report = check_ob2(token, "--recipient", RECIPIENT)
        assert status == 0, messages(report)


def creator(token: str) -> str:
    """The key URL a signed assertion names."""
    return str(read_unverified(token).payload["verification"]["creator"])
