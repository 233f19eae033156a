"""Verification by URL, JWS or baked image: the JSON API and the public page."""

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from issuer.openbadges import ob2, signing
from issuer.openbadges.keys import generate_private_key_pem, load_private_key
from tests.support import BASE_URL, ApiClient, csrf_token, png_bytes


def verify(client: FlaskClient, **body: str) -> Any:
    """POST to the JSON verification endpoint (no token needed)."""
    return client.post("/api/v1/verify", json=body)


def verify_image(client: FlaskClient, data: bytes, name: str = "badge.png") -> Any:
    """Upload an image to the JSON verification endpoint."""
    return client.post(
        "/api/v1/verify",
        data={"image": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def assertion(make_badge: Any, award: Any) -> dict[str, Any]:
    """A valid award."""
    return dict(award(make_badge(name="Hero")["id"], "ada@example.org")["awards"][0])


def test_valid_by_url_jws_and_images(client: FlaskClient, assertion: dict[str, Any]) -> None:
    image_path = assertion["image"].removeprefix(BASE_URL)
    results = [
        verify(client, url=assertion["openBadgeId"]),
        verify(client, jws=assertion["signed"]),
        verify_image(client, client.get(image_path).data),
        verify_image(client, client.get(image_path + "?signed=1").data),
    ]
    for response, form in zip(results, ["hosted", "signed", "hosted", "signed"], strict=True):
        assert response.status_code == 200, response.json
        body = response.json
        assert body["valid"] is True
        assert body["status"] == "valid"
        assert body["format"] == form
        assert body["assertion"]["id"] == assertion["id"]
        assert body["assertion"]["issued_on"] == assertion["issued_on"]
        assert body["badge"]["name"] == "Hero"
        assert body["issuer"]["name"] == "Example Academy"


def test_revoked(client: FlaskClient, api: ApiClient, assertion: dict[str, Any]) -> None:
    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Cheated"})
    for body in ({"url": assertion["openBadgeId"]}, {"jws": assertion["signed"]}):
        result = verify(client, **body).json
        assert result["valid"] is False
        assert result["status"] == "revoked"
        assert "Cheated" in result["message"]
        assert result["assertion"]["revocation_reason"] == "Cheated"


def test_expired(client: FlaskClient, make_badge: Any, award: Any) -> None:
    issued = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    expired = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    item = award(make_badge()["id"], "ada@example.org", issued_on=issued, expires=expired)
    result = verify(client, url=item["awards"][0]["openBadgeId"]).json
    assert (result["valid"], result["status"]) == (False, "expired")


def test_tampered_jws_is_a_bad_signature(client: FlaskClient, assertion: dict[str, Any]) -> None:
    header, _, sig = assertion["signed"].split(".")
    payload = signing.read_unverified(assertion["signed"]).payload
    payload["expires"] = "2099-01-01T00:00:00Z"
    import base64

    forged = base64.urlsafe_b64encode(ob2.serialize(payload)).rstrip(b"=").decode()
    result = verify(client, jws=f"{header}.{forged}.{sig}").json
    assert (result["valid"], result["status"]) == (False, "bad_signature")


def test_unknown_key(client: FlaskClient, assertion: dict[str, Any]) -> None:
    payload = signing.read_unverified(assertion["signed"]).payload
    stranger = load_private_key(generate_private_key_pem())
    for creator in (
        "https://elsewhere.example/keys/1",
        payload["verification"]["creator"].replace("/keys/", "/keys/ffffffffffffffff"),
    ):
        payload["verification"]["creator"] = creator
        token = signing.sign(ob2.serialize(payload), stranger, creator)
        result = verify(client, jws=token).json
        assert (result["valid"], result["status"]) == (False, "unknown_key")


def test_not_a_badge(client: FlaskClient, assertion: dict[str, Any]) -> None:
    unknown = f"{BASE_URL}/public/assertions/00000000-0000-4000-8000-000000000000"
    assert verify(client, url=unknown).json["status"] == "not_a_badge"
    assert verify(client, url=f"{BASE_URL}/public/assertions/zzz").json["status"] == "not_a_badge"
    other = signing.sign(b'{"hello": "world"}', load_private_key(generate_private_key_pem()), "k")
    assert verify(client, jws=other).json["status"] == "not_a_badge"


@pytest.mark.parametrize(
    ("request_kwargs", "phrase"),
    [
        ({"json": {"jws": "not.a.jws"}}, "not a signed badge"),
        ({"json": {"jws": "garbage"}}, "not a signed badge"),
        ({"json": {"url": "https://elsewhere.example/assertion/1"}}, "awarded on this site"),
        ({"json": {"url": "x", "jws": "y"}}, "body"),
        ({"json": {}}, "body"),
        ({"json": {"colour": "red"}}, "colour"),
        ({"data": "url=x", "content_type": "application/x-www-form-urlencoded"}, "exactly one"),
        (
            {
                "data": {"image": (io.BytesIO(b"hello"), "x.png")},
                "content_type": "multipart/form-data",
            },
            "not a PNG or SVG",
        ),
        (
            {
                "data": {"image": (io.BytesIO(png_bytes()), "x.png")},
                "content_type": "multipart/form-data",
            },
            "no badge",
        ),
        (
            {
                "data": {"image": (io.BytesIO(png_bytes()[:60]), "x.png")},
                "content_type": "multipart/form-data",
            },
            "damaged",
        ),
        (
            {
                "data": {
                    "image": (io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'><x"), "x.svg")
                },
                "content_type": "multipart/form-data",
            },
            "damaged",
        ),
    ],
)
def test_bad_input_is_a_clear_400(
    client: FlaskClient, request_kwargs: dict[str, Any], phrase: str
) -> None:
    response = client.post("/api/v1/verify", **request_kwargs)
    assert response.status_code == 400, response.json
    assert phrase in (response.json or {})["message"]


def test_verify_page(client: FlaskClient, assertion: dict[str, Any]) -> None:
    page = client.get("/verify")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    checked = client.post(
        "/verify", data={"csrf_token": token.group(1), "url": assertion["openBadgeId"]}
    )
    assert checked.status_code == 200
    result = checked.get_data(as_text=True)
    assert "Valid" in result
    assert "Hero" in result
    assert "Example Academy" in result
    baked = client.get(assertion["image"].removeprefix(BASE_URL) + "?signed=1").data
    uploaded = client.post(
        "/verify",
        data={"csrf_token": token.group(1), "image": (io.BytesIO(baked), "badge.png")},
        content_type="multipart/form-data",
    )
    assert "Valid" in uploaded.get_data(as_text=True)
    bad = client.post("/verify", data={"csrf_token": token.group(1), "jws": "nonsense"})
    assert bad.status_code == 400
    assert "not a compact JWS" in bad.get_data(as_text=True)
    # A mistyped address stays in its field, to be corrected.
    typo = f"{BASE_URL}/public/assertions/not-an-award"
    wrong = client.post("/verify", data={"csrf_token": token.group(1), "url": typo})
    assert f'value="{typo}"' in wrong.get_data(as_text=True)


def test_verify_page_needs_the_csrf_token(client: FlaskClient, assertion: dict[str, Any]) -> None:
    response = client.post("/verify", data={"url": assertion["openBadgeId"]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form could not be accepted: it has expired" in page
    assert "reload the page and send the form again" in page
    assert "CSRF" in page  # the technical reason comes last, for whoever helps


@pytest.mark.parametrize(
    ("upload", "sentence"),
    [
        (
            (png_bytes(), "plain.png"),
            "This image has no badge in it. It may be a plain copy of the picture: upload the "
            "badge image downloaded from the award&#39;s page, or paste the badge&#39;s address "
            "instead.",
        ),
        (
            (b"just some notes", "notes.txt"),
            "This file is not a PNG or SVG image, so it cannot hold a badge.",
        ),
        ((png_bytes()[:60], "cut.png"), "This PNG file is damaged, so the badge in it cannot be"),
        (
            (b"\x89PNG" + bytes(4 * 1024 * 1024), "huge.png"),
            "This file is too large: it is over 4 MiB, more than any badge image can be.",
        ),
    ],
)
def test_the_verify_page_says_what_is_wrong_with_an_upload(
    client: FlaskClient, upload: tuple[bytes, str], sentence: str
) -> None:
    token = csrf_token(client, "/verify")
    data, name = upload
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        {"csrf_token": token, "image": FileStorage(io.BytesIO(data), name)}
    )
    response = client.post(
        "/verify", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    shown = re.search(r'<p class="status status-revoked" role="alert">(.*?)</p>', response.text)
    assert shown is not None
    assert shown.group(1).startswith(sentence)
    assert not shown.group(1).startswith("image:")  # no field prefix meant for programs


def test_the_verify_page_says_when_pasted_json_is_broken(client: FlaskClient) -> None:
    token = csrf_token(client, "/verify")
    response = client.post("/verify", data={"csrf_token": token, "jws": '{"type": ['})
    assert response.status_code == 400
    assert (
        "The credential you pasted is not valid JSON, so it cannot be checked: it may have been "
        "cut short or edited." in response.text
    )


def test_results_are_sentences(
    client: FlaskClient, api: ApiClient, assertion: dict[str, Any]
) -> None:
    token = csrf_token(client, "/verify")
    checked = client.post("/verify", data={"csrf_token": token, "url": assertion["openBadgeId"]})
    assert "<p>This badge was awarded by this issuer and is valid.</p>" in checked.text
    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Copied the exam."})
    body = verify(client, url=assertion["openBadgeId"]).json
    assert body["message"] == "This award was revoked. The reason given: Copied the exam."


def verify_json(client: FlaskClient, body: dict[str, Any]) -> dict[str, Any]:
    """POST any JSON body to the verification endpoint; its JSON answer."""
    response = client.post("/api/v1/verify", json=body)
    assert response.status_code == 200, response.json
    return dict(response.json or {})


def test_data_integrity_credentials_json_and_baked(
    client: FlaskClient, api: ApiClient, assertion: dict[str, Any]
) -> None:
    credential_path = assertion["credential_ld"].removeprefix(BASE_URL)
    document: dict[str, Any] = client.get(credential_path).json or {}
    text = client.get(credential_path).get_data(as_text=True)
    baked = client.get(assertion["image"].removeprefix(BASE_URL) + "?format=ob3-di").data
    results = [
        client.post("/api/v1/verify", json={"credential": document}),
        verify(client, jws=text),
        verify_image(client, baked),
    ]
    for response in results:
        body = response.json
        assert response.status_code == 200, body
        assert (body["status"], body["format"]) == ("valid", "credential_di"), body
        assert body["assertion"]["id"] == assertion["id"]

    tampered = {**document, "name": "Something else"}
    body = verify_json(client, {"credential": tampered})
    assert (body["status"], body["format"]) == ("bad_signature", "credential_di")
    proof = dict(document["proof"][0])
    proof["verificationMethod"] = proof["verificationMethod"].replace("z6Mk", "z6Mx", 1)
    body = verify_json(client, {"credential": {**document, "proof": [proof]}})
    assert body["status"] == "unknown_key"
    unproven = {key: value for key, value in document.items() if key != "proof"}
    body = verify_json(client, {"credential": unproven})
    assert body["status"] == "not_a_badge"
    assert "no proof" in body["message"]
    broken = verify(client, jws="{not json")
    assert broken.status_code == 400
    assert "not valid JSON" in broken.json["message"]

    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Cheated"})
    body = verify_json(client, {"credential": document})
    assert body["status"] == "revoked"
    assert "Cheated" in body["message"]


def test_the_verify_page_reads_a_data_integrity_credential(
    client: FlaskClient, assertion: dict[str, Any]
) -> None:
    text = client.get(assertion["credential_ld"].removeprefix(BASE_URL)).get_data(as_text=True)
    page = client.get("/verify").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/verify", data={"csrf_token": token.group(1), "jws": text})
    shown = response.get_data(as_text=True)
    assert "Open Badges 3.0 credential (Data Integrity)" in shown
    assert "status-valid" in shown
