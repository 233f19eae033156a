"""The WSGI fast path answers exactly as the Flask views it stands in front of."""

from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from issuer.public.fastpath import HostedAssertionFastPath
from tests.support import BASE_URL, ApiClient

COMPARED = (
    "Content-Type",
    "Content-Length",
    "ETag",
    "Cache-Control",
    "Access-Control-Allow-Origin",
    "Content-Disposition",
    "Content-Security-Policy",
    "X-Content-Type-Options",
)


def answers(app: Flask, path: str, **kwargs: Any) -> list[tuple[int, bytes, dict[str, str]]]:
    """The answer of the fast path and of the views alone to the same request."""
    fast = app.wsgi_app
    assert isinstance(fast, HostedAssertionFastPath)
    result = []
    for wsgi in (fast, fast.next_app):
        response = Client(wsgi).get(path, **kwargs)
        headers = {name: response.headers.get(name, "") for name in COMPARED}
        result.append((response.status_code, response.get_data(), headers))
    return result


@pytest.mark.parametrize(
    "suffix",
    [
        "",
        ".json",
        "/signed",
        "/image",
        "/image?signed=1",
        "/credential.json",
        "/image?format=ob3-di",
    ],
)
def test_same_answers(app: Flask, make_badge: Any, award: Any, suffix: str) -> None:
    assertion = award(make_badge()["id"], "ada@example.org", narrative="N")["awards"][0]
    path = assertion["openBadgeId"].removeprefix(BASE_URL) + suffix
    fast, view = answers(app, path)
    assert fast == view
    assert fast[0] == 200
    etag = fast[2]["ETag"]
    cached_fast, cached_view = answers(app, path, headers={"If-None-Match": etag})
    assert cached_fast[0] == cached_view[0] == 304


def test_same_answers_once_revoked(app: Flask, api: ApiClient, make_badge: Any, award: Any) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Mistake"})
    for suffix in ("", "/signed", "/image", "/credential.json"):
        fast, view = answers(app, assertion["openBadgeId"].removeprefix(BASE_URL) + suffix)
        assert fast == view
        assert fast[0] == 410


def test_the_fast_path_itself_serves_a_made_data_integrity_credential(
    app: Flask, make_badge: Any, award: Any
) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    path = assertion["credential_ld"].removeprefix(BASE_URL)
    made = app.test_client().get(path)  # the view makes and stores it
    assert made.status_code == 200
    fast = app.wsgi_app
    assert isinstance(fast, HostedAssertionFastPath)

    def views_must_not_answer(environ: Any, start_response: Any) -> Any:
        raise AssertionError(f"the fast path handed {environ['PATH_INFO']} on")

    alone = HostedAssertionFastPath(app, views_must_not_answer)
    response = Client(alone).get(path)
    assert response.status_code == 200
    assert response.get_data() == made.get_data()
    assert response.headers["Content-Type"] == "application/vc+ld+json"
