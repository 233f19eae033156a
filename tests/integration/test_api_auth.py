"""The admin API needs an admin's bearer token."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import ApiClient, make_token


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer obi_not-a-real-token",
        "Bearer x" * 50,
    ],
)
def test_missing_or_invalid_token_is_401(client: FlaskClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/badges", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json is not None
    assert set(response.json) == {"error", "message"}
    assert response.json["error"] == "Unauthorized"


def test_learner_token_is_403(app: Flask, client: FlaskClient) -> None:
    learner = ApiClient(client, make_token(app, "learner@example.org", admin=False))
    response = learner.get("/badges")
    assert response.status_code == 403
    assert response.json is not None
    assert "admin" in response.json["message"]


def test_admin_token_is_accepted(api: ApiClient) -> None:
    response = api.get("/badges")
    assert response.status_code == 200
    assert (response.json or {})["badges"] == []


def test_openapi_needs_no_token(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["openapi"] == "3.1.0"


def test_unknown_api_path_answers_json_404(api: ApiClient) -> None:
    response = api.get("/nothing-here")
    assert response.status_code == 404
    assert response.json is not None
    assert response.json["error"] == "Not Found"


def test_wrong_method_answers_json_405(api: ApiClient) -> None:
    response = api.client.delete("/api/v1/badges", headers=api.headers)
    assert response.status_code == 405
    assert response.json is not None
    assert response.json["error"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]
